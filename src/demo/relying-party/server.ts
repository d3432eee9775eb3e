// Demo relying party: one web server that plays the five school services,
// each a separate confidential OIDC client of Propusk, so that single sign-on,
// role switching, token refresh and logout can be tried in a browser.
import formbody from '@fastify/formbody';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { redactUrl } from '../../logging/redact-url.js';
import { registerAccountRoutes } from './account-routes.js';
import { registerBackchannelRoutes } from './backchannel-routes.js';
import { registerLoginRoutes } from './login-routes.js';
import { messagesFor } from './messages.js';
import { ClientConfigCache, ProviderUnavailableError } from './oidc-client.js';
import { renderIndexPage } from './pages.js';
import { languageOf, sendErrorPage, sendHtml } from './route-context.js';
import type { DemoService } from './service.js';
import { SessionStore } from './session.js';

export { demoRedirectUris, type DemoRedirectUris, type DemoService } from './service.js';

export interface DemoRelyingPartyOptions {
  /** Propusk issuer, exactly as in its discovery document, e.g. `http://localhost:3000`. */
  issuer: string;
  /** Port to listen on. 0 picks a free port. */
  port: number;
  /** Address to listen on. Defaults to `localhost`. Redirect URIs use the issuer's host name instead. */
  host?: string;
  services: DemoService[];
  logger: Logger;
}

export interface DemoRelyingParty {
  /** Public origin, as returned by `demoRelyingPartyBaseUrl`, e.g. `http://localhost:3001`. */
  url: string;
  close(): Promise<void>;
}

const DEFAULT_HOST = 'localhost';

/**
 * Returns the public origin of the demo relying party: plain http on the
 * issuer's host name and the given port, e.g. `http://localhost:3001` for the
 * issuer `http://localhost:3000`. Propusk must register the redirect URIs of
 * `demoRedirectUris` with this origin. The listen address is not used because
 * it may be `0.0.0.0` or an address that differs from the issuer's host name.
 */
export function demoRelyingPartyBaseUrl(issuer: string, port: number): string {
  return `http://${new URL(issuer).hostname}:${port}`;
}

export async function startDemoRelyingParty(options: DemoRelyingPartyOptions): Promise<DemoRelyingParty> {
  const host = options.host ?? DEFAULT_HOST;
  const logger = options.logger.child({ component: 'demo-relying-party' });
  const app = await createApp(options, logger);

  // rpBase needs the real port, which is known only after listen when port is 0.
  // The routes read it from `context` on each request, so it is filled in below.
  const configs = new ClientConfigCache(options.issuer, logger);
  const sessions = new SessionStore();
  const contexts = options.services.map((service) => ({
    service,
    services: options.services,
    configs,
    sessions,
    rpBase: demoRelyingPartyBaseUrl(options.issuer, options.port),
    logger,
  }));
  for (const context of contexts) {
    registerLoginRoutes(app, context);
    registerAccountRoutes(app, context);
    registerBackchannelRoutes(app, context);
  }

  try {
    await app.listen({ port: options.port, host });
  } catch (error) {
    await app.close();
    throw error;
  }
  const url = demoRelyingPartyBaseUrl(options.issuer, listeningPort(app));
  for (const context of contexts) context.rpBase = url;
  logger.info({ url, issuer: options.issuer, services: options.services.map((s) => s.clientId) }, 'demo relying party started');

  return {
    url,
    async close() {
      await app.close();
      logger.info({ url }, 'demo relying party stopped');
    },
  };
}

/** Creates the Fastify instance with logging, headers, error pages and the index page. */
async function createApp(options: DemoRelyingPartyOptions, logger: Logger): Promise<FastifyInstance> {
  const loggerInstance: FastifyBaseLogger = logger;
  // Fastify's own request lines would log callback URLs with the authorization
  // code in the query, so they are replaced by a hook that redacts the URL.
  const logController = new LogController({ disableRequestLogging: true });
  const app = Fastify({ loggerInstance, logController });
  app.addHook('onResponse', async (request, reply) => {
    const url = redactUrl(request.url);
    request.log.info({ method: request.method, url, statusCode: reply.statusCode, responseTime: reply.elapsedTime }, 'request completed');
  });

  await app.register(formbody);
  addSecurityHeaders(app, new URL(options.issuer).origin);
  app.setErrorHandler((error, request, reply) => handleError(options.services, error, request, reply));
  app.setNotFoundHandler((request, reply) =>
    sendErrorPage(request, reply, undefined, 404, { explanation: messagesFor(languageOf(request)).notFound }),
  );
  app.get('/', (request, reply) => sendHtml(reply, 200, renderIndexPage(languageOf(request), options.services)));
  return app;
}

function listeningPort(app: FastifyInstance): number {
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error(`Unexpected server address: ${String(address)}`);
  return address.port;
}

function addSecurityHeaders(app: FastifyInstance, issuerOrigin: string): void {
  // form-action includes the issuer because the logout form ends in a redirect
  // to Propusk, and browsers apply form-action to redirects after a submission.
  const csp = `default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'; form-action 'self' ${issuerOrigin}`;
  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', csp);
    reply.header('x-content-type-options', 'nosniff');
    // The callback URL contains the authorization code, so no page sends a Referer.
    reply.header('referrer-policy', 'no-referrer');
  });
}

function handleError(
  services: DemoService[],
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const text = messagesFor(languageOf(request));
  const service = services.find((candidate) => request.url.startsWith(`/${candidate.path}/`));
  const route = request.routeOptions.url;

  if (error instanceof ProviderUnavailableError) {
    request.log.error({ err: error, route }, 'Propusk is unavailable');
    return sendErrorPage(request, reply, service, 503, {
      explanation: text.providerUnavailable,
      code: 'provider_unavailable',
    });
  }

  const statusCode = readStatusCode(error);
  if (statusCode < 500) {
    // Client errors from Fastify itself, e.g. an unsupported content type.
    request.log.info({ statusCode, route, message: error instanceof Error ? error.message : String(error) }, 'request rejected');
    return sendErrorPage(request, reply, service, statusCode, { explanation: text.badRequest });
  }
  request.log.error({ err: error, route }, 'demo relying party request failed');
  return sendErrorPage(request, reply, service, 500, { explanation: text.internalError });
}

function readStatusCode(error: unknown): number {
  if (typeof error !== 'object' || error === null || !('statusCode' in error)) return 500;
  const statusCode = error.statusCode;
  return typeof statusCode === 'number' && statusCode >= 400 && statusCode < 600 ? statusCode : 500;
}
