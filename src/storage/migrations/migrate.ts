import { Migrator, sql, type Migration, type MigrationResultSet } from 'kysely';
import { StorageError } from '../../errors/index.js';
import type { Store } from '../database.js';
import type { StorageLogger } from '../logger.js';
import type { DialectMigration } from './dialect-migration.js';
import { MIGRATIONS } from './registry.js';

/**
 * Apply every pending migration in name order and return the names applied.
 * Throws a StorageError naming the migration that failed.
 */
export async function migrateToLatest(
  store: Store,
  logger?: StorageLogger,
  registry: Readonly<Record<string, DialectMigration>> = MIGRATIONS,
): Promise<string[]> {
  const migrator = await createMigrator(store, registry);
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    throw migrationError(error, results);
  }

  const applied = (results ?? []).map((result) => result.migrationName);
  for (const name of applied) {
    logger?.info({ migration: name, dialect: store.dialect }, 'Database migration applied');
  }
  return applied;
}

/** Names of the migrations that have not run on this database yet, in run order. */
export async function pendingMigrations(
  store: Store,
  registry: Readonly<Record<string, DialectMigration>> = MIGRATIONS,
): Promise<string[]> {
  const migrator = await createMigrator(store, registry);
  const migrations = await migrator.getMigrations();
  return migrations.filter((migration) => migration.executedAt === undefined).map((migration) => migration.name);
}

async function createMigrator(
  store: Store,
  registry: Readonly<Record<string, DialectMigration>>,
): Promise<Migrator> {
  const migrations: Record<string, Migration> = {};
  for (const [name, migration] of Object.entries(registry)) {
    migrations[name] = {
      // Kysely 0.28 wraps PostgreSQL migrations in a transaction but not
      // SQLite ones, although SQLite supports transactional DDL. Wrapping here
      // keeps a failed SQLite migration from leaving half its tables behind.
      up: (db) =>
        store.dialect === 'sqlite'
          ? db.transaction().execute((trx) => migration.up(trx, store.dialect))
          : migration.up(db, store.dialect),
    };
  }

  return new Migrator({
    db: store.db,
    provider: { getMigrations: async () => migrations },
    migrationTableSchema: await migrationTableSchema(store),
  });
}

/**
 * Kysely looks for its bookkeeping tables in every PostgreSQL schema unless
 * told which one to use, so a table in another schema would be taken for
 * ours. Pinning the current schema (the first of search_path) avoids that.
 */
async function migrationTableSchema(store: Store): Promise<string | undefined> {
  if (store.dialect === 'sqlite') {
    return undefined;
  }
  const result = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(store.db);
  const schema = result.rows[0]?.schema;
  if (schema === undefined || schema === null) {
    throw new StorageError('PostgreSQL has no current schema: check that search_path names an existing schema');
  }
  return schema;
}

function migrationError(error: unknown, results: MigrationResultSet['results']): StorageError {
  const failed = results?.find((result) => result.status === 'Error');
  const reason = error instanceof Error ? error.message : String(error);
  if (failed === undefined) {
    return new StorageError(`Database migrations failed before any migration ran: ${reason}`, { cause: error });
  }
  return new StorageError(`Database migration "${failed.migrationName}" failed: ${reason}`, { cause: error });
}
