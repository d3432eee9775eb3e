import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import type { AuditContext, AuditLog } from '../audit/events.js';

/**
 * The request's part of an audit event. `ctx.ip` is the client address,
 * because providerHandler puts the resolved address into X-Forwarded-For and
 * the provider trusts it. The request id is the one app.ts generated.
 */
function requestContext(ctx: KoaContextWithOIDC): AuditContext {
  const header = (name: string) => (ctx.get(name) === '' ? null : ctx.get(name));
  return { ip: ctx.ip, userAgent: header('user-agent'), requestId: header('x-request-id') };
}

/** Record the security events that happen inside oidc-provider. */
export function listenForAuditEvents(provider: Provider, audit: AuditLog): void {
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
