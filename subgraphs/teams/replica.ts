import { inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { handleOnce } from '../../lib/bus/inbox.ts';
import type { ConsumerOptions } from '../../lib/bus/types.ts';
import type { Database } from '../../lib/db/index.ts';
import type { EventEnvelope } from '../../lib/events.ts';
import type { UserRegistered, UserUpdated } from '../../lib/event-types.ts';
import { isUuid } from '../../lib/validation.ts';
import { userReplicas, type UserReplicaRow } from './db/schema.ts';

export const USER_REPLICA_QUEUE = 'teams.user-replica';

/** The part of `user.registered` and `user.updated` (version 1) the replica keeps, checked before it is trusted. */
const userState = z.object({
  userId: z.string().refine(isUuid, 'must be a UUID'),
  name: z.string(),
  skills: z.array(z.object({ name: z.string(), level: z.number().int() })),
  revision: z.number().int(),
}) satisfies z.ZodType<Pick<UserRegistered & UserUpdated, 'userId' | 'name' | 'skills' | 'revision'>>;

export type UserReplica = ReturnType<typeof createUserReplica>;

/** Teams' own copy of each user's name and skills, fed by the users subgraph's events. */
export function createUserReplica(db: Database) {
  /**
   * Applies a user event at most once (the inbox), and only if it is newer than what the replica holds:
   * events may arrive twice or out of order, and the state of the highest revision wins.
   */
  async function apply(event: EventEnvelope): Promise<void> {
    if (event.version !== 1) throw new Error(`${event.type} version ${event.version} is not understood`);
    const user = userState.parse(event.data);
    await handleOnce(db, USER_REPLICA_QUEUE, event, async (tx) => {
      await tx
        .insert(userReplicas)
        .values({ id: user.userId, name: user.name, skills: user.skills, revision: user.revision })
        .onConflictDoUpdate({
          target: userReplicas.id,
          set: { name: sql`excluded.name`, skills: sql`excluded.skills`, revision: sql`excluded.revision`, updatedAt: sql`now()` },
          setWhere: sql`${userReplicas.revision} < excluded.revision`,
        });
    });
  }

  return {
    consumer: { queue: USER_REPLICA_QUEUE, bindings: ['user.registered', 'user.updated'], handler: apply } satisfies ConsumerOptions,

    /** One query for any number of ids; users teams has not heard of yet are simply absent. */
    async byIds(ids: readonly string[]): Promise<UserReplicaRow[]> {
      const valid = ids.filter(isUuid);
      if (valid.length === 0) return [];
      return db.select().from(userReplicas).where(inArray(userReplicas.id, valid));
    },
  };
}

/** The names of a user's skills, for matching; none when teams has not heard of the user yet. */
export function skillNamesOf(user: UserReplicaRow | null): ReadonlySet<string> {
  return new Set(user?.skills.map((skill) => skill.name) ?? []);
}
