import { randomBytes } from 'node:crypto';

import { hash, parseOptions, verify, type Algorithm, type Options } from '@node-rs/argon2';

// The package declares Algorithm and Version as const enums. isolatedModules forbids reading
// them as values, and at run time the package exports them as empty objects, so the numeric
// values from its index.d.ts are spelled out here.
const ARGON2ID = 2 as Algorithm;
const VERSION_0X13 = 1;

/**
 * Current argon2id parameters: the minimum of the OWASP Password Storage Cheat Sheet
 * (memoryCost 19456 KiB = 19 MiB, 2 passes, 1 lane).
 * Every hash stores them in its PHC string, so raising them here only affects new hashes,
 * and verifyPassword reports older hashes through `needsRehash`.
 */
export const PASSWORD_HASH_PARAMETERS = Object.freeze({
  algorithm: ARGON2ID,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
  outputLen: 32,
} satisfies Options);

export interface PasswordVerification {
  ok: boolean;
  /** Whether the password matched and the stored hash uses weaker parameters, so the caller should store a new hash. */
  needsRehash: boolean;
}

/**
 * Policy of a hasher with a bounded queue for a job it cannot start soon.
 * With `reject` it raises OverloadedError when the expected wait exceeds the
 * limit. With `wait` it queues the job whatever the wait.
 */
export type HashAdmission = 'reject' | 'wait';

export interface HashJobOptions {
  /** Defaults to `reject`. */
  admission?: HashAdmission;
}

/**
 * Password hashing as the login and the password change use it. The server
 * runs it on the worker pool (hash-pooled.ts); the importer and the tests use
 * libuvPasswordHasher below.
 */
export interface PasswordHasher {
  hashPassword(plain: string, options?: HashJobOptions): Promise<string>;
  verifyPassword(storedHash: string, plain: string, options?: HashJobOptions): Promise<PasswordVerification>;
  verifyAgainstDummy(plain: string, options?: HashJobOptions): Promise<PasswordVerification>;
  /** Raises OverloadedError when a job with `reject` admission would be rejected now. */
  checkAdmission(): void;
}

/**
 * Applies NFKC, so that the same password typed on different keyboards or input methods
 * (fullwidth forms, ligatures, composed or decomposed accents) gives the same hash.
 * Hashing and verifying both go through this function. The password is never truncated.
 */
export function normalizePassword(plain: string): string {
  return plain.normalize('NFKC');
}

/** Hashes a password with argon2id on the libuv thread pool. Returns a PHC string. */
export async function hashPassword(plain: string): Promise<string> {
  return hash(normalizePassword(plain), PASSWORD_HASH_PARAMETERS);
}

/**
 * Verifies a password against a stored PHC string on the libuv thread pool.
 * Rejects when the stored string is not a valid argon2 hash, because that is corrupt data
 * and not a wrong password.
 */
export async function verifyPassword(storedHash: string, plain: string): Promise<PasswordVerification> {
  const ok = await verify(storedHash, normalizePassword(plain));
  return { ok, needsRehash: ok && isBelowCurrentParameters(storedHash) };
}

/** Check whether a stored PHC string uses weaker parameters than PASSWORD_HASH_PARAMETERS. */
export function isBelowCurrentParameters(storedHash: string): boolean {
  const stored = parseOptions(storedHash);
  const current = PASSWORD_HASH_PARAMETERS;
  return (
    stored.algorithm !== current.algorithm ||
    stored.version !== VERSION_0X13 ||
    stored.memoryCost < current.memoryCost ||
    stored.timeCost < current.timeCost ||
    stored.parallelism < current.parallelism ||
    stored.outputLen < current.outputLen
  );
}

let dummyHash: Promise<string> | undefined;

/**
 * Runs a verification that costs the same as verifyPassword and always returns
 * `{ ok: false }`. Call it when the identifier matches no account with a password, so the
 * response time does not reveal whether the account exists.
 */
export async function verifyAgainstDummy(plain: string): Promise<PasswordVerification> {
  await verify(await prepareDummyHash(), normalizePassword(plain));
  return { ok: false, needsRehash: false };
}

/**
 * Make the dummy hash now. The server calls this at start, so that the first
 * login with an unknown identifier does not take twice as long as the others.
 */
export function prepareDummyHash(): Promise<string> {
  dummyHash ??= hash(randomBytes(32).toString('base64url'), PASSWORD_HASH_PARAMETERS);
  return dummyHash;
}

/**
 * The functions above as a PasswordHasher. They run on the libuv thread pool,
 * whose queue has no bound, so admission options are ignored and
 * checkAdmission never raises.
 */
export const libuvPasswordHasher: PasswordHasher = {
  hashPassword: (plain) => hashPassword(plain),
  verifyPassword: (storedHash, plain) => verifyPassword(storedHash, plain),
  verifyAgainstDummy: (plain) => verifyAgainstDummy(plain),
  checkAdmission: () => undefined,
};
