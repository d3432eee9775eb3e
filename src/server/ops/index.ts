import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../../config/load.js';
import { setUpMetrics, type HashPoolStatsSource, type Metrics } from '../../metrics/index.js';
import { closeRedisClient, openRedisClient } from '../../redis/client.js';
import type { Store } from '../../storage/database.js';
import { registerHealthRoutes } from './health-routes.js';
import { createReadiness, type Readiness } from './readiness.js';

export { logsRequestAtDebug } from './request-log-level.js';

/**
 * Time limit of each readiness check. Below the usual 2 s probe timeout of a
 * load balancer or orchestrator, so a stalled dependency shows as a 503, not
 * as a probe that timed out.
 */
const READINESS_CHECK_TIMEOUT_MS = 1000;

export interface OpsParts {
  config: Config;
  store: Store;
  logger: Logger;
  /** The password-hash worker pool, for its queue metrics. */
  hashPool?: HashPoolStatsSource;
}

export interface Ops {
  readiness: Readiness;
  metrics: Metrics;
}

/**
 * Register the operations endpoints on `app`: /healthz, /readyz and
 * /metrics, and the request metrics. When the app starts closing, /readyz
 * turns to 503 (draining) at once.
 */
export async function registerOps(app: FastifyInstance, parts: OpsParts): Promise<Ops> {
  const { config, logger } = parts;
  // A connection of its own, so that the probe measures Redis and not a busy shared connection.
  const redis = config.redisUrl === undefined ? undefined : await openRedisClient(config.redisUrl, logger, 'readiness', config.redisSentinel);
  if (redis !== undefined) {
    app.addHook('onClose', async () => closeRedisClient(redis));
  }
  const readiness = createReadiness({
    store: parts.store,
    pingRedis: redis === undefined ? undefined : () => redis.ping(),
    logger,
    timeoutMs: READINESS_CHECK_TIMEOUT_MS,
  });
  app.addHook('preClose', async () => readiness.markDraining());
  registerHealthRoutes(app, readiness);

  const metrics = setUpMetrics(app, { db: parts.store.db, token: config.metricsToken, hashPool: parts.hashPool });
  return { readiness, metrics };
}
