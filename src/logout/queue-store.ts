import type { Kysely } from 'kysely';
import type { Store } from '../storage/database.js';
import type { DatabaseSchema } from '../storage/schema.js';
import type { LogoutReason, LogoutTarget } from './types.js';

/* SQL of the back-channel logout queue (table backchannel_logouts). */

type Db = Kysely<DatabaseSchema>;

/** A queue row claimed by a worker. `attempts` already counts the attempt about to be made. */
export interface ClaimedLogout {
  id: number;
  target: LogoutTarget;
  reason: LogoutReason;
  attempts: number;
}

/** Rows per INSERT, well below the bound-parameter limits of SQLite and PostgreSQL. */
const INSERT_CHUNK = 500;

/**
 * Queue one delivery per target, due at once, and return how many rows were
 * added. A target already queued (same service and sid) is skipped.
 */
export async function insertLogouts(db: Db, targets: readonly LogoutTarget[], reason: LogoutReason, now: number): Promise<number> {
  let inserted = 0;
  for (let start = 0; start < targets.length; start += INSERT_CHUNK) {
    const rows = targets.slice(start, start + INSERT_CHUNK).map((target) => ({
      client_id: target.clientId,
      sub: target.sub,
      sid: target.sid,
      reason,
      state: 'pending' as const,
      attempts: 0,
      next_attempt_at: now,
      last_error: null,
      created_at: now,
      delivered_at: null,
    }));
    const result = await db
      .insertInto('backchannel_logouts')
      .values(rows)
      .onConflict((conflict) => conflict.columns(['client_id', 'sid']).doNothing())
      .executeTakeFirst();
    inserted += Number(result.numInsertedOrUpdatedRows ?? 0n);
  }
  return inserted;
}

/**
 * Claim up to `limit` due rows in one statement: each gets one more attempt
 * and is not due again until `now + leaseMs`, so no other worker takes it
 * meanwhile.
 */
export async function claimDueLogouts(store: Store, now: number, leaseMs: number, limit: number): Promise<ClaimedLogout[]> {
  const rows = store.dialect === 'postgres' ? await claimOnPostgres(store.db, now, leaseMs, limit) : await claimOnSqlite(store.db, now, leaseMs, limit);
  return rows.map((row) => ({
    id: row.id,
    target: { clientId: row.client_id, sub: row.sub, sid: row.sid },
    reason: row.reason,
    attempts: row.attempts,
  }));
}

const CLAIMED_COLUMNS = ['id', 'client_id', 'sub', 'sid', 'reason', 'attempts'] as const;

/**
 * FOR UPDATE SKIP LOCKED lets nodes that claim at the same moment take
 * disjoint rows. The CTE runs the locking SELECT once: as an IN subquery,
 * PostgreSQL may run it again per row and claim more than `limit` rows.
 */
function claimOnPostgres(db: Db, now: number, leaseMs: number, limit: number) {
  return db
    .with('due', (query) =>
      query
        .selectFrom('backchannel_logouts')
        .select('id')
        .where('state', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .orderBy('next_attempt_at')
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .updateTable('backchannel_logouts')
    .from('due')
    .set((eb) => ({ attempts: eb('backchannel_logouts.attempts', '+', 1), next_attempt_at: now + leaseMs }))
    .whereRef('backchannel_logouts.id', '=', 'due.id')
    .returning(CLAIMED_COLUMNS.map((column) => `backchannel_logouts.${column}` as const))
    .execute();
}

/** SQLite runs one writing statement at a time, so one UPDATE with a subquery is atomic. */
function claimOnSqlite(db: Db, now: number, leaseMs: number, limit: number) {
  const due = db
    .selectFrom('backchannel_logouts')
    .select('id')
    .where('state', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .orderBy('next_attempt_at')
    .limit(limit);
  return db
    .updateTable('backchannel_logouts')
    .set((eb) => ({ attempts: eb('attempts', '+', 1), next_attempt_at: now + leaseMs }))
    .where('id', 'in', due)
    .returning(CLAIMED_COLUMNS)
    .execute();
}

/** Epoch ms when the earliest pending row is due (in the past if one is due now), or undefined when none is pending. */
export async function nextDueAt(db: Db): Promise<number | undefined> {
  const row = await db
    .selectFrom('backchannel_logouts')
    .select((eb) => eb.fn.min('next_attempt_at').as('due'))
    .where('state', '=', 'pending')
    .executeTakeFirst();
  const due = row?.due;
  return due === undefined || due === null ? undefined : Number(due);
}

export async function markDelivered(db: Db, id: number, now: number): Promise<void> {
  await db
    .updateTable('backchannel_logouts')
    .set({ state: 'delivered', delivered_at: now, last_error: null })
    .where('id', '=', id)
    .execute();
}

export async function scheduleRetry(db: Db, id: number, nextAttemptAt: number, error: string): Promise<void> {
  await db
    .updateTable('backchannel_logouts')
    .set({ next_attempt_at: nextAttemptAt, last_error: error })
    .where('id', '=', id)
    .execute();
}

/** Stop delivering the row: no attempts are left, or there is nowhere to deliver it. */
export async function markFailed(db: Db, id: number, error: string): Promise<void> {
  await db.updateTable('backchannel_logouts').set({ state: 'failed', last_error: error }).where('id', '=', id).execute();
}

/** Delete delivered and failed rows created before `cutoff` (epoch ms) and return how many. */
export async function deleteFinishedLogouts(db: Db, cutoff: number): Promise<number> {
  const result = await db
    .deleteFrom('backchannel_logouts')
    .where('state', '!=', 'pending')
    .where('created_at', '<', cutoff)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
