import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import type { FastifyServerFactory } from 'fastify';

/** The server options Fastify passes to a server factory, with its defaults applied. */
interface FactoryOptions {
  http?: ServerOptions;
  keepAliveTimeout: number;
  requestTimeout: number;
  connectionTimeout: number;
  maxRequestsPerSocket: number;
}

export type RawHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The HTTP server's switch between oidc-provider and Fastify (decision 15).
 * Requests for oidc-provider's paths go straight to `handle`, which sets the
 * headers, metrics and log line that Fastify's hooks set on Propusk's own
 * routes. Everything else, and every request once the app starts closing,
 * goes to Fastify, which answers 503 while it closes.
 */
export interface ProviderFastPath {
  /** Fastify's `serverFactory`: an HTTP/1.1 server with Fastify's timeouts. */
  serverFactory: FastifyServerFactory;
  /** Start sending matching requests to `handle`. Before this call, all of them go to Fastify. */
  enable(matches: (req: IncomingMessage) => boolean, handle: RawHandler): void;
  /** Send every later request to Fastify. Called when the app starts to close. */
  disable(): void;
}

export function createProviderFastPath(): ProviderFastPath {
  let matches: ((req: IncomingMessage) => boolean) | undefined;
  let handle: RawHandler | undefined;

  const serverFactory: FastifyServerFactory = (fastifyHandler, rawOptions) => {
    const options = rawOptions as unknown as FactoryOptions;
    const route: RequestListener = (req, res) => {
      if (handle !== undefined && matches?.(req) === true) {
        handle(req, res);
      } else {
        fastifyHandler(req, res);
      }
    };
    // The settings Fastify gives the HTTP/1.1 server it makes itself (fastify 5, lib/server.js), whose
    // defaults it has filled in by the time it calls the factory.
    const server: Server = createServer(options.http ?? {}, route);
    server.keepAliveTimeout = options.keepAliveTimeout;
    server.requestTimeout = options.requestTimeout;
    server.setTimeout(options.connectionTimeout);
    if (options.maxRequestsPerSocket > 0) {
      server.maxRequestsPerSocket = options.maxRequestsPerSocket;
    }
    return server;
  };

  return {
    serverFactory,
    enable(match, handler) {
      matches = match;
      handle = handler;
    },
    disable() {
      handle = undefined;
    },
  };
}
