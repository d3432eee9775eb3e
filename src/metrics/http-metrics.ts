import type { FastifyInstance } from 'fastify';
import { Histogram, type Registry } from 'prom-client';
import { METRIC_PREFIX } from './registry.js';
import { routeLabel } from './route-label.js';

/**
 * Bucket bounds in seconds: from userinfo (target p99 5 ms) to a password
 * login that waits for a hash thread under load.
 */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Time every request by route, method and status. The histogram's `_count`
 * series is the request rate, so no separate counter is kept.
 */
export function registerHttpMetrics(app: FastifyInstance, registry: Registry): void {
  const duration = new Histogram({
    name: `${METRIC_PREFIX}http_request_duration_seconds`,
    help: 'Time from the start of a request to the end of its response, by route pattern or oidc-provider endpoint.',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });

  app.addHook('onResponse', async (request, reply) => {
    const labels = {
      route: routeLabel(request.routeOptions.url, request.url),
      method: methodLabel(request.method),
      status: String(reply.statusCode),
    };
    duration.observe(labels, reply.elapsedTime / 1000);
  });
}

/** Methods that get a label of their own; any other method a client sends shares one, so series stay bounded. */
const LABELLED_METHODS = new Set(['GET', 'HEAD', 'POST', 'OPTIONS']);

function methodLabel(method: string): string {
  return LABELLED_METHODS.has(method) ? method : 'other';
}
