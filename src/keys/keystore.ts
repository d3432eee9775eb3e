import { generateKeyPairSync, randomBytes, type JsonWebKey } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../storage/schema.js';
import { deleteKey, insertKey, listKeys, setKeyStatus } from '../storage/keys.js';
import type { Sealer } from './sealer.js';

/** Signing algorithms published in the JWKS. RS256 comes first: it is every client's default. */
export const SIGNING_ALGORITHMS = ['RS256', 'ES256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/**
 * How many retired generations stay published (signing) or accepted
 * (cookies) after a rotation, so that ID tokens and cookies issued before it
 * still verify.
 */
export const PREVIOUS_GENERATIONS_KEPT = 2;

export interface LoadedKeys {
  /** Private JWKs: the current key of each algorithm first, then older ones. */
  jwks: Array<JsonWebKey & { kid: string; alg: string; use: 'sig' }>;
  /** Cookie-signing secrets: index 0 signs, the rest still verify. */
  cookieKeys: string[];
}

type Db = Kysely<DatabaseSchema>;

function newKid(): string {
  return randomBytes(12).toString('base64url');
}

function generateSigningKey(alg: SigningAlgorithm): JsonWebKey {
  const pair =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return pair.privateKey.export({ format: 'jwk' });
}

async function addCurrentKeys(db: Db, sealer: Sealer): Promise<void> {
  for (const alg of SIGNING_ALGORITHMS) {
    const kid = newKid();
    const jwk = { ...generateSigningKey(alg), kid, alg, use: 'sig' };
    await insertKey(db, { kid, use: 'sig', alg, materialEncrypted: sealer.seal('signing-keys', JSON.stringify(jwk)), status: 'current' });
  }
  const secret = randomBytes(32).toString('base64url');
  await insertKey(db, { kid: newKid(), use: 'cookie', alg: null, materialEncrypted: sealer.seal('cookie-keys', secret), status: 'current' });
}

/**
 * Create the first generation of keys when the database has none. Run inside
 * a transaction: two nodes starting together then cannot both create keys.
 */
export async function ensureKeys(db: Db, sealer: Sealer): Promise<boolean> {
  const existing = await listKeys(db, 'sig');
  if (existing.length > 0) {
    return false;
  }
  await addCurrentKeys(db, sealer);
  return true;
}

/**
 * Make a new generation current. The old current keys become previous and
 * stay published; generations beyond PREVIOUS_GENERATIONS_KEPT are deleted.
 * Run inside a transaction.
 */
export async function rotateKeys(db: Db, sealer: Sealer): Promise<{ retired: string[]; deleted: string[] }> {
  const all = [...(await listKeys(db, 'sig')), ...(await listKeys(db, 'cookie'))];
  const retired: string[] = [];
  for (const key of all.filter((k) => k.status === 'current')) {
    await setKeyStatus(db, key.kid, 'previous');
    retired.push(key.kid);
  }

  // Keep the newest PREVIOUS_GENERATIONS_KEPT keys of each use and algorithm.
  const deleted: string[] = [];
  const seen = new Map<string, number>();
  for (const key of [...all].sort((a, b) => b.createdAt - a.createdAt)) {
    const family = `${key.use}:${key.alg ?? ''}`;
    const count = (seen.get(family) ?? 0) + 1;
    seen.set(family, count);
    if (count > PREVIOUS_GENERATIONS_KEPT) {
      await deleteKey(db, key.kid);
      deleted.push(key.kid);
    }
  }

  await addCurrentKeys(db, sealer);
  return { retired, deleted };
}

/** Read and decrypt every key, in the order oidc-provider expects. */
export async function loadKeys(db: Db, sealer: Sealer): Promise<LoadedKeys> {
  const byAge = <T extends { status: string; createdAt: number }>(a: T, b: T): number =>
    (a.status === 'current' ? 0 : 1) - (b.status === 'current' ? 0 : 1) || b.createdAt - a.createdAt;

  const signing = (await listKeys(db, 'sig')).sort(byAge);
  const order = (alg: string | null): number => SIGNING_ALGORITHMS.indexOf((alg ?? '') as SigningAlgorithm);
  const current = signing.filter((k) => k.status === 'current').sort((a, b) => order(a.alg) - order(b.alg));
  const previous = signing.filter((k) => k.status !== 'current');

  const jwks = [...current, ...previous].map((k) => JSON.parse(sealer.open('signing-keys', k.materialEncrypted)) as LoadedKeys['jwks'][number]);
  const cookieKeys = (await listKeys(db, 'cookie')).sort(byAge).map((k) => sealer.open('cookie-keys', k.materialEncrypted));
  return { jwks, cookieKeys };
}
