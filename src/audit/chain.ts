import type { Kysely } from 'kysely';
import { StorageError } from '../errors/index.js';
import type { DialectName } from '../storage/database.js';
import type { AuditChainTable, AuditEventsTable, DatabaseSchema } from '../storage/schema.js';
import { inTransaction } from '../storage/transaction.js';
import { hashRecord } from './canonical.js';
import type { AuditEntry } from './sanitize.js';

type Db = Kysely<DatabaseSchema>;

/** Id of the one row of `audit_chain`; a check constraint allows no other. */
const HEAD_ID = 1;

/**
 * Lock the chain head for the rest of the transaction and read it. On
 * PostgreSQL `SELECT … FOR UPDATE` makes every other appender, on any node,
 * wait for the commit. SQLite locks the whole database for writing instead:
 * a write as the transaction's first statement takes that lock (waiting up to
 * busy_timeout for another process), so no stale read can precede it.
 */
export async function lockChainHead(trx: Db, dialect: DialectName): Promise<AuditChainTable> {
  if (dialect === 'sqlite') {
    await trx
      .updateTable('audit_chain')
      .set((eb) => ({ last_seq: eb.ref('last_seq') }))
      .where('id', '=', HEAD_ID)
      .execute();
  }
  const query = trx.selectFrom('audit_chain').selectAll().where('id', '=', HEAD_ID);
  const head = await (dialect === 'postgres' ? query.forUpdate() : query).executeTakeFirst();
  if (head === undefined) {
    throw new StorageError('The audit chain head row is missing: run `propusk migrate`, or restore the audit_chain table from a backup');
  }
  return head;
}

export async function readChainHead(db: Db): Promise<AuditChainTable | undefined> {
  return db.selectFrom('audit_chain').selectAll().where('id', '=', HEAD_ID).executeTakeFirst();
}

/** An entry waiting to be appended, with the time its event happened (epoch ms). */
export interface PendingEntry {
  entry: AuditEntry;
  occurredAt: number;
}

/**
 * Append records after the locked head, in the given order, and move the head
 * to the last. The caller holds the lock from `lockChainHead` in the same
 * transaction; `head` is updated in place.
 */
export async function appendLocked(trx: Db, head: AuditChainTable, pending: readonly PendingEntry[]): Promise<AuditEventsTable[]> {
  const rows: AuditEventsTable[] = [];
  for (const { entry, occurredAt } of pending) {
    const unhashed = { ...entry, seq: head.last_seq + 1, occurred_at: occurredAt, prev_hash: head.last_hash };
    const row: AuditEventsTable = { ...unhashed, hash: hashRecord(unhashed) };
    rows.push(row);
    head.last_seq = row.seq;
    head.last_hash = row.hash;
  }
  if (rows.length === 0) {
    return rows;
  }
  await trx.insertInto('audit_events').values(rows).execute();
  await trx.updateTable('audit_chain').set({ last_seq: head.last_seq, last_hash: head.last_hash }).where('id', '=', HEAD_ID).execute();
  return rows;
}

/** Append records in a transaction of their own, or in the caller's when `db` is one. */
export async function appendRecords(db: Db, dialect: DialectName, pending: readonly PendingEntry[]): Promise<AuditEventsTable[]> {
  return inTransaction(db, async (trx) => appendLocked(trx, await lockChainHead(trx, dialect), pending));
}

/** Append one record; `occurredAt` defaults to now. */
export async function appendRecord(db: Db, dialect: DialectName, entry: AuditEntry, occurredAt: number = Date.now()): Promise<AuditEventsTable> {
  const [row] = await appendRecords(db, dialect, [{ entry, occurredAt }]);
  return row as AuditEventsTable;
}

/** Set the retention anchor: verification starts after record `seq`, whose hash was `hash`. */
export async function moveAnchor(trx: Db, seq: number, hash: string): Promise<void> {
  await trx.updateTable('audit_chain').set({ anchor_seq: seq, anchor_hash: hash }).where('id', '=', HEAD_ID).execute();
}
