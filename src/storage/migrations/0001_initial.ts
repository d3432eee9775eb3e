import type { Kysely } from 'kysely';
import type { DialectName } from '../database.js';
import { identityPrimaryKey, type DialectMigration } from './dialect-migration.js';

/*
 * Portable column choices: timestamps are epoch milliseconds in bigint,
 * flags are integer 0/1 and JSON is text, so both databases read back the
 * same JavaScript types.
 */

async function createDirectoryTables(db: Kysely<any>, dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('organizations')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('kind', 'text', (column) => column.notNull())
    .addColumn('name', 'text', (column) => column.notNull())
    .addColumn('short_name', 'text')
    .addColumn('region', 'text', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .execute();

  await db.schema
    .createTable('people')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('external_id', 'text', (column) => column.notNull().unique())
    .addColumn('family_name', 'text', (column) => column.notNull())
    .addColumn('given_name', 'text', (column) => column.notNull())
    .addColumn('middle_name', 'text')
    .addColumn('birthdate', 'text')
    .addColumn('password_hash', 'text')
    .addColumn('status', 'text', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .execute();

  await db.schema
    .createTable('identifiers')
    .addColumn('id', 'integer', identityPrimaryKey(dialect))
    .addColumn('person_id', 'text', (column) => column.notNull().references('people.id').onDelete('cascade'))
    .addColumn('kind', 'text', (column) => column.notNull())
    .addColumn('value', 'text', (column) => column.notNull())
    .addColumn('display', 'text')
    .addColumn('verified', 'integer', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addUniqueConstraint('identifiers_kind_value_unique', ['kind', 'value'])
    .execute();
  await db.schema.createIndex('identifiers_person_id_index').on('identifiers').column('person_id').execute();

  await db.schema
    .createTable('roles')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('person_id', 'text', (column) => column.notNull().references('people.id').onDelete('cascade'))
    .addColumn('kind', 'text', (column) => column.notNull())
    .addColumn('organization_id', 'text', (column) => column.references('organizations.id'))
    .addColumn('class_name', 'text')
    .addColumn('position', 'text')
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .execute();
  await db.schema.createIndex('roles_person_id_index').on('roles').column('person_id').execute();

  await db.schema
    .createTable('parent_links')
    .addColumn('parent_id', 'text', (column) => column.notNull().references('people.id').onDelete('cascade'))
    .addColumn('child_id', 'text', (column) => column.notNull().references('people.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addPrimaryKeyConstraint('parent_links_primary_key', ['parent_id', 'child_id'])
    .execute();
  await db.schema.createIndex('parent_links_child_id_index').on('parent_links').column('child_id').execute();
}

async function createServiceAndKeyTables(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('services')
    .addColumn('client_id', 'text', (column) => column.primaryKey())
    .addColumn('client_secret_encrypted', 'text')
    .addColumn('display_name', 'text', (column) => column.notNull())
    .addColumn('home_url', 'text', (column) => column.notNull())
    .addColumn('redirect_uris', 'text', (column) => column.notNull())
    .addColumn('post_logout_redirect_uris', 'text', (column) => column.notNull())
    .addColumn('grant_types', 'text', (column) => column.notNull())
    .addColumn('accepted_role_kinds', 'text', (column) => column.notNull())
    .addColumn('backchannel_logout_uri', 'text')
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .execute();

  await db.schema
    .createTable('keys')
    .addColumn('kid', 'text', (column) => column.primaryKey())
    .addColumn('use', 'text', (column) => column.notNull())
    .addColumn('alg', 'text')
    .addColumn('material_encrypted', 'text', (column) => column.notNull())
    .addColumn('status', 'text', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .execute();
}

async function createOidcTables(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('oidc_payloads')
    .addColumn('model', 'text', (column) => column.notNull())
    .addColumn('id', 'text', (column) => column.notNull())
    .addColumn('payload', 'text', (column) => column.notNull())
    .addColumn('grant_id', 'text')
    .addColumn('user_code', 'text')
    .addColumn('uid', 'text')
    .addColumn('expires_at', 'bigint')
    .addColumn('consumed_at', 'bigint')
    .addPrimaryKeyConstraint('oidc_payloads_primary_key', ['model', 'id'])
    .execute();
  for (const column of ['grant_id', 'uid', 'user_code', 'expires_at']) {
    await db.schema.createIndex(`oidc_payloads_${column}_index`).on('oidc_payloads').column(column).execute();
  }

  await db.schema
    .createTable('session_state')
    .addColumn('session_uid', 'text', (column) => column.primaryKey())
    .addColumn('person_id', 'text', (column) => column.notNull().references('people.id').onDelete('cascade'))
    .addColumn('active_role_id', 'text')
    .addColumn('expires_at', 'bigint', (column) => column.notNull())
    .execute();
  await db.schema.createIndex('session_state_person_id_index').on('session_state').column('person_id').execute();

  await db.schema
    .createTable('grant_roles')
    .addColumn('grant_id', 'text', (column) => column.primaryKey())
    .addColumn('person_id', 'text', (column) => column.notNull().references('people.id').onDelete('cascade'))
    .addColumn('client_id', 'text', (column) => column.notNull())
    .addColumn('role_id', 'text', (column) => column.notNull())
    .addColumn('expires_at', 'bigint')
    .execute();
  await db.schema.createIndex('grant_roles_person_id_index').on('grant_roles').column('person_id').execute();
}

export const initialMigration: DialectMigration = {
  async up(db, dialect) {
    await createDirectoryTables(db, dialect);
    await createServiceAndKeyTables(db);
    await createOidcTables(db);
  },
};
