import { sql, type Kysely, type RawBuilder } from 'kysely';
import { sharedQuery } from './reusable-query.js';
import type { DatabaseSchema } from './schema.js';
import { lazySync } from './lazy-sync.js';

type Db = Kysely<DatabaseSchema>;

/** The numbers of a throttle policy, in milliseconds. */
export interface CounterRule {
  freeFailures: number;
  firstDelayMs: number;
  maxDelayMs: number;
  /** Doublings of firstDelayMs after which the wait is maxDelayMs. */
  doublingsToCap: number;
  windowMs: number;
  slidingWindow: boolean;
}

// PostgreSQL cannot type an untyped parameter in `$1 + $2`, so every number is cast.
const bigint = (value: number): RawBuilder<number> => sql<number>`cast(${value} as bigint)`;

/** SQL for the epoch-ms time before which attempt number `failures` blocks the next one. */
function blockedUntilAfter(failures: RawBuilder<number>, rule: CounterRule, now: RawBuilder<number>): RawBuilder<number> {
  const free = bigint(rule.freeFailures);
  return sql<number>`case
    when ${failures} <= ${free} then 0
    when ${failures} - ${free} - 1 >= ${bigint(rule.doublingsToCap)} then ${now} + ${bigint(rule.maxDelayMs)}
    else ${now} + (${bigint(rule.firstDelayMs)} << cast(${failures} - ${free} - 1 as integer))
  end`;
}

/**
 * Count one attempt on `key` unless it is delayed, in one INSERT … ON CONFLICT
 * DO UPDATE statement. Both databases run it atomically on the row, so
 * parallel attempts see each other's counts. In the update, column names
 * refer to the row before the update. An expired row starts again from one
 * failure. A delayed row is left as it is, so its `last_attempt` keeps
 * another attempt's id, and that is how the caller tells a rejection.
 */
export async function hitThrottleCounter(
  db: Db,
  key: string,
  rule: CounterRule,
  nowMs: number,
  attemptId: string,
  countWhileDelayed = false,
): Promise<{ allowed: boolean; blockedUntil: number }> {
  const now = bigint(nowMs);
  const newExpiry = sql<number>`${now} + ${bigint(rule.windowMs)}`;
  const expired = sql<boolean>`throttle_counters.expires_at <= ${now}`;
  // A failure reported after its check happened, so it counts even while a delay runs.
  const blocked = countWhileDelayed ? sql<boolean>`(1 = 0)` : sql<boolean>`(throttle_counters.blocked_until > ${now} and not (${expired}))`;
  const next = sql<number>`throttle_counters.failures + 1`;
  const keptExpiry = rule.slidingWindow ? newExpiry : sql<number>`throttle_counters.expires_at`;

  const result = await sql<{ blocked_until: number; last_attempt: string }>`
    insert into throttle_counters (counter_key, failures, blocked_until, previous_blocked_until, expires_at, last_attempt)
    values (${key}, 1, ${blockedUntilAfter(bigint(1), rule, now)}, 0, ${newExpiry}, ${attemptId})
    on conflict (counter_key) do update set
      failures = case when ${expired} then 1 when ${blocked} then throttle_counters.failures else ${next} end,
      blocked_until = case
        when ${expired} then ${blockedUntilAfter(bigint(1), rule, now)}
        when ${blocked} then throttle_counters.blocked_until
        else ${blockedUntilAfter(next, rule, now)}
      end,
      previous_blocked_until = case
        when ${expired} then 0
        when ${blocked} then throttle_counters.previous_blocked_until
        else throttle_counters.blocked_until
      end,
      expires_at = case when ${expired} then ${newExpiry} when ${blocked} then throttle_counters.expires_at else ${keptExpiry} end,
      last_attempt = case when ${blocked} then throttle_counters.last_attempt else ${attemptId} end
    returning blocked_until, last_attempt`.execute(lazySync(db));

  const row = result.rows[0];
  if (row === undefined) {
    throw new Error(`throttle counter upsert returned no row for ${key}`);
  }
  return { allowed: row.last_attempt === attemptId, blockedUntil: Number(row.blocked_until) };
}

/**
 * Take back one counted attempt. The delay from before it is restored only
 * when it is still the latest attempt let through. Otherwise a later attempt
 * set the current delay, and that delay stays.
 */
export async function undoThrottleCounter(db: Db, key: string, attemptId: string, nowMs: number): Promise<void> {
  await lazySync(db)
    .updateTable('throttle_counters')
    .set({
      failures: sql<number>`case when failures > 0 then failures - 1 else 0 end`,
      blocked_until: sql<number>`case when last_attempt = ${attemptId} then previous_blocked_until else blocked_until end`,
    })
    .where('counter_key', '=', key)
    .where('expires_at', '>', nowMs)
    .execute();
}

/**
 * Failures and delay of each key, in the order of `keys`, in one statement.
 * A missing or expired counter reads as no failures and no delay.
 */
export async function readThrottleCounters(db: Db, keys: readonly string[], nowMs: number): Promise<Array<{ failures: number; blockedUntil: number }>> {
  if (keys.length === 0) {
    return [];
  }
  // Every token request reads its client's counters, so the query is compiled once per number of keys.
  const query = sharedQuery(db, `throttle-read-${keys.length}`, (slot) =>
    db
      .selectFrom('throttle_counters')
      .select(['counter_key', 'failures', 'blocked_until'])
      .where('counter_key', 'in', keys.map((_key, index) => slot(index)))
      .where('expires_at', '>', slot(keys.length)),
  );
  const { rows } = await query.run([...keys, nowMs]);
  const byKey = new Map(rows.map((row) => [row.counter_key, row]));
  return keys.map((key) => {
    const row = byKey.get(key);
    return row === undefined ? { failures: 0, blockedUntil: 0 } : { failures: Number(row.failures), blockedUntil: Number(row.blocked_until) };
  });
}

export async function deleteThrottleCounter(db: Db, key: string): Promise<void> {
  await lazySync(db).deleteFrom('throttle_counters').where('counter_key', '=', key).execute();
}

/** Delete counters that expired at or before `nowMs` and return how many. */
export async function deleteExpiredThrottleCounters(db: Db, nowMs: number): Promise<number> {
  const result = await db.deleteFrom('throttle_counters').where('expires_at', '<=', nowMs).executeTakeFirst();
  return Number(result.numDeletedRows);
}
