import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { StorageError } from '../errors/index.js';
import { deleteUnusedDataKeys, insertDataKey, listDataKeys } from '../storage/data-keys.js';
import type { DatabaseSchema } from '../storage/schema.js';
import { KEY_BYTES } from './aes-gcm.js';
import type { Sealer } from './sealer.js';

type Db = Kysely<DatabaseSchema>;

/**
 * The data keys that encrypt identifiers, by version. Each is 32 random
 * bytes stored sealed with the master key, so a new version is a new key
 * and not one more derivation of the same master key.
 */
export interface DataKeyring {
  currentVersion: number;
  keys: ReadonlyMap<number, Buffer>;
}

const FIRST_VERSION = 1;

function newSealedKey(sealer: Sealer): string {
  return sealer.seal('data-keys', randomBytes(KEY_BYTES).toString('base64url'));
}

/** Create data key version 1 when there is none. Returns whether this call created it. */
export async function ensureDataKey(db: Db, sealer: Sealer): Promise<boolean> {
  if ((await listDataKeys(db)).length > 0) {
    return false;
  }
  return insertDataKey(db, FIRST_VERSION, newSealedKey(sealer));
}

/** Read and unseal every data key; the highest version is current. */
export async function loadDataKeyring(db: Db, sealer: Sealer): Promise<DataKeyring> {
  const stored = await listDataKeys(db);
  const newest = stored.at(-1);
  if (newest === undefined) {
    throw new StorageError('The database has no data key for identifiers: start Propusk or run `propusk migrate` to create one');
  }
  const keys = new Map(stored.map((key) => [key.version, Buffer.from(sealer.open('data-keys', key.materialEncrypted), 'base64url')]));
  return { currentVersion: newest.version, keys };
}

/**
 * Add a data key one version above the newest and return its version. Rows
 * keep their old version until the re-encryption job reaches them; readers
 * load the new key when they first meet it. Throws when another rotation
 * took the same version at the same moment.
 */
export async function rotateDataKey(db: Db, sealer: Sealer): Promise<number> {
  const newest = (await listDataKeys(db)).at(-1)?.version ?? 0;
  const version = newest + 1;
  if (!(await insertDataKey(db, version, newSealedKey(sealer)))) {
    throw new StorageError(`Data key version ${version} was created by another rotation running at the same time; run the rotation again`);
  }
  return version;
}

/**
 * Delete the keys that no row uses any more, except the current one and the
 * one before it: a node that has not yet reloaded its keys may still write
 * with that previous version for up to one re-encryption interval.
 */
export async function deleteRetiredDataKeys(db: Db, currentVersion: number): Promise<number[]> {
  return deleteUnusedDataKeys(db, currentVersion - 1);
}
