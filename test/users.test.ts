import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, startStack, type Stack } from './helpers/stack.ts';
import { REGISTER, registerUser } from './helpers/users.ts';

const LOGIN = /* GraphQL */ `
  mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) { token user { id email } }
  }
`;
const ME = /* GraphQL */ `query { me { id name email bio skills { name level } } }`;

describe('users through the gateway, on the embedded default', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ services: ['gateway', 'users'] });
  });
  afterAll(() => stack?.destroy());

  it('registers, logs in and shows the caller their own email only', async () => {
    const ada = await registerUser(stack, 'Ada', 'Ada@Example.com ');
    expect(ada.token.split('.')).toHaveLength(3);

    const login = await stack.graphql(LOGIN, { email: 'ada@example.com', password: 'correct horse battery' });
    expect(login.data?.login.user).toEqual({ id: ada.id, email: 'ada@example.com' });

    const me = await stack.graphql(ME, {}, { token: login.data!.login.token });
    expect(me.data?.me).toMatchObject({ id: ada.id, name: 'Ada', email: 'ada@example.com', skills: [] });

    const grace = await registerUser(stack, 'Grace');
    const seenByGrace = await stack.graphql(`query($id: ID!) { user(id: $id) { id name email } }`, { id: ada.id }, { token: grace.token });
    expect(seenByGrace.data?.user).toEqual({ id: ada.id, name: 'Ada', email: null });
    const seenAnonymously = await stack.graphql(`query($id: ID!) { user(id: $id) { email } }`, { id: ada.id });
    expect(seenAnonymously.data?.user).toEqual({ email: null });
  });

  it('answers null for me when anonymous and for an unknown user', async () => {
    expect((await stack.graphql(ME)).data).toEqual({ me: null });
    const unknown = await stack.graphql(`query { a: user(id: "00000000-0000-4000-8000-000000000000") { id } b: user(id: "not-a-uuid") { id } }`);
    expect(unknown.data).toEqual({ a: null, b: null });
  });

  it('stores skills trimmed and lower-case, sorted, and replaces the whole set', async () => {
    const user = await registerUser(stack);
    const set = await stack.graphql(
      `mutation($skills: [SkillInput!]!) { setSkills(skills: $skills) { skills { name level } } }`,
      { skills: [{ name: ' TypeScript ', level: 4 }, { name: 'GraphQL', level: 3 }] },
      { token: user.token },
    );
    expect(set.data?.setSkills.skills).toEqual([{ name: 'graphql', level: 3 }, { name: 'typescript', level: 4 }]);

    const replaced = await stack.graphql(`mutation { setSkills(skills: [{ name: "Redis", level: 2 }]) { skills { name level } } }`, {}, { token: user.token });
    expect(replaced.data?.setSkills.skills).toEqual([{ name: 'redis', level: 2 }]);
  });

  it('refuses bad skills with the field at fault', async () => {
    const user = await registerUser(stack);
    const level = await stack.graphql(`mutation { setSkills(skills: [{ name: "go", level: 6 }]) { id } }`, {}, { token: user.token });
    expect(errorCode(level)).toBe('BAD_USER_INPUT');
    expect(level.errors?.[0]?.extensions?.field).toBe('skills.0.level');
    const twice = await stack.graphql(`mutation { setSkills(skills: [{ name: "Go", level: 1 }, { name: " go", level: 2 }]) { id } }`, {}, { token: user.token });
    expect(errorCode(twice)).toBe('BAD_USER_INPUT');
    const empty = await stack.graphql(`mutation { setSkills(skills: [{ name: "  ", level: 1 }]) { id } }`, {}, { token: user.token });
    expect(errorCode(empty)).toBe('BAD_USER_INPUT');
  });

  it('updates the profile', async () => {
    const user = await registerUser(stack);
    const updated = await stack.graphql(
      `mutation { updateProfile(input: { name: "  Ada L. ", bio: "Engines" }) { name bio } }`,
      {},
      { token: user.token },
    );
    expect(updated.data?.updateProfile).toEqual({ name: 'Ada L.', bio: 'Engines' });
    const cleared = await stack.graphql(`mutation { updateProfile(input: { bio: "" }) { name bio } }`, {}, { token: user.token });
    expect(cleared.data?.updateProfile).toEqual({ name: 'Ada L.', bio: null });
    const blank = await stack.graphql(`mutation { updateProfile(input: { name: " " }) { name } }`, {}, { token: user.token });
    expect(errorCode(blank)).toBe('BAD_USER_INPUT');
    expect(blank.errors?.[0]?.extensions?.field).toBe('input.name');
  });

  it('gives CONFLICT for a taken email, whatever its case', async () => {
    const { email } = await registerUser(stack);
    const again = await stack.graphql(REGISTER, { input: { email: email.toUpperCase(), password: 'another password', name: 'Other' } });
    expect(errorCode(again)).toBe('CONFLICT');
  });

  it('gives BAD_USER_INPUT for a short password or a bad email, naming the field', async () => {
    const short = await stack.graphql(REGISTER, { input: { email: 'short@example.com', password: 'abc', name: 'Short' } });
    expect(errorCode(short)).toBe('BAD_USER_INPUT');
    expect(short.errors?.[0]?.extensions?.field).toBe('input.password');
    const email = await stack.graphql(REGISTER, { input: { email: 'not-an-email', password: 'long enough', name: 'X' } });
    expect(email.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.email' });
  });

  it('answers a wrong password and an unknown email the same way', async () => {
    const { email } = await registerUser(stack);
    const wrong = await stack.graphql(LOGIN, { email, password: 'wrong password' });
    const unknown = await stack.graphql(LOGIN, { email: 'nobody@example.com', password: 'wrong password' });
    expect(errorCode(wrong)).toBe('UNAUTHENTICATED');
    expect(unknown.errors?.[0]).toEqual(wrong.errors?.[0]);
  });

  it('refuses a tampered token, and auth operations without one', async () => {
    const { token } = await registerUser(stack);
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const forged = [header, Buffer.from(JSON.stringify({ ...claims, sub: '00000000-0000-4000-8000-000000000000' })).toString('base64url'), signature].join('.');
    expect(errorCode(await stack.graphql(ME, {}, { token: forged }))).toBe('UNAUTHENTICATED');
    expect(errorCode(await stack.graphql(ME, {}, { token: `${token.slice(0, -4)}AAAA` }))).toBe('UNAUTHENTICATED');
    expect(errorCode(await stack.graphql(`mutation { updateProfile(input: { bio: "x" }) { id } }`))).toBe('UNAUTHENTICATED');
  });

  it('never returns a password or its hash', async () => {
    const response = await stack.graphql(`{ __type(name: "User") { fields { name } } }`);
    const fields = response.data?.__type.fields.map((field: { name: string }) => field.name);
    expect(fields).not.toContain('password');
    expect(fields).not.toContain('passwordHash');
  });

  it('publishes user.registered and user.updated with the contract envelope', async () => {
    const seen: Array<{ type: string; data: any; producer: string; correlationId: string; version: number }> = [];
    const consumer = await stack.runtime.bus.consume({ queue: 'test.users-events', bindings: ['user.*'], handler: async (event) => void seen.push(event as any) });
    try {
      const user = await registerUser(stack, 'Evented');
      await stack.graphql(`mutation { setSkills(skills: [{ name: "Docker", level: 3 }]) { id } }`, {}, { token: user.token });
      await expect.poll(() => seen.filter((event) => event.data.userId === user.id).length, { timeout: 5000 }).toBe(2);
      const [registered, updated] = seen.filter((event) => event.data.userId === user.id);
      expect(registered).toMatchObject({ type: 'user.registered', version: 1, producer: 'users', data: { name: 'Evented', skills: [], revision: 1 } });
      expect(updated).toMatchObject({ type: 'user.updated', data: { skills: [{ name: 'docker', level: 3 }], revision: 2 } });
      expect(registered!.correlationId).toMatch(/[0-9a-f-]{36}/);
    } finally {
      await consumer.stop();
    }
  });
});

describe('users across a restart', () => {
  it('keeps users and the signing key: an old token still works', async () => {
    const first = await startStack({ services: ['gateway', 'users'] });
    const ada = await registerUser(first, 'Persistent');
    await first.stop();

    const second = await startStack({ services: ['gateway', 'users'], dataDir: first.dataDir });
    try {
      const me = await second.graphql(ME, {}, { token: ada.token });
      expect(me.data?.me).toMatchObject({ id: ada.id, name: 'Persistent' });
    } finally {
      await second.destroy();
    }
  });
});
