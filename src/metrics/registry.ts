import { collectDefaultMetrics, Registry } from 'prom-client';

/** Prefix of every metric that Propusk defines itself. The default process metrics keep their standard names. */
export const METRIC_PREFIX = 'propusk_';

/**
 * Create the registry of one process, with the default process and Node.js
 * metrics (CPU, memory, event loop lag, handles). Each process gets its own
 * registry instead of prom-client's global one, so tests can run several
 * servers in one process without their metrics colliding.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
