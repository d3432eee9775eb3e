import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../database.js';
import { identityPrimaryKey, type DialectMigration } from './dialect-migration.js';

/** Where the plaintext rows of 0001 wait for the data migration that encrypts them. */
export const PLAINTEXT_IDENTIFIERS_TABLE = 'identifiers_plaintext';

/*
 * Identifiers become encrypted: a keyed hash for lookup and uniqueness, the
 * value and display form encrypted under a versioned data key. Encrypting
 * needs the master key, which schema migrations do not have, so this step
 * only moves the plaintext table aside and creates the new one. The data
 * migration 0005_encrypt_identifiers (src/storage/data-migrations) then
 * fills the new table and drops the plaintext one.
 */
export const identifierEncryptionMigration: DialectMigration = {
  async up(db, dialect) {
    await db.schema
      .createTable('data_keys')
      .addColumn('version', 'integer', (column) => column.primaryKey())
      .addColumn('material_encrypted', 'text', (column) => column.notNull())
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .execute();

    await db.schema
      .createTable('data_migrations')
      .addColumn('name', 'text', (column) => column.primaryKey())
      .addColumn('applied_at', 'bigint', (column) => column.notNull())
      .execute();

    await movePlaintextTableAside(db, dialect);
    // A new database has nothing to encrypt. Dropping the empty table here,
    // inside this migration's transaction, means no other connection ever
    // sees it, so the data migration has nothing to do.
    const anyRow = await db.selectFrom(PLAINTEXT_IDENTIFIERS_TABLE).select('id').limit(1).executeTakeFirst();
    if (anyRow === undefined) {
      await db.schema.dropTable(PLAINTEXT_IDENTIFIERS_TABLE).execute();
    }

    await db.schema
      .createTable('identifiers')
      .addColumn('id', 'integer', identityPrimaryKey(dialect))
      .addColumn('person_id', 'text', (column) => column.notNull().references('people.id').onDelete('cascade'))
      .addColumn('kind', 'text', (column) => column.notNull())
      .addColumn('value_hmac', 'text', (column) => column.notNull())
      .addColumn('value_encrypted', 'text', (column) => column.notNull())
      .addColumn('display_encrypted', 'text')
      .addColumn('key_version', 'integer', (column) => column.notNull().references('data_keys.version'))
      .addColumn('verified', 'integer', (column) => column.notNull())
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .addUniqueConstraint('identifiers_kind_value_hmac_unique', ['kind', 'value_hmac'])
      .execute();
    await db.schema.createIndex('identifiers_person_id_index').on('identifiers').column('person_id').execute();
    // The re-encryption job looks for rows of older key versions.
    await db.schema.createIndex('identifiers_key_version_index').on('identifiers').column('key_version').execute();
  },
};

/**
 * Rename the 0001 table and free every name the new table needs. SQLite
 * renames a table's automatic indexes with it; PostgreSQL keeps the names of
 * the primary key index, the foreign key and the identity sequence, so those
 * are renamed too.
 */
async function movePlaintextTableAside(db: Kysely<any>, dialect: DialectName): Promise<void> {
  await db.schema.dropIndex('identifiers_person_id_index').execute();
  await db.schema.alterTable('identifiers').renameTo(PLAINTEXT_IDENTIFIERS_TABLE).execute();
  if (dialect === 'sqlite') {
    return;
  }
  await db.schema.alterTable(PLAINTEXT_IDENTIFIERS_TABLE).dropConstraint('identifiers_kind_value_unique').execute();
  await sql`alter index identifiers_pkey rename to identifiers_plaintext_pkey`.execute(db);
  await sql`alter table identifiers_plaintext rename constraint identifiers_person_id_fkey to identifiers_plaintext_person_id_fkey`.execute(db);
  await sql`alter sequence identifiers_id_seq rename to identifiers_plaintext_id_seq`.execute(db);
}
