import type { Kysely } from 'kysely';
import type { DatabaseSchema } from './schema.js';

type Db = Kysely<DatabaseSchema>;

export interface StoredDataKey {
  version: number;
  materialEncrypted: string;
  createdAt: number;
}

/** Every data key, oldest version first. */
export async function listDataKeys(db: Db): Promise<StoredDataKey[]> {
  const rows = await db.selectFrom('data_keys').selectAll().orderBy('version').execute();
  return rows.map((row) => ({ version: row.version, materialEncrypted: row.material_encrypted, createdAt: row.created_at }));
}

/**
 * Insert a data key unless its version exists. Returns false when another
 * process inserted that version first; the primary key decides the race.
 */
export async function insertDataKey(db: Db, version: number, materialEncrypted: string): Promise<boolean> {
  const inserted = await db
    .insertInto('data_keys')
    .values({ version, material_encrypted: materialEncrypted, created_at: Date.now() })
    .onConflict((conflict) => conflict.column('version').doNothing())
    .returning('version')
    .executeTakeFirst();
  return inserted !== undefined;
}

/**
 * Delete the data keys older than `belowVersion` that no identifier row
 * uses, and return their versions. The foreign key from identifiers rejects
 * the delete if a row starts using such a key meanwhile.
 */
export async function deleteUnusedDataKeys(db: Db, belowVersion: number): Promise<number[]> {
  const deleted = await db
    .deleteFrom('data_keys')
    .where('version', '<', belowVersion)
    .where((eb) => eb.not(eb.exists(eb.selectFrom('identifiers').select('id').whereRef('identifiers.key_version', '=', 'data_keys.version'))))
    .returning('version')
    .execute();
  return deleted.map((row) => row.version).sort((a, b) => a - b);
}
