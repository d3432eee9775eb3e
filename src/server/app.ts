import type { IncomingMessage } from 'node:http';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/events.js';
import type { Config } from '../config/load.js';
import type { HashPoolStatsSource } from '../metrics/index.js';
import type { PasswordHasher } from '../identity/password/hash.js';
import { registerLoginFlow } from '../flows/login/routes.js';
import { registerHome } from '../home/routes.js';
import type { LoadedKeys } from '../keys/keystore.js';
import type { Sealer } from '../keys/sealer.js';
import { createClientDirectory } from '../oidc/clients.js';
import { startBackchannelLogout } from '../logout/index.js';
import { createLogoutTokenIssuer, routeBackchannelLogoutToQueue } from '../oidc/backchannel-logout.js';
import { isEndSessionPost, registerEndSessionPost } from '../oidc/end-session-post.js';
import { createSessionFactsReader, createSessionRecordReader } from '../oidc/grant-roles-read.js';
import { createInteractionGateway } from '../oidc/interactions.js';
import { createProvider, providerHandler } from '../oidc/provider.js';
import { createRequestFacts } from '../oidc/request-facts.js';
import { OIDC_PREFIX } from '../oidc/scopes.js';
import { createSessionIdRotator, createSessionReader } from '../oidc/sessions.js';
import { personPasswordContext } from '../flows/password-change/person-context.js';
import { registerPasswordChange } from '../flows/password-change/routes.js';
import { createSessionTerminator } from '../sessions/end-sessions.js';
import type { SessionEvents } from '../sessions/events.js';
import { sessionLifetimes } from '../sessions/lifetimes.js';
import { startExpiredSessionSweep } from '../sessions/redis-expiry.js';
import { createSessionAdapterGuard } from '../sessions/session-adapter.js';
import { redactUrl } from '../logging/redact-url.js';
import { routeLabel } from '../metrics/route-label.js';
import type { Store } from '../storage/database.js';
import { openOidcStorage } from '../storage/redis/oidc-storage.js';
import type { IdentifierCipher } from '../storage/identifier-cipher.js';
import { createLoginThrottle, openThrottle } from '../throttling/index.js';
import { registerAssets } from './assets.js';
import { clientIpResolver, registerClientIp } from './client-ip.js';
import { handleClientError } from './client-error.js';
import { createCsrfGuard } from './csrf.js';
import { logsRequestAtDebug, registerOps } from './ops/index.js';
import { registerErrorHandling, renderFrameworkError } from './error-handler.js';
import { publicOriginPinner } from './public-origin.js';
import { createProviderFastPath } from './provider-fast-path.js';
import { requestPath } from './request-path.js';
import { assignRequestId, writeRequestLine } from './request-record.js';
import { securityHeaders } from './security-headers.js';

export interface AppParts {
  config: Config;
  logger: Logger;
  store: Store;
  keys: LoadedKeys;
  sealer: Sealer;
  audit: AuditLog;
  identifiers: IdentifierCipher;
  sessionEvents: SessionEvents;
  passwords: PasswordHasher;
  /** The password-hash pool behind `passwords`, for its queue metrics. */
  hashPool?: HashPoolStatsSource;
}

/** Form bodies are small: a login, a password, a token. */
const BODY_LIMIT_BYTES = 16 * 1024;

/**
 * True for oidc-provider's requests: its paths, except the end-session form
 * POST that Propusk turns into a GET, and except a path with a malformed
 * percent-escape, which Fastify's router rejects with the 400 page.
 */
function goesToProvider(req: IncomingMessage): boolean {
  const url = req.url;
  if (url === undefined || !(url.startsWith(`${OIDC_PREFIX}/`) || url.startsWith('/.well-known/')) || isEndSessionPost(req.method, url)) {
    return false;
  }
  const path = requestPath(url);
  return !path.includes('%') || hasValidEscapes(path);
}

function hasValidEscapes(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

/** Time allowed to receive a whole request, headers and body; every request of Propusk is small. */
const REQUEST_TIMEOUT_MS = 30_000;

/** Build the HTTP application: oidc-provider's endpoints plus Propusk's own pages. */
export async function buildApp(parts: AppParts): Promise<FastifyInstance> {
  const { config, logger, store } = parts;
  const https = config.issuer.startsWith('https://');
  const applySecurityHeaders = securityHeaders(config.issuer);
  const pinPublicOrigin = publicOriginPinner(config.issuer);
  const clientIp = clientIpResolver(config.trustedProxies);

  const fastPath = createProviderFastPath();
  const app = Fastify({
    serverFactory: fastPath.serverFactory,
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    // One line per request is written by the onResponse hook below, or for oidc-provider's requests by the fast path.
    logController: new LogController({ disableRequestLogging: true }),
    // On close (graceful shutdown) idle keep-alive connections end at once, requests in
    // flight finish, and a new request on an open connection gets 503 with Connection: close.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    // Fastify turns off Node's limit on the time to receive a whole request. A client
    // that sends its body a byte at a time would otherwise hold a connection for ever.
    requestTimeout: REQUEST_TIMEOUT_MS,
    // Requests that Node's parser rejects (too long, too slow, malformed) get a page, not Fastify's English JSON.
    clientErrorHandler: handleClientError,
    // No trustProxy: request.clientIp (registerClientIp) is the client address.
    // A malformed URL (a stray %) gets the same error page and headers as any other error.
    frameworkErrors: (error, request, reply) => {
      pinPublicOrigin(request.raw);
      applySecurityHeaders(request.raw, reply.raw);
      reply.header('x-request-id', request.id);
      return renderFrameworkError(error, request, reply, config.demo, clientIp(request.raw));
    },
    genReqId: assignRequestId,
  });
  registerClientIp(app, clientIp);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    pinPublicOrigin(request.raw);
    applySecurityHeaders(request.raw, reply.raw);
  });

  app.addHook('onResponse', async (request, reply) => {
    const line = { method: request.method, url: redactUrl(request.url), ip: request.clientIp, status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    writeRequestLine(request.log, line, { quiet: logsRequestAtDebug(request), deferred: reply.statusCode === 503 && reply.hasHeader('retry-after') });
  });
  const ops = await registerOps(app, { config, store, logger, hashPool: parts.hashPool });

  // Cookies are parsed at preParsing, so a request that a hook responds to early does not pay for the parse. Error pages
  // that issue a form token run later and still see the cookies.
  await app.register(fastifyCookie, { hook: 'preParsing' });
  await app.register(fastifyFormbody, { bodyLimit: BODY_LIMIT_BYTES });
  // Propusk's own endpoints are HTML forms: urlencoded bodies only.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  registerEndSessionPost(app, { issuer: config.issuer, demo: config.demo });

  const clients = createClientDirectory(store.db, parts.sealer, config);
  const requestFacts = createRequestFacts();
  const throttle = await openThrottle({ config, store, cookieKeys: parts.keys.cookieKeys, logger });
  app.addHook('onClose', async () => throttle.close());
  const oidcStorage = await openOidcStorage({
    store,
    redisUrl: config.redisUrl,
    redisSentinel: config.redisSentinel,
    redisPrefix: config.redisPrefix,
    logger,
    currentRequest: requestFacts.currentRequest,
  });
  const guardSessions = createSessionAdapterGuard({
    db: store.db,
    lifetimes: sessionLifetimes(config),
    events: parts.sessionEvents,
    logger,
    onSessionRead: requestFacts.remember,
    readFacts: createSessionFactsReader(store.db, requestFacts),
    // Sessions in the database are read with their facts in one query. Sessions in Redis take a second read.
    ...(oidcStorage.sessionsInDatabase ? { readRecord: createSessionRecordReader(store.db, requestFacts) } : {}),
  });
  const sweep = oidcStorage.takeExpiredSessions && startExpiredSessionSweep({ take: oidcStorage.takeExpiredSessions, events: parts.sessionEvents, logger });
  app.addHook('onClose', async () => {
    sweep?.stop();
    await oidcStorage.close();
  });
  const provider = createProvider({ config, store, keys: parts.keys, clients, logger, audit: parts.audit, identifiers: parts.identifiers, guardSessions, requestFacts, throttle, sealer: parts.sealer, oidcStorage, timeAdapter: ops.metrics.timeAdapter });
  const backchannelLogout = startBackchannelLogout({ config, store, logger, issueLogoutToken: createLogoutTokenIssuer(provider) });
  routeBackchannelLogoutToQueue(provider, (target) => backchannelLogout.enqueue(target, 'logout'), logger);
  app.addHook('onClose', async () => backchannelLogout.stop());
  // The runtime's listener has queued the logouts by now; deliver them at once.
  parts.sessionEvents.onSessionsEnded(() => backchannelLogout.wake());
  const handleProvider = providerHandler(provider, config.issuer);
  // oidc-provider's requests skip Fastify (decision 15) and get here what Fastify's hooks give the others:
  // a request id, the security headers, the metrics and the log line.
  fastPath.enable(goesToProvider, (req, res) => {
    const started = performance.now();
    const reqId = assignRequestId(req);
    const ip = clientIp(req);
    const { method } = req;
    const url = req.url as string;
    res.setHeader('x-request-id', reqId);
    pinPublicOrigin(req);
    applySecurityHeaders(req, res);
    res.once('finish', () => {
      const elapsed = performance.now() - started;
      ops.metrics.observeRequest(routeLabel(undefined, url), method ?? '', res.statusCode, elapsed / 1000);
      const line = { reqId, method, url: redactUrl(url), ip, status: res.statusCode, ms: Math.round(elapsed) };
      writeRequestLine(logger, line, { quiet: false, deferred: res.statusCode === 503 && res.hasHeader('retry-after') });
    });
    handleProvider(req, res, ip);
  });
  app.addHook('preClose', async () => fastPath.disable());
  app.addHook('onClose', async () => fastPath.closeLocalhostPeers());
  if (config.host === 'localhost') {
    // Fastify listens on every address of localhost only on a server it makes itself.
    app.addHook('onListen', async () => {
      for (const { address, error } of await fastPath.listenOnLocalhostPeers()) {
        logger.info({ address, err: error }, 'not listening on this address of localhost');
      }
    });
  }

  const csrf = createCsrfGuard(parts.keys.cookieKeys, https);
  registerErrorHandling(app, config.demo);
  registerAssets(app);
  registerLoginFlow(app, {
    config,
    db: store.db,
    identifiers: parts.identifiers,
    gateway: createInteractionGateway(provider),
    clients,
    csrf,
    logger,
    audit: parts.audit,
    loginThrottle: ops.metrics.countLogins(createLoginThrottle({ throttle, logger, audit: parts.audit })),
    passwords: ops.metrics.countOverloads(parts.passwords),
  });
  const readSession = createSessionReader(provider);
  const rotateSessionId = createSessionIdRotator(provider);
  registerHome(app, { config, db: store.db, readSession, csrf, audit: parts.audit, rotateSessionId });
  registerPasswordChange(app, {
    config,
    db: store.db,
    readSession,
    rotateSessionId,
    csrf,
    audit: parts.audit,
    sessions: createSessionTerminator({ store, audit: parts.audit, events: parts.sessionEvents, logger, oidcStorage }),
    passwordContext: (person) => personPasswordContext(store.db, parts.identifiers, person),
    throttle,
    passwords: parts.passwords,
    logger,
  });
  return app;
}
