import { describe, expect, it } from 'vitest';
import { todayUtc, validJobFilter, validProposal, type ProposalInput } from './inputs.ts';

const proposal = (dueDates: string[], amountCents = 100): ProposalInput => ({
  coverLetter: 'Twenty characters at least.',
  jobDuration: 'LESS_THAN_A_MONTH',
  milestones: dueDates.map((dueDate) => ({ description: 'Work', amountCents, dueDate })),
});

describe('proposal input', () => {
  it("takes today's date and later, and refuses yesterday's, in UTC", () => {
    expect(todayUtc(new Date('2026-03-01T23:59:59.999-05:00'))).toBe('2026-03-02');
    expect(validProposal(proposal(['2026-03-02', '2027-01-01']), '2026-03-02').totalCents).toBe(200);
    expect(() => validProposal(proposal(['2026-03-02', '2026-03-01']), '2026-03-02')).toThrow(
      expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', field: 'input.milestones.1.dueDate' } }),
    );
  });

  it('refuses a total beyond a 32-bit Int, and takes one right at it', () => {
    const max = 2 ** 31 - 1;
    expect(validProposal({ ...proposal(['2030-01-01'], max) }, '2026-01-01').totalCents).toBe(max);
    expect(() => validProposal(proposal(['2030-01-01', '2030-01-02'], 2 ** 30), '2026-01-01')).toThrow(
      expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', field: 'input.milestones' } }),
    );
  });
});

describe('job filter', () => {
  it('turns a search into prefix terms that must all match, whatever syntax it contains', () => {
    expect(validJobFilter({ search: 'GraphQL  developers' }).searchQuery).toBe('GraphQL:* & developers:*');
    expect(validJobFilter({ search: "a&b | !c:* <-> 'd'" }).searchQuery).toBe('a:* & b:* & c:* & d:*');
    expect(validJobFilter({ search: 'Zürich 3D' }).searchQuery).toBe('Zürich:* & 3D:*');
    expect(validJobFilter({ search: ' !? ' }).searchQuery).toBeUndefined();
  });

  it('normalizes the skill like stored skills', () => {
    expect(validJobFilter({ skill: '  TypeScript ', status: 'OPEN' })).toEqual({ skill: 'typescript', status: 'OPEN' });
    expect(validJobFilter(null)).toEqual({});
  });
});
