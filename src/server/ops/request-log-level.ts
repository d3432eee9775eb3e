import type { FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Level of the route's one log line per request. Probes and scrapes arrive
     * every few seconds from every load balancer and Prometheus server, so
     * they log at debug instead of info.
     */
    requestLogLevel?: 'debug';
  }
}

/** Route options for an operations endpoint: its request lines go to the debug level. */
export const QUIET_ROUTE = { config: { requestLogLevel: 'debug' as const } };

/** True when the request's route wants its request line at debug level. */
export function logsRequestAtDebug(request: FastifyRequest): boolean {
  return request.routeOptions.config.requestLogLevel === 'debug';
}
