import type { FastifyInstance } from 'fastify';
import { Histogram, type Registry } from 'prom-client';
import { METRIC_PREFIX } from './registry.js';
import { routeLabel } from './route-label.js';

/**
 * Bucket bounds in seconds: from userinfo (target p99 5 ms) to a password
 * login that waits for a hash thread under load.
 */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Record one request's duration, in seconds, under its route label, method and status. */
export type ObserveRequest = (route: string, method: string, status: number, seconds: number) => void;

/**
 * Time every request by route, method and status. The histogram's `_count`
 * series is the request rate, so no separate counter is kept. Fastify's hook
 * times Propusk's own routes; the returned function times the requests that
 * go to oidc-provider without Fastify.
 */
export function registerHttpMetrics(app: FastifyInstance, registry: Registry): ObserveRequest {
  const duration = new Histogram({
    name: `${METRIC_PREFIX}http_request_duration_seconds`,
    help: 'Time from the start of a request to the end of its response, by route pattern or oidc-provider endpoint.',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const observe: ObserveRequest = (route, method, status, seconds) => {
    duration.observe({ route, method: methodLabel(method), status: String(status) }, seconds);
  };

  app.addHook('onResponse', async (request, reply) => {
    observe(routeLabel(request.routeOptions.url, request.url), request.method, reply.statusCode, reply.elapsedTime / 1000);
  });
  return observe;
}

/** Methods that get a label of their own; any other method a client sends shares one, so series stay bounded. */
const LABELLED_METHODS = new Set(['GET', 'HEAD', 'POST', 'OPTIONS']);

function methodLabel(method: string): string {
  return LABELLED_METHODS.has(method) ? method : 'other';
}
