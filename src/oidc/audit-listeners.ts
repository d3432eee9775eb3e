import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import type { AuditContext, AuditLog } from '../audit/events.js';
import { authorizationDenied, clientAuthenticationFailed, type ClientAuthEndpoint, type ClientAuthFailure } from '../audit/provider-events.js';

/**
 * The request's part of an audit event. `ctx.ip` is the client address,
 * because providerHandler puts the resolved address into X-Forwarded-For and
 * the provider trusts it. The request id is the one app.ts generated.
 */
function requestContext(ctx: KoaContextWithOIDC): AuditContext {
  const header = (name: string) => (ctx.get(name) === '' ? null : ctx.get(name));
  return { ip: ctx.ip, userAgent: header('user-agent'), requestId: header('x-request-id') };
}

/** The parts of an oidc-provider 9 error that the listeners read. */
interface ProviderError {
  error?: unknown;
  error_description?: unknown;
  error_detail?: unknown;
}

/**
 * Classify a rejected client authentication. oidc-provider loads the client
 * before it compares the secret, so a missing client means an unknown id.
 * 'invalid secret provided' is the error_detail that lib/shared/client_auth.js
 * of oidc-provider 9 gives for a wrong secret.
 */
function clientAuthFailure(ctx: KoaContextWithOIDC, error: ProviderError): ClientAuthFailure {
  if (ctx.oidc?.client === undefined) {
    return 'unknown_client';
  }
  return error.error_detail === 'invalid secret provided' ? 'invalid_secret' : 'other';
}

/** Record the security events that happen inside oidc-provider. */
export function listenForAuditEvents(provider: Provider, audit: AuditLog): void {
  // Each endpoint where a service authenticates reports a rejected request as
  // its own `*.error` event; invalid_client is the failed authentication.
  const onClientAuthError = (endpoint: ClientAuthEndpoint) => (ctx: KoaContextWithOIDC, error: ProviderError) => {
    if (error.error !== 'invalid_client') {
      return;
    }
    const reason = clientAuthFailure(ctx, error);
    const clientId = reason === 'unknown_client' ? null : (ctx.oidc.client?.clientId ?? null);
    void audit.record(clientAuthenticationFailed({ endpoint, reason, clientId, context: requestContext(ctx) }));
  };
  provider.on('grant.error', onClientAuthError('token'));
  provider.on('introspection.error', onClientAuthError('introspection'));
  provider.on('revocation.error', onClientAuthError('revocation'));
  provider.on('pushed_authorization_request.error', onClientAuthError('pushed_authorization_request'));

  // The role step aborts the interaction with access_denied when the service
  // accepts none of the person's roles, and the provider then redirects there.
  provider.on('authorization.error', (ctx: KoaContextWithOIDC, error: ProviderError) => {
    if (error.error !== 'access_denied') {
      return;
    }
    void audit.record(
      authorizationDenied({
        personId: ctx.oidc?.session?.accountId ?? null,
        clientId: ctx.oidc?.client?.clientId ?? null,
        description: typeof error.error_description === 'string' ? error.error_description : null,
        context: requestContext(ctx),
      }),
    );
  });

  // Emitted after RP-initiated logout ends the session (the whole session
  // with `logout=yes`, or else only the requesting service's part of it).
  provider.on('end_session.success', (ctx) => {
    const accountId = ctx.oidc.session?.accountId;
    if (accountId === undefined) {
      return;
    }
    void audit.record({
      type: 'logout',
      personId: accountId,
      clientId: ctx.oidc.client?.clientId ?? null,
      details: { scope: ctx.oidc.params?.logout === undefined ? 'service' : 'session' },
      context: requestContext(ctx),
    });
  });
}
