import {
  CompiledQuery,
  createQueryId,
  IdentifierNode,
  RawNode,
  SqliteDialect,
  SelectQueryNode,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  type SqliteDatabase,
  type SqliteStatement,
} from 'kysely';
import { isLazySync } from './lazy-sync.js';
import type { ReadonlyAwareStatement } from './sqlite-statement-cache.js';
import { commitWrites, execute, run, type QueuedWrite } from './sqlite-write-batch.js';

type CompileQuery = Parameters<NonNullable<Driver['savepoint']>>[2];

/**
 * Kysely's SQLite dialect with group commit (docs/decisions/0016-sqlite-group-commit.md).
 *
 * With `synchronous = FULL` every commit syncs the WAL to disk. Kysely's own
 * SQLite driver commits each write outside a transaction on its own, so a
 * refresh grant synced three times. Here a write outside a transaction waits
 * in a queue until the event loop's check phase. Then one transaction runs
 * every queued write, each inside a savepoint, and commits them with one sync.
 * A write's promise settles only after that commit, so a caller never sees
 * a write succeed before it is committed (and synced, unless lazy). One
 * write's error rolls back its savepoint and reaches only its caller.
 *
 * Reads run at once. A read issued while writes of other requests wait
 * returns the data without those writes, as if it had run first. None of those
 * writes has returned to its caller yet.
 *
 * A group commit whose writes all come from `lazySync` handles does not sync
 * (src/storage/lazy-sync.ts). Transactions always sync, because SQLite
 * changes `synchronous` only outside one.
 *
 * Kysely transactions (`db.transaction()`) begin IMMEDIATE and keep the
 * connection to themselves, as with Kysely's driver: they start after the
 * queued writes are committed, and other queries wait until they end.
 * `db.connection()` pins nothing here, so a raw BEGIN through it would not
 * be a transaction: use `db.transaction()`.
 */
export class GroupCommitSqliteDialect extends SqliteDialect {
  readonly #database: SqliteDatabase;
  readonly #inTransaction: () => boolean;

  /** `inTransaction` reports whether SQLite has a transaction open (better-sqlite3's `Database.inTransaction`). */
  constructor(database: SqliteDatabase, inTransaction: () => boolean) {
    super({ database });
    this.#database = database;
    this.#inTransaction = inTransaction;
  }

  override createDriver(): Driver {
    return new GroupCommitDriver(this.#database, this.#inTransaction);
  }
}

/** Report whether a statement leaves the database unchanged; without better-sqlite3's `readonly`, fall back to `reader`. */
function isReadonly(statement: SqliteStatement): boolean {
  const flag = (statement as Partial<ReadonlyAwareStatement>).readonly;
  return flag ?? statement.reader;
}

/** Statements that open or close a transaction or savepoint, which only a Kysely transaction may run here. */
const TRANSACTION_CONTROL = /^\s*(begin|commit|end|rollback|savepoint|release)\b/i;

class GroupCommitDriver implements Driver {
  readonly #database: SqliteDatabase;
  readonly #inTransaction: () => boolean;
  #queue: QueuedWrite[] = [];
  #flushScheduled = false;
  /** The connection whose Kysely transaction is open, and a promise that settles when it ends. */
  #owner: Connection | undefined;
  #ownerDone: Promise<void> = Promise.resolve();
  #releaseOwner: () => void = () => undefined;

  constructor(database: SqliteDatabase, inTransaction: () => boolean) {
    this.#database = database;
    this.#inTransaction = inTransaction;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new Connection(this);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    while (this.#owner !== undefined) await this.#ownerDone;
    // Writes queued before the transaction commit first, so they keep their order.
    this.flush();
    // IMMEDIATE takes the write lock now, waiting up to busy_timeout for another process. A deferred
    // transaction that reads first fails with SQLITE_BUSY at its first write, without waiting.
    run(this.#database, 'begin immediate');
    this.#owner = connection as Connection;
    this.#ownerDone = new Promise((resolve) => (this.#releaseOwner = resolve));
  }

  async commitTransaction(): Promise<void> {
    // When the commit fails, the transaction stays open and Kysely rolls it back next.
    run(this.#database, 'commit');
    this.endTransaction();
  }

  async rollbackTransaction(): Promise<void> {
    try {
      // SQLite may already have rolled back, for example after a disk I/O error.
      if (this.#inTransaction()) run(this.#database, 'rollback');
    } finally {
      this.endTransaction();
    }
  }

  async savepoint(connection: DatabaseConnection, name: string, compile: CompileQuery): Promise<void> {
    await connection.executeQuery(savepointCommand(compile, 'savepoint', name));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: CompileQuery): Promise<void> {
    await connection.executeQuery(savepointCommand(compile, 'rollback to', name));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string, compile: CompileQuery): Promise<void> {
    await connection.executeQuery(savepointCommand(compile, 'release', name));
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {
    while (this.#owner !== undefined) await this.#ownerDone;
    this.flush();
    this.#database.close();
  }

  isOwner(connection: Connection): boolean {
    return this.#owner === connection;
  }

  /** Raise when SQLite rolled back the open Kysely transaction by itself, so no later query of it commits alone. */
  assertTransactionOpen(): void {
    if (!this.#inTransaction()) {
      throw new Error('SQLite rolled this transaction back after an error, so it can run no more queries: let it fail and retry');
    }
  }

  /** Report whether another connection's transaction is open, so that `connection` must wait for its end. */
  blocks(connection: Connection): boolean {
    return this.#owner !== undefined && this.#owner !== connection;
  }

  /**
   * Return a promise that settles when the open transaction ends. Callers
   * check `blocks` again afterwards, in the same synchronous step as their
   * query, because another transaction may begin before their turn comes.
   */
  transactionEnd(): Promise<void> {
    return this.#ownerDone;
  }

  prepare(sql: string): SqliteStatement {
    return this.#database.prepare(sql);
  }

  /** Queue a write for the next group commit; the promise settles after that commit. */
  enqueue(statement: SqliteStatement, parameters: readonly unknown[], lazySync: boolean): Promise<QueryResult<never>> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ statement, parameters, lazySync, resolve, reject });
      this.scheduleFlush();
    });
  }

  private endTransaction(): void {
    this.#owner = undefined;
    this.#releaseOwner();
    if (this.#queue.length > 0) this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // The check phase runs after the poll phase has handed every ready request its turn, so their writes share the commit.
    setImmediate(() => {
      this.#flushScheduled = false;
      // An open Kysely transaction schedules the flush when it ends (endTransaction).
      if (this.#owner === undefined) this.flush();
    });
  }

  /** Commit every queued write and settle their promises. */
  private flush(): void {
    const batch = this.#queue;
    if (batch.length === 0) return;
    this.#queue = [];
    commitWrites(this.#database, this.#inTransaction, batch);
    if (this.#inTransaction()) {
      // Only a statement that slipped past TRANSACTION_CONTROL (a BEGIN behind a comment) can leave one open.
      run(this.#database, 'rollback');
    }
  }
}

class Connection implements DatabaseConnection {
  readonly #driver: GroupCommitDriver;

  constructor(driver: GroupCommitDriver) {
    this.#driver = driver;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    // Never run inside another caller's open transaction.
    while (this.#driver.blocks(this)) await this.#driver.transactionEnd();
    const statement = this.#driver.prepare(query.sql);
    if (this.#driver.isOwner(this)) {
      this.#driver.assertTransactionOpen();
      return execute(statement, query.parameters) as QueryResult<R>;
    }
    if (TRANSACTION_CONTROL.test(query.sql)) {
      throw new Error(`"${query.sql}" outside db.transaction(): this SQLite driver pins no connection, so use db.transaction()`);
    }
    // A write with RETURNING is a reader too, so `readonly` decides: it is false for every statement that changes data.
    if (isReadonly(statement)) {
      return execute(statement, query.parameters) as QueryResult<R>;
    }
    return this.#driver.enqueue(statement, query.parameters, isLazySync(query.query)) as Promise<QueryResult<R>>;
  }

  /**
   * Read every row at once and hand them out one by one. A statement that is
   * still being iterated keeps the connection busy, and a group commit in
   * between would fail.
   */
  async *streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(query.query)) {
      throw new Error('the SQLite driver streams only select queries');
    }
    const { rows } = await this.executeQuery<R>(query);
    for (const row of rows) {
      yield { rows: [row] };
    }
  }
}

/** Build a savepoint command with its name quoted as an identifier, as Kysely's own driver does. */
function savepointCommand(compile: CompileQuery, command: string, name: string): CompiledQuery {
  return compile(RawNode.createWithChildren([RawNode.createWithSql(`${command} `), IdentifierNode.create(name)]), createQueryId());
}
