import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import type { DatabaseSchema } from '../storage/schema.js';
import { createAdapterTimer, type AdapterTimer } from './adapter-metrics.js';
import { registerMetricsEndpoint } from './endpoint.js';
import { registerHashPoolMetrics, type HashPoolStatsSource } from './hash-pool-metrics.js';
import { registerHttpMetrics, type ObserveRequest } from './http-metrics.js';
import { createLoginMetrics, type LoginMetrics } from './login-metrics.js';
import { registerLogoutQueueMetrics } from './logout-queue-metrics.js';
import { createMetricsRegistry } from './registry.js';

export type { AdapterTimer } from './adapter-metrics.js';
export type { HashPoolStatsSource } from './hash-pool-metrics.js';

/** The hooks that other modules call to feed the metrics. */
export interface Metrics extends LoginMetrics {
  registry: Registry;
  timeAdapter: AdapterTimer;
  /** Time a request that Fastify's hooks do not see (oidc-provider's paths). */
  observeRequest: ObserveRequest;
}

export interface MetricsParts {
  db: Kysely<DatabaseSchema>;
  /** PROPUSK_METRICS_TOKEN; unset, /metrics is not served. */
  token: string | undefined;
  /** The password-hash worker pool, when the process has one. */
  hashPool?: HashPoolStatsSource;
}

/** Create the process's metrics, time every request of `app`, and serve /metrics. */
export function setUpMetrics(app: FastifyInstance, parts: MetricsParts): Metrics {
  const registry = createMetricsRegistry();
  const observeRequest = registerHttpMetrics(app, registry);
  registerLogoutQueueMetrics(registry, parts.db);
  if (parts.hashPool !== undefined) {
    registerHashPoolMetrics(registry, parts.hashPool);
  }
  registerMetricsEndpoint(app, registry, parts.token);
  return { registry, observeRequest, timeAdapter: createAdapterTimer(registry), ...createLoginMetrics(registry) };
}
