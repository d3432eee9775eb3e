import type { AuditContext, AuditEvent } from './events.js';

/** Endpoints where a service authenticates with its client secret. */
export type ClientAuthEndpoint = 'token' | 'introspection' | 'revocation' | 'pushed_authorization_request';

/** Why a client authentication failed: no such service, a wrong secret, or another rejection (a wrong method, say). */
export type ClientAuthFailure = 'unknown_client' | 'invalid_secret' | 'other';

/**
 * `client.authentication_failed`: the endpoint and the reason. `clientId` is
 * set only for a registered service. An unknown client id is left out,
 * because it is whatever the caller sent, possibly a mistyped secret. The
 * secret itself is never passed here.
 */
export function clientAuthenticationFailed(input: {
  endpoint: ClientAuthEndpoint;
  reason: ClientAuthFailure;
  clientId: string | null;
  context: AuditContext;
}): AuditEvent {
  return {
    type: 'client.authentication_failed',
    clientId: input.clientId,
    details: { endpoint: input.endpoint, reason: input.reason },
    context: input.context,
  };
}

/**
 * `authorization.denied`: the service got access_denied instead of a code.
 * `description` is the error_description of Propusk's own interaction result
 * (the role step's "the service accepts none of the roles of this person"),
 * or null when oidc-provider denied the request itself. It is never text from
 * the request.
 */
export function authorizationDenied(input: { personId: string | null; clientId: string | null; description: string | null; context: AuditContext }): AuditEvent {
  return {
    type: 'authorization.denied',
    personId: input.personId,
    clientId: input.clientId,
    details: { error: 'access_denied', description: input.description },
    context: input.context,
  };
}
