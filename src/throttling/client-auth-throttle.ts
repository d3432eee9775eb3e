import type { Logger } from 'pino';
import type { AuditLog } from '../audit/events.js';
import { canonicalIp, networkOf } from './network.js';
import { createRepeatFilter } from './repeat-filter.js';
import type { AllowedAttempt, Throttle, ThrottleKey } from './throttle.js';

/** The parts of oidc-provider's Koa context that the throttle reads and writes. */
export interface EndpointContext {
  method: string;
  path: string;
  /** The client address: providerHandler puts the resolved one into X-Forwarded-For, which the provider trusts. */
  ip: string;
  status: number;
  body: unknown;
  get(field: string): string;
  set(field: string, value: string): void;
}

export interface ClientAuthThrottleDeps {
  throttle: Throttle;
  logger: Logger;
  audit?: AuditLog;
  /** Paths of the endpoints that authenticate clients (token, introspection, revocation, pushed authorization). */
  clientAuthPaths: readonly string[];
  /** Path of the token endpoint, where codes and refresh tokens are checked too. */
  tokenPath: string;
  /** Check whether a service with this client id is registered. */
  isRegisteredClient(clientId: string): Promise<boolean>;
}

export interface ClientAuthThrottle {
  /** Koa middleware for `provider.use()`, which runs it before the provider's own routes. */
  middleware(ctx: EndpointContext, next: () => Promise<unknown>): Promise<void>;
  /** Listener for the endpoints' `*.error` events, which carry the OAuth error code of a rejected request. */
  noteError(ctx: object, error: unknown): void;
}

/**
 * Read the client id of an HTTP Basic Authorization header, decoded the way
 * oidc-provider 9 decodes it (lib/shared/client_auth.js). Services
 * authenticate only with client_secret_basic, so every secret guess names
 * its client here, before the body is read.
 */
export function basicClientId(authorization: string): string | undefined {
  const [scheme, credentials] = authorization.split(' ');
  if (scheme?.toLowerCase() !== 'basic' || credentials === undefined) {
    return undefined;
  }
  const decoded = Buffer.from(credentials, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) {
    return undefined;
  }
  try {
    return decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, '%20'));
  } catch {
    return undefined;
  }
}

/** Maximum length of a client id in the log line. Client ids are short keys, so a longer one from the Basic header is cut. */
const MAX_LOGGED_CLIENT_ID_LENGTH = 128;

type Outcome = 'success' | 'invalid_client' | 'invalid_grant' | 'other';

function settle(attempt: AllowedAttempt | undefined, outcome: 'success' | 'failure' | 'release'): Promise<void> {
  if (attempt === undefined) {
    return Promise.resolve();
  }
  return outcome === 'release' ? attempt.release() : attempt.record(outcome);
}

export function createClientAuthThrottle(deps: ClientAuthThrottleDeps): ClientAuthThrottle {
  const errorCodes = new WeakMap<object, string>();
  const repeats = createRepeatFilter();
  const guarded = new Set(deps.clientAuthPaths);

  const outcomeOf = (ctx: EndpointContext): Outcome => {
    if (ctx.status >= 200 && ctx.status < 300) {
      return 'success';
    }
    const code = errorCodes.get(ctx);
    return code === 'invalid_client' || code === 'invalid_grant' ? code : 'other';
  };

  const reject = async (ctx: EndpointContext, clientId: string | undefined, retryAfterSeconds: number, scopes: string[]) => {
    ctx.status = 429;
    ctx.set('Retry-After', String(retryAfterSeconds));
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { error: 'temporarily_unavailable', error_description: `too many failed attempts; retry after ${retryAfterSeconds} seconds` };
    // Keyed by the caller's network alone: client ids in the Basic header are unchecked, and a new one on every
    // rejected request must not make each rejection an audit row, nor fill the filter's memory with long ids.
    const { report, suppressed } = repeats.check(networkOf(ctx.ip), Date.now());
    if (report) {
      const details = { surface: 'client_authentication', scopes: scopes.join(','), retryAfterSeconds, suppressedRepeats: suppressed };
      // The id is unchecked input: a long one is cut, as the audit record cuts it.
      deps.logger.warn({ clientId: clientId?.slice(0, MAX_LOGGED_CLIENT_ID_LENGTH), ip: ctx.ip, path: ctx.path, ...details }, 'client request rejected: failed-attempt delay running');
      const header = (name: string) => (ctx.get(name) === '' ? null : ctx.get(name));
      await deps.audit?.record({ type: 'login.throttled', clientId: clientId ?? null, details, context: { ip: ctx.ip, userAgent: header('user-agent'), requestId: header('x-request-id') } });
    }
  };

  return {
    noteError(ctx, error) {
      const code = (error as { error?: unknown } | null)?.error;
      if (typeof code === 'string') {
        errorCodes.set(ctx, code);
      }
    },

    async middleware(ctx, next) {
      if (ctx.method !== 'POST' || !guarded.has(ctx.path)) {
        await next();
        return;
      }
      const headerClientId = basicClientId(ctx.get('authorization'));
      // Only a registered service has a counter of its own. All unknown client ids from one network share one,
      // whose key has an empty id, which no service has. So an id that is new on every guess adds no row, and
      // the guesses are delayed after as many failures as a service's would be. While that shared counter
      // delays a network, unknown ids from it get 429 and registered ones 401. That reveals no secret, because
      // client ids are public: every authorization request shows one.
      const clientId = headerClientId !== undefined && (await deps.isRegisteredClient(headerClientId)) ? headerClientId : undefined;
      const addressKeys: ThrottleKey[] = [
        { scope: 'client.ip', id: canonicalIp(ctx.ip) },
        { scope: 'client.network', id: networkOf(ctx.ip) },
      ];
      // A service's counters are kept per network it calls from: client ids are
      // public, so failures from a stranger's network must not delay the service.
      const serviceKey = `${clientId ?? ''}|${networkOf(ctx.ip)}`;
      // Codes and refresh tokens are counted per service only when it names itself in the header,
      // so a stranger's junk cannot delay a public client's token requests.
      const authKeys = headerClientId === undefined ? addressKeys : [...addressKeys, { scope: 'client.secret' as const, id: serviceKey }];
      const grantKeys: ThrottleKey[] = clientId !== undefined && ctx.path === deps.tokenPath ? [{ scope: 'client.grant', id: serviceKey }] : [];
      const reservation = await deps.throttle.reserveGroups(grantKeys.length === 0 ? [authKeys] : [authKeys, grantKeys]);
      if (!reservation.allowed) {
        await reject(ctx, headerClientId, reservation.retryAfterSeconds, reservation.scopes);
        return;
      }
      const [auth, grantAttempt] = reservation.attempts as [AllowedAttempt, AllowedAttempt | undefined];

      try {
        await next();
      } catch (error) {
        await Promise.all([auth.release(), settle(grantAttempt, 'release')]);
        throw error;
      }
      await recordOutcome(outcomeOf(ctx), auth, grantAttempt, clientId !== undefined);
    },
  };
}

/**
 * Count the request's result. A public client names itself only in the body,
 * so its rejected code or token counts against the address like a wrong
 * secret. A service that named itself in the header and authenticated has
 * its rejected codes and tokens counted on its grant counter only.
 */
async function recordOutcome(outcome: Outcome, auth: AllowedAttempt, grant: AllowedAttempt | undefined, namedInHeader: boolean): Promise<void> {
  switch (outcome) {
    case 'success':
      await Promise.all([auth.record('success'), settle(grant, 'release')]);
      return;
    case 'invalid_client':
      await Promise.all([auth.record('failure'), settle(grant, 'release')]);
      return;
    case 'invalid_grant':
      await Promise.all([namedInHeader ? auth.record('success') : auth.record('failure'), settle(grant, 'failure')]);
      return;
    case 'other':
      await Promise.all([auth.release(), settle(grant, 'release')]);
  }
}
