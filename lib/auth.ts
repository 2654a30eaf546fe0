import { randomUUID } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportPKCS8, exportSPKI, generateKeyPair, importPKCS8, importSPKI, jwtVerify, SignJWT, errors as joseErrors } from 'jose';
import type { Config } from './config.ts';
import { UnauthenticatedError } from './errors.ts';

const ALGORITHM = 'EdDSA';

export interface Identity {
  userId: string;
  /** Seconds since the epoch: a subscription ends when its token does. */
  expiresAt: number;
}

export interface TokenVerifier {
  /** Throws UnauthenticatedError for a missing signature, a tampered or expired token. */
  verify(token: string): Promise<Identity>;
}

export interface TokenSigner {
  sign(userId: string): Promise<string>;
}

interface KeyPairPem {
  privateKey: string;
  publicKey: string;
}

/**
 * The key pair: from `JWT_PRIVATE_KEY` / `JWT_PUBLIC_KEY` when set (production), else generated once
 * under the data directory and kept, so tokens outlive a restart.
 */
export async function loadKeyPem(config: Config): Promise<KeyPairPem | { publicKey: string; privateKey?: undefined }> {
  if (config.jwt.publicKey) return { publicKey: config.jwt.publicKey, privateKey: config.jwt.privateKey };
  return loadOrCreateKeyFile(join(config.dataDir, 'jwt-keys.json'));
}

/**
 * Several processes may start together on one data directory (docker compose shares it): the key file
 * is written aside and hard-linked into place, which fails if another process got there first, and
 * then everyone reads the one that won.
 */
async function loadOrCreateKeyFile(path: string): Promise<KeyPairPem> {
  if (!existsSync(path)) {
    const { privateKey, publicKey } = await generateKeyPair(ALGORITHM, { extractable: true });
    const pem: KeyPairPem = { privateKey: await exportPKCS8(privateKey), publicKey: await exportSPKI(publicKey) };
    mkdirSync(join(path, '..'), { recursive: true });
    const draft = `${path}.${randomUUID()}`;
    writeFileSync(draft, JSON.stringify(pem), { mode: 0o600 });
    try {
      linkSync(draft, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(draft);
    }
  }
  return JSON.parse(readFileSync(path, 'utf8')) as KeyPairPem;
}

export async function createTokenVerifier(publicKeyPem: string, issuer: string): Promise<TokenVerifier> {
  const key = await importSPKI(publicKeyPem, ALGORITHM);
  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, { issuer, algorithms: [ALGORITHM] });
        if (typeof payload.sub !== 'string' || typeof payload.exp !== 'number') throw new UnauthenticatedError('Invalid token');
        return { userId: payload.sub, expiresAt: payload.exp };
      } catch (error) {
        if (error instanceof UnauthenticatedError) throw error;
        if (error instanceof joseErrors.JWTExpired) throw new UnauthenticatedError('Token expired');
        throw new UnauthenticatedError('Invalid token');
      }
    },
  };
}

export async function createTokenSigner(privateKeyPem: string, options: { issuer: string; ttlSeconds: number }): Promise<TokenSigner> {
  const key = await importPKCS8(privateKeyPem, ALGORITHM);
  return {
    sign: (userId) =>
      new SignJWT({})
        .setProtectedHeader({ alg: ALGORITHM })
        .setSubject(userId)
        .setIssuer(options.issuer)
        .setIssuedAt()
        .setExpirationTime(`${options.ttlSeconds}s`)
        .sign(key),
  };
}

/** `Bearer <token>` → token; anything else that is present is a malformed credential. */
export function bearerToken(header: string | undefined | null): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new UnauthenticatedError('Authorization must be "Bearer <token>"');
  return match[1];
}
