// Fresh, empty databases for storage tests: a SQLite file in a temporary
// directory, or a PostgreSQL schema of its own that is dropped afterwards.
// Neither is migrated, so the caller runs migrateToLatest or calls
// migratedStoreHooks inside a describe block.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, beforeEach } from 'node:test';
import pg from 'pg';
import { openDatabase, type Store } from '../../src/storage/database.js';
import { migrateToLatest } from '../../src/storage/migrations/migrate.js';
import { postgresUrl } from './services.js';

export interface TestStore {
  store: Store;
  /** Closes the store and deletes its file or schema. */
  cleanup(): Promise<void>;
}

export type OpenFreshStore = () => Promise<TestStore>;

export async function openSqliteTestStore(): Promise<TestStore> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'propusk-storage-'));
  const store = await openDatabase({ dataDir });
  return {
    store,
    async cleanup() {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Opens a store on a new schema `t_<random hex>` of the test database
 * (DATABASE_TEST_URL), selected through search_path in the connection
 * string, so parallel runs and earlier leftovers cannot interfere.
 */
/** A PostgreSQL schema of its own: a connection URL that uses it, and a way to drop it. */
export async function createPostgresSchema(): Promise<{ url: string; drop(): Promise<void> }> {
  const baseUrl = postgresUrl();
  const schema = `t_${randomBytes(6).toString('hex')}`;
  await runAdminQuery(baseUrl, `create schema ${schema}`);
  const url = new URL(baseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { url: url.toString(), drop: () => runAdminQuery(baseUrl, `drop schema ${schema} cascade`) };
}

export async function openPostgresTestStore(): Promise<TestStore> {
  const schema = await createPostgresSchema();
  const store = await openDatabase({ url: schema.url, dataDir: os.tmpdir() });
  return {
    store,
    async cleanup() {
      await store.close();
      await schema.drop();
    },
  };
}

/**
 * Registers hooks in the enclosing describe block that open and migrate a store
 * and pass it to `ready` before the tests, then clean it up after them.
 * With `each: true`, every test gets a fresh store.
 */
export function migratedStoreHooks(
  open: OpenFreshStore,
  ready: (store: Store) => void | Promise<void>,
  { each = false }: { each?: boolean } = {},
): void {
  let fresh: TestStore | undefined;
  (each ? beforeEach : before)(async () => {
    fresh = await open();
    await migrateToLatest(fresh.store);
    await ready(fresh.store);
  });
  (each ? afterEach : after)(async () => {
    await fresh?.cleanup();
    fresh = undefined;
  });
}

async function runAdminQuery(connectionString: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
