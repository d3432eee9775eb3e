import type { FastifyInstance } from 'fastify';
import type { Readiness } from './readiness.js';
import { QUIET_ROUTE } from './request-log-level.js';

/**
 * Register the probes. /healthz returns 200 while the process runs and its
 * event loop responds. It does no I/O, so a slow database never gets a live
 * process restarted. /readyz returns 200 when the node can serve (database
 * reachable, migrations applied, Redis reachable when configured) and is not
 * shutting down, and a load balancer sends traffic only while it is 200.
 */
export function registerHealthRoutes(app: FastifyInstance, readiness: Readiness): void {
  app.get('/healthz', QUIET_ROUTE, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return { status: 'ok' };
  });

  app.get('/readyz', QUIET_ROUTE, async (_request, reply) => {
    const report = await readiness.check();
    reply.code(report.status === 'ready' ? 200 : 503).header('cache-control', 'no-store');
    return report;
  });
}
