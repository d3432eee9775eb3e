import { Counter, Gauge, type Registry } from 'prom-client';
import type { HashPoolStats } from '../identity/password/hash-pool.js';
import { METRIC_PREFIX } from './registry.js';


export interface HashPoolStatsSource {
  stats(): HashPoolStats;
}

const NAME = `${METRIC_PREFIX}password_hash`;

/**
 * Export the pool's figures, read at each scrape. Under cluster workers the
 * counts add up across workers. The expected wait takes the largest, because
 * a login waits in the queue of the worker it landed on.
 */
export function registerHashPoolMetrics(registry: Registry, pool: HashPoolStatsSource): void {
  const gauge = (suffix: string, help: string, read: (stats: HashPoolStats) => number, aggregator: 'sum' | 'max' = 'sum') =>
    new Gauge({
      name: `${NAME}_${suffix}`,
      help,
      registers: [registry],
      aggregator,
      collect() {
        this.set(read(pool.stats()));
      },
    });
  const counter = (suffix: string, help: string, read: (stats: HashPoolStats) => number) =>
    new Counter({
      name: `${NAME}_${suffix}`,
      help,
      registers: [registry],
      collect() {
        // The pool keeps the running total, so the counter is set to it rather than incremented.
        this.reset();
        this.inc(read(pool.stats()));
      },
    });

  gauge('threads', 'Worker threads of the password-hash pool.', (stats) => stats.threads);
  gauge('busy_threads', 'Worker threads hashing or verifying a password now.', (stats) => stats.busy);
  gauge('queued_jobs', 'Password checks and hashes waiting for a free thread.', (stats) => stats.queued);
  gauge('expected_wait_seconds', 'Expected wait of a new password check; above PROPUSK_HASH_MAX_WAIT_MS new checks are rejected with 503.', (stats) => stats.expectedWaitMs / 1000, 'max');
  counter('rejected_total', 'Password checks rejected at once because the expected wait was too long.', (stats) => stats.rejectedTotal);
  counter('completed_total', 'Password checks and hashes completed by the pool.', (stats) => stats.completedTotal);
}
