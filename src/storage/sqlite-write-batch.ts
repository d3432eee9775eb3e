import type { QueryResult, SqliteDatabase, SqliteStatement } from 'kysely';

/*
 * One group commit of src/storage/sqlite-group-commit.ts: the queued writes
 * run in one transaction, each inside a savepoint, and their promises settle
 * after the commit.
 */

export interface QueuedWrite {
  statement: SqliteStatement;
  parameters: readonly unknown[];
  /** The write needs no sync of its own (src/storage/lazy-sync.ts). */
  lazySync: boolean;
  resolve(result: QueryResult<never>): void;
  reject(error: unknown): void;
}

type Outcome = { ok: true; result: QueryResult<never> } | { ok: false; error: unknown };

const SAVEPOINT = 'propusk_group_write';

/** Run a statement and return its result in Kysely's shape. */
export function execute(statement: SqliteStatement, parameters: readonly unknown[]): QueryResult<never> {
  if (statement.reader) {
    return { rows: statement.all(parameters) as never[] };
  }
  const { changes, lastInsertRowid } = statement.run(parameters);
  return {
    numAffectedRows: changes === undefined || changes === null ? undefined : BigInt(changes),
    insertId: lastInsertRowid === undefined || lastInsertRowid === null ? undefined : BigInt(lastInsertRowid),
    rows: [],
  };
}

/** Run a statement without parameters, such as BEGIN or COMMIT. */
export function run(database: SqliteDatabase, sql: string): void {
  database.prepare(sql).run([]);
}

/**
 * Run `commit` with `synchronous = NORMAL` when `lazy`, which in WAL mode
 * commits without syncing the WAL, and restore FULL afterwards. The
 * connection runs FULL otherwise (src/storage/database.ts).
 */
function withSync<T>(database: SqliteDatabase, lazy: boolean, commit: () => T): T {
  if (!lazy) return commit();
  run(database, 'pragma synchronous = normal');
  try {
    return commit();
  } finally {
    run(database, 'pragma synchronous = full');
  }
}

/**
 * Commit `batch`: a lone write by itself, more in one transaction with a
 * savepoint each. The commit syncs unless every write of the batch is a lazy
 * one. Settles every write's promise.
 */
export function commitWrites(database: SqliteDatabase, inTransaction: () => boolean, batch: readonly QueuedWrite[]): void {
  if (batch.length === 0) return;
  withSync(database, batch.every((write) => write.lazySync), () => commitBatchOrWrite(database, inTransaction, batch));
}

function commitBatchOrWrite(database: SqliteDatabase, inTransaction: () => boolean, batch: readonly QueuedWrite[]): void {
  if (batch.length === 1) {
    const [write] = batch as [QueuedWrite];
    const outcome = attempt(() => execute(write.statement, write.parameters));
    // In autocommit mode the write is committed when it returns; an open transaction here means it is not.
    settle(write, outcome.ok && inTransaction() ? { ok: false, error: new Error('a transaction outside Kysely is open, so the write was not committed') } : outcome);
    return;
  }
  const outcomes = commitBatch(database, inTransaction, batch);
  batch.forEach((write, index) => settle(write, outcomes[index] as Outcome));
}

function commitBatch(database: SqliteDatabase, inTransaction: () => boolean, batch: readonly QueuedWrite[]): Outcome[] {
  const outcomes: Outcome[] = [];
  let began = false;
  try {
    run(database, 'begin immediate');
    began = true;
    for (const write of batch) {
      run(database, `savepoint ${SAVEPOINT}`);
      const outcome = attempt(() => execute(write.statement, write.parameters));
      if (!outcome.ok && !inTransaction()) {
        // SQLite rolled the whole transaction back (a disk or memory error), so no write of the batch stays.
        throw outcome.error;
      }
      if (!outcome.ok) run(database, `rollback to ${SAVEPOINT}`);
      run(database, `release ${SAVEPOINT}`);
      outcomes.push(outcome);
    }
    run(database, 'commit');
    return outcomes;
  } catch (error) {
    // Nothing of the batch is committed: BEGIN, a savepoint or COMMIT failed, or SQLite rolled back.
    // A transaction open before this batch's BEGIN is not this batch's to end.
    if (began && inTransaction()) attempt(() => run(database, 'rollback'));
    return batch.map(() => ({ ok: false, error }));
  }
}

function attempt(step: () => QueryResult<never> | void): Outcome {
  try {
    return { ok: true, result: step() ?? { rows: [] } };
  } catch (error) {
    return { ok: false, error };
  }
}

function settle(write: QueuedWrite, outcome: Outcome): void {
  if (outcome.ok) write.resolve(outcome.result);
  else write.reject(outcome.error);
}
