import { lookup } from 'node:dns/promises';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { FastifyServerFactory } from 'fastify';

/** The server options Fastify passes to a server factory, with its defaults applied. */
interface FactoryOptions {
  http?: ServerOptions;
  keepAliveTimeout: number;
  requestTimeout: number;
  connectionTimeout: number;
  maxRequestsPerSocket: number;
  /** Fastify attaches it to the main server only. */
  clientErrorHandler: (error: Error, socket: Socket) => void;
}

export type RawHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The HTTP server's switch between oidc-provider and Fastify (decision 15).
 * Requests for oidc-provider's paths go straight to `handle`, which sets the
 * headers, metrics and log line that Fastify's hooks set on Propusk's own
 * routes. Everything else, and every request once the app starts closing,
 * goes to Fastify, which responds with 503 while it closes.
 */
export interface ProviderFastPath {
  /** Fastify's `serverFactory`: an HTTP/1.1 server with Fastify's timeouts. */
  serverFactory: FastifyServerFactory;
  /** Start sending matching requests to `handle`. Before this call, all of them go to Fastify. */
  enable(matches: (req: IncomingMessage) => boolean, handle: RawHandler): void;
  /** Send every later request to Fastify, and stop the servers of listenOnLocalhostPeers from accepting connections. */
  disable(): void;
  /**
   * Listen on the other addresses `localhost` resolves to (::1 besides
   * 127.0.0.1), on the main server's port. Fastify does this itself only for
   * a server it makes. Returns the addresses that could not be bound.
   */
  listenOnLocalhostPeers(): Promise<Array<{ address: string; error: Error }>>;
  /** Close the servers of listenOnLocalhostPeers, and wait until their last connection has ended. */
  closeLocalhostPeers(): Promise<void>;
}

export interface FastPathOptions {
  /** Resolver of the addresses of `localhost`. Tests pass a fixed list instead of the system resolver. */
  lookupLocalhost?: () => Promise<string[]>;
}

async function systemLocalhostAddresses(): Promise<string[]> {
  return (await lookup('localhost', { all: true })).map((entry) => entry.address);
}

export function createProviderFastPath(options: FastPathOptions = {}): ProviderFastPath {
  const lookupLocalhost = options.lookupLocalhost ?? systemLocalhostAddresses;
  let matches: ((req: IncomingMessage) => boolean) | undefined;
  let handle: RawHandler | undefined;
  let makePeer: (() => Server) | undefined;
  let mainServer: Server | undefined;
  const peers: Server[] = [];
  const peersClosed: Array<Promise<unknown>> = [];

  const serverFactory: FastifyServerFactory = (fastifyHandler, rawOptions) => {
    const settings = rawOptions as unknown as FactoryOptions;
    const route: RequestListener = (req, res) => {
      if (handle !== undefined && matches?.(req) === true) {
        handle(req, res);
      } else {
        fastifyHandler(req, res);
      }
    };
    // The settings Fastify gives the HTTP/1.1 server it makes itself (fastify 5, lib/server.js), whose
    // defaults it has filled in by the time it calls the factory.
    const makeServer = (): Server => {
      const server = createServer(settings.http ?? {}, route);
      server.keepAliveTimeout = settings.keepAliveTimeout;
      server.requestTimeout = settings.requestTimeout;
      server.setTimeout(settings.connectionTimeout);
      if (settings.maxRequestsPerSocket > 0) {
        server.maxRequestsPerSocket = settings.maxRequestsPerSocket;
      }
      return server;
    };
    mainServer = makeServer();
    makePeer = () => {
      const peer = makeServer();
      peer.on('clientError', settings.clientErrorHandler);
      return peer;
    };
    return mainServer;
  };

  const disable = (): void => {
    handle = undefined;
    // Like Fastify's own close with forceCloseConnections 'idle': stop listening, end idle keep-alive
    // connections, and let requests in flight finish.
    for (const peer of peers.splice(0)) {
      peersClosed.push(new Promise((resolve) => peer.close(resolve)));
      peer.closeIdleConnections();
    }
  };

  return {
    serverFactory,
    enable(match, handler) {
      matches = match;
      handle = handler;
    },
    disable,
    async listenOnLocalhostPeers() {
      const main = mainServer?.address() as AddressInfo | null | undefined;
      if (makePeer === undefined || main === null || main === undefined) {
        throw new Error('listenOnLocalhostPeers: the main server is not listening');
      }
      const failures: Array<{ address: string; error: Error }> = [];
      for (const address of new Set(await lookupLocalhost())) {
        if (address === main.address) continue;
        const peer = makePeer();
        try {
          await new Promise<void>((resolve, reject) => {
            peer.once('error', reject);
            peer.listen(main.port, address, () => {
              peer.off('error', reject);
              resolve();
            });
          });
          peers.push(peer);
        } catch (error) {
          failures.push({ address, error: error as Error });
        }
      }
      return failures;
    },
    async closeLocalhostPeers() {
      disable();
      await Promise.all(peersClosed);
    },
  };
}
