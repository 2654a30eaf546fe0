import { sql, type AnyColumn, type SQL } from 'drizzle-orm';

/**
 * How well a developer's skills cover what a team asks for: the share of the team's required skills the
 * developer has declared, from 0 (none) to 1 (all). A team that requires nothing is a full match: the
 * developer lacks nothing it asks for, and `missing` is empty exactly when the score is 1.
 *
 * The formula lives here twice, side by side: in TypeScript for `Team.skillMatch`, and in SQL so that
 * `recommendedTeams` ranks every open team in the database without loading them. Keep the two equal
 * (the tests check that the ranking follows the scores `skillMatch` shows).
 */

export interface SkillMatch {
  score: number;
  /** Required skills the developer has, in the team's order. */
  matched: string[];
  /** Required skills the developer lacks, in the team's order. */
  missing: string[];
}

export function matchSkills(requiredSkills: readonly string[], skills: ReadonlySet<string>): SkillMatch {
  const matched = requiredSkills.filter((skill) => skills.has(skill));
  const missing = requiredSkills.filter((skill) => !skills.has(skill));
  return { score: requiredSkills.length === 0 ? 1 : matched.length / requiredSkills.length, matched, missing };
}

/** `matchSkills(...).score` as an SQL expression over a `text[]` column of required skills. */
export function skillMatchScoreSql(requiredSkills: AnyColumn, skills: ReadonlySet<string>): SQL<number> {
  return sql<number>`CASE WHEN cardinality(${requiredSkills}) = 0 THEN 1.0
    ELSE (SELECT count(*) FROM unnest(${requiredSkills}) AS required(skill) WHERE required.skill = ANY(${sql.param([...skills])}::text[]))::float8
      / cardinality(${requiredSkills}) END`;
}
