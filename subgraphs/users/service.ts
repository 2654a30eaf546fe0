import { eq, inArray, sql } from 'drizzle-orm';
import type { TokenSigner } from '../../lib/auth.ts';
import { isUniqueViolation } from '../../lib/db/index.ts';
import { BadUserInputError, ConflictError, NotFoundError, UnauthenticatedError } from '../../lib/errors.ts';
import type { UserRegistered, UserUpdated } from '../../lib/event-types.ts';
import type { SubgraphDeps } from '../../lib/subgraph.ts';
import { isUuid, normalizeSkillName, optionalText, requireIntInRange, requireText } from '../../lib/validation.ts';
import { decoyHash, hashPassword, verifyPassword } from './passwords.ts';
import { users, type SkillRow, type UserRow } from './db/schema.ts';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MAX_SKILLS = 50;

export interface RegisterInput {
  email: string;
  password: string;
  name: string;
}

export interface AuthResult {
  token: string;
  user: UserRow;
}

export type UsersService = ReturnType<typeof createUsersService>;

export function createUsersService(deps: SubgraphDeps, signer: TokenSigner) {
  const { db } = deps;

  const updatedEvent = (user: UserRow): UserUpdated => ({
    userId: user.id,
    name: user.name,
    bio: user.bio,
    skills: user.skills,
    revision: user.revision,
  });

  return {
    /** One query for any number of ids; unknown (or malformed) ids are simply absent. */
    async byIds(ids: readonly string[]): Promise<UserRow[]> {
      const valid = ids.filter(isUuid);
      if (valid.length === 0) return [];
      return db.select().from(users).where(inArray(users.id, valid));
    },

    async register(input: RegisterInput, correlationId: string): Promise<AuthResult> {
      const email = normalizeEmail(input.email);
      if (input.password.length < 8) throw new BadUserInputError('Password must be at least 8 characters', 'input.password');
      if (input.password.length > 200) throw new BadUserInputError('Password must be at most 200 characters', 'input.password');
      const name = requireText(input.name, 'input.name', { max: 100 });
      const passwordHash = await hashPassword(input.password);

      try {
        const user = await deps.transaction(correlationId, async ({ tx, emit }) => {
          const [created] = await tx
            .insert(users)
            .values({ id: crypto.randomUUID(), email, name, passwordHash })
            .returning();
          await emit<UserRegistered>('user.registered', { userId: created!.id, name, skills: [], revision: created!.revision });
          return created!;
        });
        return { token: await signer.sign(user.id), user };
      } catch (error) {
        if (isUniqueViolation(error)) throw new ConflictError('An account with this email already exists');
        throw error;
      }
    },

    async login(emailInput: string, password: string): Promise<AuthResult> {
      const email = emailInput.trim().toLowerCase();
      const [user] = await db.select().from(users).where(eq(users.email, email));
      // Same work and same answer whether the email is unknown or the password wrong.
      const matches = await verifyPassword(password, user?.passwordHash ?? (await decoyHash()));
      if (!user || !matches) throw new UnauthenticatedError('Invalid email or password');
      return { token: await signer.sign(user.id), user };
    },

    async updateProfile(userId: string, input: { name?: string | null; bio?: string | null }, correlationId: string): Promise<UserRow> {
      const changes: Partial<Pick<UserRow, 'name' | 'bio'>> = {};
      if (input.name !== undefined && input.name !== null) changes.name = requireText(input.name, 'input.name', { max: 100 });
      if (input.bio !== undefined) changes.bio = optionalText(input.bio, 'input.bio', 2000);
      return updateUser(userId, changes, correlationId);
    },

    async setSkills(userId: string, skills: ReadonlyArray<SkillRow>, correlationId: string): Promise<UserRow> {
      return updateUser(userId, { skills: normalizeSkills(skills) }, correlationId);
    },
  };

  async function updateUser(userId: string, changes: Partial<Pick<UserRow, 'name' | 'bio' | 'skills'>>, correlationId: string) {
    return deps.transaction(correlationId, async ({ tx, emit }) => {
      const [user] = await tx
        .update(users)
        .set({ ...changes, revision: sql`${users.revision} + 1`, updatedAt: new Date() })
        .where(eq(users.id, userId))
        .returning();
      if (!user) throw new NotFoundError('User', userId);
      await emit<UserUpdated>('user.updated', updatedEvent(user));
      return user;
    });
  }
}

function normalizeEmail(input: string): string {
  const email = input.trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email)) throw new BadUserInputError('Email is not a valid address', 'input.email');
  return email;
}

/** Trimmed lower-case names, levels 1..5, no name twice; kept sorted so every reader sees one order. */
function normalizeSkills(skills: ReadonlyArray<SkillRow>): SkillRow[] {
  if (skills.length > MAX_SKILLS) throw new BadUserInputError(`At most ${MAX_SKILLS} skills`, 'skills');
  const byName = new Map<string, SkillRow>();
  skills.forEach((skill, index) => {
    const name = normalizeSkillName(skill.name, `skills.${index}.name`);
    if (byName.has(name)) throw new BadUserInputError(`Skill "${name}" is listed twice`, `skills.${index}.name`);
    byName.set(name, { name, level: requireIntInRange(skill.level, `skills.${index}.level`, 1, 5) });
  });
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}
