import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../database.js';
import type { IdentifierCipher } from '../identifier-cipher.js';
import { PLAINTEXT_IDENTIFIERS_TABLE } from '../migrations/0005_identifier_encryption.js';
import type { IdentifierKind } from '../types.js';
import type { DataMigration } from './data-migration.js';

/** Rows read per query, so a large table is not held in memory at once. */
const BATCH_SIZE = 500;

interface PlaintextRow {
  id: number;
  person_id: string;
  kind: IdentifierKind;
  value: string;
  display: string | null;
  verified: number;
  created_at: number;
}

/*
 * Encrypt the identifiers that schema migration 0005 moved aside, keeping
 * each row's id, then drop the plaintext table. On SQLite, secure_delete
 * makes the freed pages zeros instead of leaving the old values in the file.
 * Without the plaintext table (a new database, where schema migration 0005
 * dropped it empty) it does nothing.
 */
export const encryptIdentifiersMigration: DataMigration = {
  async up(db, dialect, { identifiers }) {
    if (!(await tableExists(db, dialect, PLAINTEXT_IDENTIFIERS_TABLE))) {
      return;
    }
    const restoreSecureDelete = dialect === 'sqlite' ? await enableSecureDelete(db) : undefined;
    try {
      let lastId = 0;
      for (;;) {
        const rows = (await db
          .selectFrom(PLAINTEXT_IDENTIFIERS_TABLE)
          .selectAll()
          .where('id', '>', lastId)
          .orderBy('id')
          .limit(BATCH_SIZE)
          .execute()) as PlaintextRow[];
        for (const row of rows) {
          await insertEncrypted(db, dialect, identifiers, row);
        }
        const last = rows.at(-1);
        if (last === undefined) {
          break;
        }
        lastId = last.id;
      }
      await db.schema.dropTable(PLAINTEXT_IDENTIFIERS_TABLE).execute();
    } finally {
      await restoreSecureDelete?.();
    }
    if (dialect === 'postgres') {
      // Rows inserted with their own ids did not advance the identity sequence.
      await sql`select setval(pg_get_serial_sequence('identifiers', 'id'), coalesce(max(id), 0) + 1, false) from identifiers`.execute(db);
    }
  },
};

async function insertEncrypted(db: Kysely<any>, dialect: DialectName, cipher: IdentifierCipher, row: PlaintextRow): Promise<void> {
  const sealed = cipher.seal(row.person_id, { kind: row.kind, value: row.value, display: row.display });
  const columns = sql`(id, person_id, kind, value_hmac, value_encrypted, display_encrypted, key_version, verified, created_at)`;
  const values = sql`(${row.id}, ${row.person_id}, ${row.kind}, ${sealed.valueHmac}, ${sealed.valueEncrypted}, ${sealed.displayEncrypted}, ${sealed.keyVersion}, ${row.verified}, ${row.created_at})`;
  // PostgreSQL identity columns are GENERATED ALWAYS and take an explicit id only with OVERRIDING SYSTEM VALUE.
  const override = dialect === 'postgres' ? sql`overriding system value` : sql``;
  await sql`insert into identifiers ${columns} ${override} values ${values}`.execute(db);
}

async function tableExists(db: Kysely<any>, dialect: DialectName, table: string): Promise<boolean> {
  if (dialect === 'sqlite') {
    const result = await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name = ${table}`.execute(db);
    return result.rows.length > 0;
  }
  // to_regclass resolves through search_path, so a table of another schema does not count.
  const result = await sql<{ oid: string | null }>`select to_regclass(${table}) as oid`.execute(db);
  return result.rows[0]?.oid !== null && result.rows[0]?.oid !== undefined;
}

/** Turn SQLite's secure_delete on for this connection and return how to restore the previous setting. */
async function enableSecureDelete(db: Kysely<any>): Promise<() => Promise<void>> {
  const before = await sql<{ secure_delete: number }>`pragma secure_delete`.execute(db);
  const previous = before.rows[0]?.secure_delete ?? 0;
  await sql`pragma secure_delete = 1`.execute(db);
  return async () => {
    await sql.raw(`pragma secure_delete = ${Number(previous)}`).execute(db);
  };
}
