import { sql } from 'kysely';
import { StorageError } from '../../errors/index.js';
import { withTransaction, type Store } from '../database.js';
import type { StorageLogger } from '../logger.js';
import type { DataMigration, DataMigrationContext } from './data-migration.js';
import { DATA_MIGRATIONS } from './registry.js';

/**
 * Run every data migration not yet recorded, in name order, and return the
 * names run. Call after migrateToLatest. Each runs in one transaction that
 * first inserts its data_migrations row. A second node starting at the same
 * time waits on that row and then skips the step. A step that fails rolls
 * back with its row, so the next start runs it again.
 */
export async function runDataMigrations(
  store: Store,
  context: DataMigrationContext,
  logger?: StorageLogger,
  registry: Readonly<Record<string, DataMigration>> = DATA_MIGRATIONS,
): Promise<string[]> {
  const applied: string[] = [];
  for (const name of Object.keys(registry).sort()) {
    const migration = registry[name] as DataMigration;
    let ran: boolean;
    try {
      ran = await withTransaction(store, async (trx) => {
        const claimed = await trx
          .insertInto('data_migrations')
          .values({ name, applied_at: Date.now() })
          .onConflict((conflict) => conflict.column('name').doNothing())
          .returning('name')
          .executeTakeFirst();
        if (claimed === undefined) {
          return false;
        }
        await migration.up(trx, store.dialect, context);
        return true;
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new StorageError(`Data migration "${name}" failed: ${reason}`, { cause: error });
    }
    if (ran) {
      applied.push(name);
      logger?.info({ migration: name, dialect: store.dialect }, 'Data migration applied');
    }
  }

  if (applied.length > 0 && store.dialect === 'sqlite') {
    // Data migrations rewrite sensitive rows; the write-ahead log would
    // otherwise keep copies of the old pages until the next checkpoint.
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(store.db);
  }
  return applied;
}

/** Names of the data migrations not yet recorded in this database, in run order. */
export async function pendingDataMigrations(
  store: Store,
  registry: Readonly<Record<string, DataMigration>> = DATA_MIGRATIONS,
): Promise<string[]> {
  const done = new Set((await store.db.selectFrom('data_migrations').select('name').execute()).map((row) => row.name));
  return Object.keys(registry)
    .sort()
    .filter((name) => !done.has(name));
}
