import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';

/**
 * A signing key of the benchmark's own and a pool of distinct tokens signed with it. The gateways
 * under test all get the same tokens; Skillgraph's verifies them (it is given the public key), the
 * others pass them on. Tokens are signed up front so the load generator spends its core on load.
 */
export function createTokenPool(size: number, issuer = 'skillgraph') {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const tokens = Array.from({ length: size }, () => `Bearer ${signJwt(privateKey, { sub: randomUUID(), iss: issuer })}`);
  let next = 0;
  return {
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    /** The next token, round the pool: distinct for `size` requests in a row. */
    next: () => tokens[next++ % size]!,
  };
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

function signJwt(privateKey: KeyObject, claims: { sub: string; iss: string }): string {
  const now = Math.floor(Date.now() / 1000);
  const signingInput = `${base64url({ alg: 'EdDSA' })}.${base64url({ ...claims, iat: now, exp: now + 24 * 3600 })}`;
  return `${signingInput}.${sign(null, Buffer.from(signingInput), privateKey).toString('base64url')}`;
}
