import { BadUserInputError } from './errors.ts';

/** Skill and topic names are case-insensitive: stored trimmed and lower-case (`"TypeScript "` is `typescript`). */
export function normalizeSkillName(name: string, field: string): string {
  const normalized = name.trim().toLowerCase().replace(/\s+/g, ' ');
  if (normalized.length === 0) throw new BadUserInputError('A skill name cannot be empty', field);
  if (normalized.length > 50) throw new BadUserInputError('A skill name is at most 50 characters', field);
  return normalized;
}

/** Normalizes a list of skill names, dropping duplicates that differ only by case or spacing. */
export function normalizeSkillNames(names: readonly string[], field: string, max = 30): string[] {
  if (names.length > max) throw new BadUserInputError(`At most ${max} skills`, field);
  return [...new Set(names.map((name, index) => normalizeSkillName(name, `${field}.${index}`)))];
}

/** Trims a required text and checks its length. */
export function requireText(value: string, field: string, { min = 1, max }: { min?: number; max: number }): string {
  const trimmed = value.trim();
  if (trimmed.length < min) throw new BadUserInputError(min === 1 ? `${field} cannot be empty` : `${field} must be at least ${min} characters`, field);
  if (trimmed.length > max) throw new BadUserInputError(`${field} must be at most ${max} characters`, field);
  return trimmed;
}

/** Like requireText, for an optional text where empty means "none". */
export function optionalText(value: string | null | undefined, field: string, max: number): string | null {
  if (value === null || value === undefined) return null;
  const trimmed = value.trim();
  if (trimmed.length > max) throw new BadUserInputError(`${field} must be at most ${max} characters`, field);
  return trimmed === '' ? null : trimmed;
}

export function requireIntInRange(value: number, field: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new BadUserInputError(`${field} must be an integer from ${min} to ${max}`, field);
  return value;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Ids are UUIDs: anything else can match nothing, and must not reach SQL as a uuid cast error. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
