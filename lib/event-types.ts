/**
 * The catalog of event payloads (the `data` of the envelope), by type: what producers promise and
 * consumers rely on. A change that breaks a consumer gets a new `version`.
 */

export interface SkillPayload {
  name: string;
  level: number;
}

/** users → teams (skill replica), notifications (WELCOME). */
export interface UserRegistered {
  userId: string;
  name: string;
  skills: SkillPayload[];
  /** Grows with every change to the user: a replica keeps the state of the highest revision it saw. */
  revision: number;
}

/** users → teams (skill replica). Carries the full state, not a diff. */
export interface UserUpdated {
  userId: string;
  name: string;
  bio: string | null;
  skills: SkillPayload[];
  revision: number;
}

export interface EventPayloads {
  'user.registered': UserRegistered;
  'user.updated': UserUpdated;
}

export type EventType = keyof EventPayloads;
