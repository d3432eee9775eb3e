import { generateKeyPairSync, randomBytes, type JsonWebKey } from 'node:crypto';
import type { Kysely } from 'kysely';
import { ConflictError, StorageError } from '../errors/index.js';
import type { DatabaseSchema } from '../storage/schema.js';
import { deleteKey, insertKey, listKeys, lockCurrentKeys, setKeyStatus } from '../storage/keys.js';
import type { KeyStatus, KeyUse, StoredKey } from '../storage/types.js';
import type { Sealer } from './sealer.js';

/** Signing algorithms published in the JWKS. RS256 comes first: it is every client's default. */
export const SIGNING_ALGORITHMS = ['RS256', 'ES256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/**
 * How many retired generations stay published (signing) or accepted
 * (cookies) after an activation, so that ID tokens and cookies issued before
 * it still verify.
 */
export const PREVIOUS_GENERATIONS_KEPT = 2;

export interface LoadedKeys {
  /**
   * Private JWKs: the current key of each algorithm first, then the staged
   * ones, then older ones. oidc-provider signs with the first key of each
   * algorithm, so staged keys are published before they sign.
   */
  jwks: Array<JsonWebKey & { kid: string; alg: string; use: 'sig' }>;
  /** Cookie-signing secrets: index 0 (the current key) signs, the staged and older ones still verify. */
  cookieKeys: string[];
}

/** A key of a new generation, without its material. Its kid is public: the JWKS lists it. */
export interface GenerationKey {
  kid: string;
  use: KeyUse;
  alg: string | null;
}

export interface ActivationResult {
  /** Kids of the keys that were current and are now previous. */
  retired: string[];
  /** Kids of the staged keys that are now current. */
  activated: string[];
  /** Kids of the keys older than PREVIOUS_GENERATIONS_KEPT generations, now deleted. */
  deleted: string[];
}

type Db = Kysely<DatabaseSchema>;

/** Every generation has one key of each signing algorithm and one cookie key. */
const FAMILIES: readonly string[] = [...SIGNING_ALGORITHMS.map((alg) => `sig:${alg}`), 'cookie:'];

/** Sort position of each status in the loaded keys: signing and cookie keys use the first matching key. */
const STATUS_ORDER: Readonly<Record<KeyStatus, number>> = { current: 0, next: 1, previous: 2 };

function familyOf(key: { use: KeyUse; alg: string | null }): string {
  return `${key.use}:${key.alg ?? ''}`;
}

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

async function addGeneration(db: Db, sealer: Sealer, status: 'current' | 'next'): Promise<GenerationKey[]> {
  const added: GenerationKey[] = [];
  for (const alg of SIGNING_ALGORITHMS) {
    const kid = newKid();
    const jwk = { ...generateSigningKey(alg), kid, alg, use: 'sig' };
    await insertKey(db, { kid, use: 'sig', alg, materialEncrypted: sealer.seal('signing-keys', JSON.stringify(jwk)), status });
    added.push({ kid, use: 'sig', alg });
  }
  const kid = newKid();
  const secret = randomBytes(32).toString('base64url');
  await insertKey(db, { kid, use: 'cookie', alg: null, materialEncrypted: sealer.seal('cookie-keys', secret), status });
  added.push({ kid, use: 'cookie', alg: null });
  return added;
}

async function listAllKeys(db: Db): Promise<StoredKey[]> {
  return [...(await listKeys(db, 'sig')), ...(await listKeys(db, 'cookie'))];
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
  await addGeneration(db, sealer, 'current');
  return true;
}

/**
 * Stage a new generation with status `next`. Nodes that load it publish its
 * signing keys and accept its cookie key, while the current keys still sign
 * and still key the throttle counters. Run inside a transaction. Throws
 * ConflictError when a generation is already staged.
 */
export async function stageKeys(db: Db, sealer: Sealer): Promise<GenerationKey[]> {
  await lockCurrentKeys(db);
  if ((await listAllKeys(db)).some((key) => key.status === 'next')) {
    throw new ConflictError(
      'A key generation is already staged. Restart every node so that each one loads it, then run `propusk keys activate`.',
    );
  }
  return addGeneration(db, sealer, 'next');
}

/**
 * Make the staged generation current. The old current keys become previous
 * and stay published, and generations beyond PREVIOUS_GENERATIONS_KEPT are
 * deleted. Run inside a transaction. Throws ConflictError when no
 * generation is staged.
 */
export async function activateKeys(db: Db): Promise<ActivationResult> {
  await lockCurrentKeys(db);
  const all = await listAllKeys(db);
  const staged = all.filter((key) => key.status === 'next');
  if (staged.length === 0) {
    throw new ConflictError(
      'No key generation is staged, so there is nothing to activate. Run `propusk keys stage`, restart every node, then run `propusk keys activate`.',
    );
  }
  checkComplete(staged);

  const retired: string[] = [];
  for (const key of all.filter((k) => k.status === 'current')) {
    await setKeyStatus(db, key.kid, 'previous');
    retired.push(key.kid);
  }
  for (const key of staged) {
    await setKeyStatus(db, key.kid, 'current');
  }
  const deleted = await deleteOldGenerations(db, all.filter((key) => key.status !== 'next'));
  return { retired, activated: staged.map((key) => key.kid), deleted };
}

/**
 * Stage and activate in one step, for a single node. On several nodes, those
 * not yet restarted would reject the new cookie key. A generation staged
 * earlier is activated instead of a new one, because running nodes may
 * already publish it, and `staged` is then empty. Run inside a transaction.
 */
export async function rotateKeys(db: Db, sealer: Sealer): Promise<ActivationResult & { staged: string[] }> {
  await lockCurrentKeys(db);
  const stagedEarlier = (await listAllKeys(db)).some((key) => key.status === 'next');
  const staged = stagedEarlier ? [] : await addGeneration(db, sealer, 'next');
  return { ...(await activateKeys(db)), staged: staged.map((key) => key.kid) };
}

/** Throw unless the staged keys are exactly one key of each family. */
function checkComplete(staged: readonly StoredKey[]): void {
  const found = staged.map(familyOf).sort();
  if (found.join(' ') !== [...FAMILIES].sort().join(' ')) {
    throw new StorageError(
      `The staged key generation is invalid: it has the keys ${found.join(', ')} but needs exactly one each of ${FAMILIES.join(', ')}. Delete the keys with status 'next' from the keys table and run \`propusk keys stage\` again.`,
    );
  }
}

/** Keep the newest PREVIOUS_GENERATIONS_KEPT of these keys in each family and delete the rest. */
async function deleteOldGenerations(db: Db, keys: readonly StoredKey[]): Promise<string[]> {
  const deleted: string[] = [];
  const seen = new Map<string, number>();
  for (const key of [...keys].sort((a, b) => b.createdAt - a.createdAt)) {
    const count = (seen.get(familyOf(key)) ?? 0) + 1;
    seen.set(familyOf(key), count);
    if (count > PREVIOUS_GENERATIONS_KEPT) {
      await deleteKey(db, key.kid);
      deleted.push(key.kid);
    }
  }
  return deleted;
}

/**
 * Read and decrypt every key: current, then staged, then previous. Within a
 * status, signing keys follow SIGNING_ALGORITHMS and then age, newest first.
 * oidc-provider 9 signs with the first key of the algorithm in this order
 * (KeyStore#selectForSign sorts candidates stably by score).
 * NOTE: a node calls this once, at start. oidc-provider 9 keeps the JWKS in
 * private state set by its constructor, and the interaction gateway, the
 * session reader and the logout-token issuer each hold the provider object.
 * Reloading keys would mean rebuilding and swapping all of them, so a key
 * change takes effect when a node restarts.
 */
export async function loadKeys(db: Db, sealer: Sealer): Promise<LoadedKeys> {
  // listKeys returns newest first, and Array#sort is stable, so age stays the last criterion.
  const byStatus = (a: StoredKey, b: StoredKey): number => STATUS_ORDER[a.status] - STATUS_ORDER[b.status];
  const algorithmOrder = (alg: string | null): number => SIGNING_ALGORITHMS.indexOf((alg ?? '') as SigningAlgorithm);

  const signing = (await listKeys(db, 'sig')).sort((a, b) => byStatus(a, b) || algorithmOrder(a.alg) - algorithmOrder(b.alg));
  const jwks = signing.map((k) => JSON.parse(sealer.open('signing-keys', k.materialEncrypted)) as LoadedKeys['jwks'][number]);
  const cookieKeys = (await listKeys(db, 'cookie')).sort(byStatus).map((k) => sealer.open('cookie-keys', k.materialEncrypted));
  return { jwks, cookieKeys };
}
