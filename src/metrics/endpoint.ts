import { createHash, timingSafeEqual } from 'node:crypto';
import cluster from 'node:cluster';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { QUIET_ROUTE } from '../server/ops/request-log-level.js';
import { answerClusterCollection, requestClusterMetrics } from './cluster-metrics.js';
import { createRejectedScrapeReporter, REJECTED_SCRAPE_WARNING_INTERVAL_MS } from './rejected-scrapes.js';

export const METRICS_PATH = '/metrics';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Compare the presented bearer token in constant time; hashing first makes the lengths equal. */
export function bearerTokenMatches(header: string | undefined, expected: string): boolean {
  const match = /^Bearer[ ]+(\S+)$/i.exec(header ?? '');
  return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), digest(expected));
}

/**
 * Serve the registry at /metrics to holders of PROPUSK_METRICS_TOKEN. Without
 * a token the endpoint does not exist (404): the node's internals are never
 * public by default. In a cluster worker the response covers the whole node (see
 * cluster-metrics.ts).
 */
export function registerMetricsEndpoint(app: FastifyInstance, registry: Registry, token: string | undefined): void {
  if (token === undefined) {
    return;
  }
  if (cluster.isWorker) {
    const stopAnswering = answerClusterCollection(registry);
    app.addHook('onClose', async () => stopAnswering());
  }

  // A wrong token comes from a misconfigured scraper or a probe, and an operator should hear of either.
  const rejections = createRejectedScrapeReporter(({ rejected, ip }) =>
    app.log.warn(
      { ip, rejected, intervalSeconds: REJECTED_SCRAPE_WARNING_INTERVAL_MS / 1000 },
      'metrics scrape rejected: missing or wrong bearer token (check PROPUSK_METRICS_TOKEN in the scraper); rejected is the number of rejected scrapes this warning covers, ip the latest address',
    ),
  );
  app.addHook('onClose', async () => rejections.close());
  app.get(METRICS_PATH, QUIET_ROUTE, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    if (!bearerTokenMatches(request.headers.authorization, token)) {
      rejections.rejected(request.clientIp);
      return reply.code(401).header('www-authenticate', 'Bearer realm="metrics"').type('text/plain; charset=utf-8').send('Unauthorized\n');
    }
    try {
      const text = cluster.isWorker ? await requestClusterMetrics() : await registry.metrics();
      return reply.type(registry.contentType).send(text);
    } catch (error) {
      request.log.warn({ err: error }, 'metrics could not be collected');
      return reply.code(503).type('text/plain; charset=utf-8').send('Metrics unavailable, see the log\n');
    }
  });
}
