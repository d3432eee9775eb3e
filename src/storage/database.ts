import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import { StorageError } from '../errors/index.js';
import { describePostgresUrl, parseDatabaseUrl } from './database-url.js';
import type { StorageLogger } from './logger.js';
import type { DatabaseSchema } from './schema.js';
import { GroupCommitSqliteDialect } from './sqlite-group-commit.js';
import { cacheStatements } from './sqlite-statement-cache.js';

export type DialectName = 'sqlite' | 'postgres';

/** An open database: the query builder, which dialect it speaks, and how to close it. */
export interface Store {
  db: Kysely<DatabaseSchema>;
  dialect: DialectName;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** `DATABASE_URL`: unset or `sqlite:…` for SQLite, `postgres://…` for PostgreSQL. */
  url?: string;
  /** Directory of the default SQLite file, created when missing. */
  dataDir: string;
  /** Receives errors of idle PostgreSQL connections, which would otherwise go unseen. */
  logger?: StorageLogger;
}

/** How long a SQLite writer waits for another process's write lock before failing. */
const SQLITE_BUSY_TIMEOUT_MS = 5000;

const PG_INT8_OID = 20;

export async function openDatabase(options: OpenDatabaseOptions): Promise<Store> {
  const target = parseDatabaseUrl(options.url, options.dataDir);
  if (target.dialect === 'sqlite') {
    return openSqlite(target.file);
  }
  return openPostgres(target.connectionString, options.logger);
}

/**
 * Run `fn` in one transaction: it commits when `fn` resolves and rolls back
 * when it throws. Inside `fn`, query through `trx` only. On SQLite the one
 * connection belongs to the transaction, so a query through `store.db` waits forever.
 */
export function withTransaction<T>(
  store: Store,
  fn: (trx: Transaction<DatabaseSchema>) => Promise<T>,
): Promise<T> {
  return store.db.transaction().execute(fn);
}

function openSqlite(file: string): Store {
  if (file !== ':memory:') {
    mkdirSync(path.dirname(file), { recursive: true });
  }
  const database = new BetterSqlite3(file);
  if (file !== ':memory:') {
    // The file contains password hashes and the audit log, so only its owner may read it. SQLite
    // gives its -wal and -shm files the same mode.
    chmodSync(file, 0o600);
  }
  database.pragma('journal_mode = WAL');
  // FULL syncs the WAL on every commit. better-sqlite3 12 builds SQLite with
  // SQLITE_DEFAULT_WAL_SYNCHRONOUS=1, so without this line a reopened WAL file runs NORMAL, which
  // can lose the last commits at a power loss: a consumed code or refresh token would then work
  // again (docs/decisions/0012-hot-path-costs.md). The group commit drops to NORMAL only around
  // commits of short-lived records (docs/decisions/0018-sync-only-what-must-survive.md).
  database.pragma('synchronous = FULL');
  database.pragma('foreign_keys = ON');
  database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);

  const dialect = new GroupCommitSqliteDialect(cacheStatements(database), () => database.inTransaction);
  const db = new Kysely<DatabaseSchema>({ dialect });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}

const PG_CONNECT_TIMEOUT_MS = 2000;
const PG_QUERY_TIMEOUT_MS = 2000;

/**
 * Close a connection whose query timed out. pg rejects the query after
 * query_timeout but leaves the statement on the wire, so the connection would
 * hand the late reply to the next query. Destroying the socket makes the pool
 * drop it on release (the client is no longer queryable) and open a new one.
 */
function destroyAfterQueryTimeout(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const wrapped = (...args: unknown[]): unknown => {
    const result = query(...args);
    if (!(result instanceof Promise)) {
      return result;
    }
    return result.catch((error: unknown) => {
      if (error instanceof Error && error.message === 'Query read timeout') {
        (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
      }
      throw error;
    });
  };
  client.query = wrapped as typeof client.query;
}

async function openPostgres(connectionString: string, logger: StorageLogger | undefined): Promise<Store> {
  // Timestamps are epoch milliseconds in int8 columns, and pg returns int8 as
  // a string by default. Numbers stay exact up to 2^53, far beyond any epoch-ms value.
  pg.types.setTypeParser(PG_INT8_OID, (value: string) => Number(value));

  // Bounds, so that a stalled database fails requests instead of holding them:
  // waiting for a connection (new or from the pool) and waiting for a query's reply.
  const pool = new pg.Pool({ connectionString, connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS, query_timeout: PG_QUERY_TIMEOUT_MS });
  pool.on('error', (error) => {
    logger?.error({ err: error }, 'Idle PostgreSQL connection failed; the pool will replace it');
  });
  // pg-pool listens for errors only on idle clients. A connection that breaks while
  // checked out (PostgreSQL restarted mid-query) fails its query and also emits
  // 'error' on the client. Without this listener that event would crash the process.
  pool.on('connect', (client) => {
    destroyAfterQueryTimeout(client);
    client.on('error', (error) => {
      logger?.error({ err: error }, 'PostgreSQL connection failed during a query; the query fails and the pool opens a new connection');
    });
  });
  const db = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool }) });

  try {
    await sql`select 1`.execute(db);
  } catch (error) {
    await db.destroy();
    const reason = error instanceof Error ? error.message : String(error);
    throw new StorageError(`Cannot connect to ${describePostgresUrl(connectionString)}: ${reason}`, {
      cause: error,
    });
  }
  return { db, dialect: 'postgres', close: () => db.destroy() };
}
