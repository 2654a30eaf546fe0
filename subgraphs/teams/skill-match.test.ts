import { describe, expect, it } from 'vitest';
import { matchSkills } from './skill-match.ts';

describe('matchSkills', () => {
  it('scores the share of required skills the developer has, keeping the team order', () => {
    expect(matchSkills(['rust', 'go', 'sql'], new Set(['sql', 'rust', 'docker']))).toEqual({ score: 2 / 3, matched: ['rust', 'sql'], missing: ['go'] });
    expect(matchSkills(['rust'], new Set())).toEqual({ score: 0, matched: [], missing: ['rust'] });
    expect(matchSkills(['rust', 'go'], new Set(['go', 'rust']))).toEqual({ score: 1, matched: ['rust', 'go'], missing: [] });
  });

  it('counts a team that requires nothing as a full match', () => {
    expect(matchSkills([], new Set(['go']))).toEqual({ score: 1, matched: [], missing: [] });
  });
});
