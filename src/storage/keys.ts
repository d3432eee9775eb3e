import type { Kysely, Selectable } from 'kysely';
import type { DatabaseSchema, KeysTable } from './schema.js';
import type { KeyStatus, KeyUse, StoredKey, StoredKeyInput } from './types.js';

type Db = Kysely<DatabaseSchema>;

/** Return the keys of one use, newest first (the signing order for cookie keys). */
export async function listKeys(db: Db, use: KeyUse): Promise<StoredKey[]> {
  const rows = await db
    .selectFrom('keys')
    .selectAll()
    .where('use', '=', use)
    .orderBy('created_at', 'desc')
    .orderBy('kid')
    .execute();
  return rows.map(toStoredKey);
}

export async function insertKey(db: Db, key: StoredKeyInput): Promise<StoredKey> {
  const row = await db
    .insertInto('keys')
    .values({
      kid: key.kid,
      use: key.use,
      alg: key.alg,
      material_encrypted: key.materialEncrypted,
      status: key.status,
      created_at: Date.now(),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toStoredKey(row);
}

/** Returns false when no key has this kid. */
export async function setKeyStatus(db: Db, kid: string, status: KeyStatus): Promise<boolean> {
  const result = await db.updateTable('keys').set({ status }).where('kid', '=', kid).executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Write-lock the current keys for the rest of the transaction, so that two
 * key commands never both act on the same state. The no-op update works on
 * both databases. PostgreSQL locks the rows, so a second command waits and
 * its later reads see the first one's changes. SQLite takes its single
 * write lock, so a second command waits or fails with SQLITE_BUSY.
 */
export async function lockCurrentKeys(db: Db): Promise<void> {
  await db
    .updateTable('keys')
    .set((eb) => ({ status: eb.ref('status') }))
    .where('status', '=', 'current')
    .execute();
}

/** Returns false when no key has this kid. */
export async function deleteKey(db: Db, kid: string): Promise<boolean> {
  const result = await db.deleteFrom('keys').where('kid', '=', kid).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

function toStoredKey(row: Selectable<KeysTable>): StoredKey {
  return {
    kid: row.kid,
    use: row.use,
    alg: row.alg,
    materialEncrypted: row.material_encrypted,
    status: row.status,
    createdAt: row.created_at,
  };
}
