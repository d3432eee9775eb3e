import { createHash, timingSafeEqual } from 'node:crypto';
import cluster from 'node:cluster';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { QUIET_ROUTE } from '../server/ops/request-log-level.js';
import { answerClusterCollection, requestClusterMetrics } from './cluster-metrics.js';

export const METRICS_PATH = '/metrics';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Compare the presented bearer token in constant time; hashing first makes the lengths equal. */
export function bearerTokenMatches(header: string | undefined, expected: string): boolean {
  const match = /^Bearer[ ]+(\S+)$/i.exec(header ?? '');
  return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), digest(expected));
}

/** At most one warning per this many milliseconds about refused scrapes, so a flood of them cannot flood the log. */
export const REFUSED_SCRAPE_WARNING_INTERVAL_MS = 60_000;

/**
 * Decide which refused scrapes get a warning: the first one at once, then at
 * most one per interval, carrying the count of refusals since the last
 * warning. Returns that count, or undefined when this refusal stays silent.
 */
export function refusedScrapeCounter(intervalMs: number = REFUSED_SCRAPE_WARNING_INTERVAL_MS, clock: () => number = Date.now): () => number | undefined {
  let lastWarning = -Infinity;
  let silent = 0;
  return () => {
    const now = clock();
    if (now - lastWarning < intervalMs) {
      silent += 1;
      return undefined;
    }
    lastWarning = now;
    const refused = silent + 1;
    silent = 0;
    return refused;
  };
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

  const countRefusal = refusedScrapeCounter();
  app.get(METRICS_PATH, QUIET_ROUTE, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    if (!bearerTokenMatches(request.headers.authorization, token)) {
      // A wrong token is a misconfigured scraper or a probe; either way an operator should hear of it.
      const refused = countRefusal();
      if (refused !== undefined) {
        request.log.warn(
          { ip: request.clientIp, refused, intervalSeconds: REFUSED_SCRAPE_WARNING_INTERVAL_MS / 1000 },
          'metrics scrape refused: missing or wrong bearer token (check PROPUSK_METRICS_TOKEN in the scraper); refused counts this one and those not logged since the last warning',
        );
      }
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
