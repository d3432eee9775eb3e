import type { Kysely } from 'kysely';
import { Gauge, type Registry } from 'prom-client';
import type { DatabaseSchema } from '../storage/schema.js';
import { METRIC_PREFIX } from './registry.js';

/** How long one count is reused, so that scrapes from several Prometheus servers cost one query per process. */
const CACHE_MS = 5000;

/** A scrape waits this long for a fresh count, then returns without the series. */
const QUERY_WAIT_MS = 1000;

/** A count older than this is not reported: the figure would hide a stalled database. */
const STALE_MS = 3 * CACHE_MS;

const STATES = ['pending', 'failed'] as const;

/**
 * Count queued back-channel logouts: rows still to deliver (pending, retries
 * included) and rows that gave up (failed, kept seven days). The counts come
 * from the shared database, so every node and worker reads the same numbers,
 * and the cluster aggregate takes the largest instead of the sum.
 */
export function registerLogoutQueueMetrics(registry: Registry, db: Kysely<DatabaseSchema>): void {
  let last: { at: number; counts: Map<string, number> } | undefined;
  // At most one count runs at a time, so a stalled database cannot pile up queries from repeated scrapes.
  let inFlight: Promise<void> | undefined;

  const refresh = (): Promise<void> => {
    inFlight ??= readCounts(db)
      .then(
        (counts) => {
          last = { at: Date.now(), counts };
        },
        () => {
          last = undefined;
        },
      )
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };

  new Gauge({
    name: `${METRIC_PREFIX}backchannel_logout_queue_rows`,
    help: 'Back-channel logouts in the queue table: state="pending" still to deliver (retries included), state="failed" given up after the last attempt.',
    labelNames: ['state'] as const,
    aggregator: 'max',
    registers: [registry],
    async collect() {
      if (last === undefined || Date.now() - last.at > CACHE_MS) {
        await waitAtMost(refresh(), QUERY_WAIT_MS);
      }
      this.reset();
      if (last === undefined || Date.now() - last.at > STALE_MS) {
        // No recent count (the database is unreachable or slow): leave the series out rather than report a false zero.
        return;
      }
      for (const state of STATES) {
        this.set({ state }, last.counts.get(state) ?? 0);
      }
    },
  });
}

async function readCounts(db: Kysely<DatabaseSchema>): Promise<Map<string, number>> {
  // The (state, next_attempt_at) index covers the filter, so only the rows counted are read.
  const rows = await db
    .selectFrom('backchannel_logouts')
    .select(['state', (eb) => eb.fn.countAll().as('count')])
    .where('state', 'in', STATES)
    .groupBy('state')
    .execute();
  return new Map(rows.map((row) => [row.state, Number(row.count)]));
}

async function waitAtMost(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([promise, timeout]);
  clearTimeout(timer);
}
