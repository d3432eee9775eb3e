import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import middie from '@fastify/middie';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { registerLoginFlow } from '../flows/login/routes.js';
import { registerHome } from '../home/routes.js';
import type { LoadedKeys } from '../keys/keystore.js';
import type { Sealer } from '../keys/sealer.js';
import { createClientDirectory } from '../oidc/clients.js';
import { createInteractionGateway } from '../oidc/interactions.js';
import { createProvider, providerHandler } from '../oidc/provider.js';
import { OIDC_PREFIX } from '../oidc/scopes.js';
import { createSessionReader } from '../oidc/sessions.js';
import { redactUrl } from '../logging/redact-url.js';
import type { Store } from '../storage/database.js';
import { registerAssets } from './assets.js';
import { clientIpResolver } from './client-ip.js';
import { createCsrfGuard } from './csrf.js';
import { registerErrorHandling, renderFrameworkError } from './error-handler.js';
import { applyHeaders, securityHeaders } from './security-headers.js';

export interface AppParts {
  config: Config;
  logger: Logger;
  store: Store;
  keys: LoadedKeys;
  sealer: Sealer;
}

/** Form bodies are small: a login, a password, a token. */
const BODY_LIMIT_BYTES = 16 * 1024;

function isProviderPath(url: string | undefined): boolean {
  return url !== undefined && (url.startsWith(`${OIDC_PREFIX}/`) || url.startsWith('/.well-known/'));
}

/** Build the HTTP application: oidc-provider's endpoints plus Propusk's own pages. */
export async function buildApp(parts: AppParts): Promise<FastifyInstance> {
  const { config, logger, store } = parts;
  const https = config.issuer.startsWith('https://');
  const headers = securityHeaders(https);
  const clientIp = clientIpResolver(config.trustProxy);

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    // One line per request is written by the onResponse hook below.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: config.trustProxy,
    // A malformed URL (a stray %) gets the same error page and headers as any other error.
    frameworkErrors: (error, request, reply) => {
      reply.headers(headers);
      return renderFrameworkError(error, request, reply, config.demo);
    },
    genReqId: (req) => {
      // Our id replaces any the client sent, so logs and pages can trust it.
      const id = randomUUID();
      req.headers['x-request-id'] = id;
      return id;
    },
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    reply.headers(headers);
  });

  app.addHook('onResponse', async (request, reply) => {
    const line = { method: request.method, url: redactUrl(request.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    if (reply.statusCode >= 500) {
      request.log.error(line, 'request failed');
    } else {
      request.log.info(line, 'request');
    }
  });

  await app.register(fastifyCookie);
  await app.register(fastifyFormbody, { bodyLimit: BODY_LIMIT_BYTES });
  // Propusk's own endpoints are HTML forms: urlencoded bodies only.
  app.removeContentTypeParser('application/json');
  await app.register(middie);

  const clients = createClientDirectory(store.db, parts.sealer, config);
  const provider = createProvider({ config, store, keys: parts.keys, clients, logger });
  const handleProvider = providerHandler(provider, config.issuer, clientIp);
  app.use((req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => {
    if (!isProviderPath(req.url)) {
      next();
      return;
    }
    applyHeaders(res, headers);
    handleProvider(req, res);
  });

  const csrf = createCsrfGuard(parts.keys.cookieKeys, https);
  registerErrorHandling(app, config.demo);
  registerAssets(app);
  registerLoginFlow(app, { config, db: store.db, gateway: createInteractionGateway(provider), clients, csrf, logger });
  registerHome(app, { config, db: store.db, readSession: createSessionReader(provider), csrf });
  app.get('/healthz', async () => ({ status: 'ok' }));
  return app;
}
