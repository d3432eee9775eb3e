import type { Kysely } from 'kysely';
import type { SealedIdentifier } from './identifier-cipher.js';
import type { DatabaseSchema } from './schema.js';
import type { IdentifierKind } from './types.js';

type Db = Kysely<DatabaseSchema>;

/** An identifier row as the re-encryption job reads it: still sealed. */
export interface SealedIdentifierRow {
  id: number;
  personId: string;
  kind: IdentifierKind;
  valueEncrypted: string;
  displayEncrypted: string | null;
  keyVersion: number;
}

/** Up to `limit` rows encrypted under a key older than `version`, with ids above `afterId`, in id order. */
export async function listIdentifiersBelowKeyVersion(db: Db, version: number, afterId: number, limit: number): Promise<SealedIdentifierRow[]> {
  const rows = await db
    .selectFrom('identifiers')
    .select(['id', 'person_id', 'kind', 'value_encrypted', 'display_encrypted', 'key_version'])
    .where('key_version', '<', version)
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    personId: row.person_id,
    kind: row.kind,
    valueEncrypted: row.value_encrypted,
    displayEncrypted: row.display_encrypted,
    keyVersion: row.key_version,
  }));
}

/**
 * Replace a row's ciphertexts if it is still under `fromVersion`. Returns
 * false when another writer changed the row (or deleted it) since it was
 * read; that writer sealed it under a current key already.
 */
export async function resealIdentifier(
  db: Db,
  id: number,
  fromVersion: number,
  sealed: Omit<SealedIdentifier, 'valueHmac'>,
): Promise<boolean> {
  const result = await db
    .updateTable('identifiers')
    .set({ value_encrypted: sealed.valueEncrypted, display_encrypted: sealed.displayEncrypted, key_version: sealed.keyVersion })
    .where('id', '=', id)
    .where('key_version', '=', fromVersion)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** How many identifier rows each data key version encrypts. */
export async function countIdentifiersByKeyVersion(db: Db): Promise<Map<number, number>> {
  const rows = await db
    .selectFrom('identifiers')
    .select((eb) => ['key_version', eb.fn.countAll<number | string>().as('count')])
    .groupBy('key_version')
    .orderBy('key_version')
    .execute();
  return new Map(rows.map((row) => [row.key_version, Number(row.count)]));
}
