import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/events.js';
import { createClientAuthThrottle, type Throttle } from '../throttling/index.js';
import type { ClientDirectory } from './clients.js';
import { ROUTES } from './scopes.js';

/** The endpoints where a client secret is checked; the token endpoint also checks codes and refresh tokens. */
const CLIENT_AUTH_PATHS: readonly string[] = [ROUTES.token, ROUTES.introspection, ROUTES.revocation, ROUTES.pushed_authorization_request];

/**
 * Put the failed-attempt throttle in front of the client-authenticating
 * endpoints. `provider.use` places the middleware before the provider's
 * router, so a delayed request gets a 429 response before any secret, code
 * or token is checked. The `*.error` events tell the middleware afterwards which
 * OAuth error a rejected request got, whatever format the response had.
 */
export function installClientAuthThrottle(provider: Provider, deps: { throttle: Throttle; logger: Logger; audit?: AuditLog; clients: ClientDirectory }): void {
  const { clients, ...throttleDeps } = deps;
  const guard = createClientAuthThrottle({
    ...throttleDeps,
    clientAuthPaths: CLIENT_AUTH_PATHS,
    tokenPath: ROUTES.token,
    isRegisteredClient: async (clientId) => (await clients.metadata(clientId)) !== undefined,
  });
  provider.use((ctx, next) => guard.middleware(ctx, next));
  const noteError = (ctx: KoaContextWithOIDC, error: unknown) => guard.noteError(ctx, error);
  provider.on('grant.error', noteError);
  provider.on('introspection.error', noteError);
  provider.on('revocation.error', noteError);
  provider.on('pushed_authorization_request.error', noteError);
}
