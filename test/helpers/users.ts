import { randomUUID } from 'node:crypto';
import type { Stack } from './stack.ts';

export const REGISTER = /* GraphQL */ `
  mutation Register($input: RegisterInput!) {
    register(input: $input) { token user { id name email createdAt } }
  }
`;

/** Registers a user through the gateway and returns its id and token. */
export async function registerUser(stack: Stack, name = 'Ada', email = `${randomUUID()}@example.com`) {
  const response = await stack.graphql<{ register: { token: string; user: { id: string } } }>(REGISTER, {
    input: { email, password: 'correct horse battery', name },
  });
  if (!response.data?.register) throw new Error(`register failed: ${JSON.stringify(response.errors)}`);
  return { id: response.data.register.user.id, token: response.data.register.token, email };
}
