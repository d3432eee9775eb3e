import type { Kysely } from 'kysely';
import type { Store } from '../storage/database.js';
import type { AuditChainTable, AuditEventsTable, DatabaseSchema } from '../storage/schema.js';
import { hashRecord } from './canonical.js';
import { readChainHead } from './chain.js';

export type ChainVerification =
  | { ok: true; records: number; anchorSeq: number; lastSeq: number; lastHash: string }
  | { ok: false; records: number; seq: number | null; problem: string };

const BATCH_SIZE = 1000;

type Db = Kysely<DatabaseSchema>;
type Walk = { expectedSeq: number; prevHash: string; records: number; lastPruned: AuditEventsTable | undefined };

function missing(from: number, to: number): string {
  return from === to ? `record ${from} is missing` : `records ${from} to ${to} are missing`;
}

/** Check one record: return its problem, or undefined when it follows the previous one and its hash matches. */
function checkRecord(row: AuditEventsTable, walk: Walk, head: AuditChainTable): string | undefined {
  if (row.seq <= head.anchor_seq) {
    return `record ${row.seq} is at or before the retention anchor (record ${head.anchor_seq}), where no record may remain`;
  }
  if (row.seq > walk.expectedSeq) {
    return missing(walk.expectedSeq, row.seq - 1);
  }
  if (row.prev_hash !== walk.prevHash) {
    return `record ${row.seq} does not link to the record before it (previous-hash mismatch): a record was inserted, removed or modified`;
  }
  if (hashRecord(row) !== row.hash) {
    return `record ${row.seq} was modified: its hash does not match its contents`;
  }
  return undefined;
}

/** After the walk: the chain must end at the head, and the anchor must be the one the last retention run wrote. */
function checkEnds(walk: Walk, head: AuditChainTable): { seq: number | null; problem: string } | undefined {
  if (walk.expectedSeq - 1 !== head.last_seq || walk.prevHash !== head.last_hash) {
    const lastSeen = walk.expectedSeq - 1;
    return lastSeen < head.last_seq
      ? { seq: lastSeen + 1, problem: `${missing(lastSeen + 1, head.last_seq)}: the chain head says the last record is ${head.last_seq}` }
      : { seq: head.last_seq, problem: `the chain head (record ${head.last_seq}) does not match the last stored record` };
  }
  if (head.anchor_seq === 0) {
    return undefined;
  }
  const details = walk.lastPruned === undefined ? undefined : (JSON.parse(walk.lastPruned.details) as Record<string, unknown>);
  if (details?.throughSeq !== head.anchor_seq || details.anchorHash !== head.anchor_hash) {
    return { seq: head.anchor_seq, problem: `the retention anchor (record ${head.anchor_seq}) is not the one recorded by the last audit.pruned record` };
  }
  return undefined;
}

async function walkChain(db: Db): Promise<ChainVerification> {
  const head = await readChainHead(db);
  if (head === undefined) {
    return { ok: false, records: 0, seq: null, problem: 'the chain head row (audit_chain, id 1) is missing' };
  }
  const walk: Walk = { expectedSeq: head.anchor_seq + 1, prevHash: head.anchor_hash, records: 0, lastPruned: undefined };
  let after = Number.MIN_SAFE_INTEGER;
  for (;;) {
    const rows = await db.selectFrom('audit_events').selectAll().where('seq', '>', after).orderBy('seq').limit(BATCH_SIZE).execute();
    for (const row of rows) {
      const problem = checkRecord(row, walk, head);
      if (problem !== undefined) {
        return { ok: false, records: walk.records, seq: row.seq, problem };
      }
      walk.records += 1;
      walk.expectedSeq = row.seq + 1;
      walk.prevHash = row.hash;
      walk.lastPruned = row.type === 'audit.pruned' ? row : walk.lastPruned;
    }
    if (rows.length < BATCH_SIZE) {
      break;
    }
    after = (rows.at(-1) as AuditEventsTable).seq;
  }
  const end = checkEnds(walk, head);
  if (end !== undefined) {
    return { ok: false, records: walk.records, ...end };
  }
  return { ok: true, records: walk.records, anchorSeq: head.anchor_seq, lastSeq: head.last_seq, lastHash: head.last_hash };
}

/**
 * Check the whole chain from the retention anchor to the head: every record
 * links to the one before it, its hash matches its contents, no number is
 * skipped, and the head and anchor agree with the records. It reads one
 * snapshot (a repeatable-read transaction on PostgreSQL, a read transaction
 * on SQLite), so appends and retention running meanwhile do not show as damage.
 *
 * NOTE: SHA-256 without a key shows edits only to someone who trusts a later
 * hash. Anyone who can write to the database can rewrite the records from
 * one point on and recompute every hash after it. Compare `lastHash` with a
 * value kept outside the database to catch that.
 */
export async function verifyChain(store: Store): Promise<ChainVerification> {
  const transaction = store.db.transaction();
  const snapshot = store.dialect === 'postgres' ? transaction.setIsolationLevel('repeatable read').setAccessMode('read only') : transaction;
  return snapshot.execute(walkChain);
}
