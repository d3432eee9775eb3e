// Fresh, empty databases for storage tests: a SQLite file in a temporary
// directory, or a PostgreSQL schema of its own that is dropped afterwards.
// Neither is migrated; the caller runs migrateToLatest.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDatabase, type Store } from '../../src/storage/database.js';
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

async function runAdminQuery(connectionString: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
