// The demo services' endpoint for OpenID Connect Back-Channel Logout 1.0:
// Propusk POSTs a logout token here when a Propusk session ends, and the
// service ends its own sessions of that person and session.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { ServiceRouteContext } from './route-context.js';
import { summarizeError } from './route-context.js';

const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** Signing algorithms Propusk uses for ID tokens, and so for logout tokens. */
const ALGORITHMS = ['RS256', 'ES256'];

/** Oldest `iat` accepted; Propusk's logout tokens expire two minutes after issue anyway. */
const MAX_TOKEN_AGE = '5 minutes';

/** Path of the endpoint under the service's own path. */
export const BACKCHANNEL_LOGOUT_PATH = 'backchannel-logout';

class InvalidLogoutTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidLogoutTokenError';
  }
}

export function registerBackchannelRoutes(app: FastifyInstance, context: ServiceRouteContext): void {
  const verify = createLogoutTokenVerifier(context);
  app.post(`/${context.service.path}/${BACKCHANNEL_LOGOUT_PATH}`, (request, reply) => receiveLogout(context, verify, request, reply));
}

type LogoutTokenVerifier = (token: string) => Promise<JWTPayload>;

/**
 * Validates a logout token as Back-Channel Logout 1.0 section 2.6 requires:
 * signature by a key from Propusk's JWKS, `iss`, `aud` = this service,
 * `iat`, explicit type `logout+jwt`, the back-channel logout event, `sub` or
 * `sid`, and no `nonce`, so an ID token cannot pass for a logout token.
 */
function createLogoutTokenVerifier(context: ServiceRouteContext): LogoutTokenVerifier {
  let keys: ReturnType<typeof createRemoteJWKSet> | undefined;
  return async (token) => {
    const metadata = (await context.configs.get(context.service)).serverMetadata();
    if (metadata.jwks_uri === undefined) throw new InvalidLogoutTokenError('the provider publishes no jwks_uri');
    keys ??= createRemoteJWKSet(new URL(metadata.jwks_uri));
    const { payload } = await jwtVerify(token, keys, {
      issuer: metadata.issuer,
      audience: context.service.clientId,
      typ: 'logout+jwt',
      algorithms: ALGORITHMS,
      maxTokenAge: MAX_TOKEN_AGE,
      requiredClaims: ['iat', 'exp', 'jti', 'events'],
    });
    const events = payload.events as Record<string, unknown> | undefined;
    if (typeof events?.[BACKCHANNEL_LOGOUT_EVENT] !== 'object') throw new InvalidLogoutTokenError('events lacks the back-channel logout event');
    if ('nonce' in payload) throw new InvalidLogoutTokenError('a logout token must not contain nonce');
    if (typeof payload.sub !== 'string' && typeof payload.sid !== 'string') throw new InvalidLogoutTokenError('neither sub nor sid is present');
    return payload;
  };
}

async function receiveLogout(
  context: ServiceRouteContext,
  verify: LogoutTokenVerifier,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  reply.header('cache-control', 'no-store');
  const body = request.body;
  const token = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).logout_token : undefined;
  if (typeof token !== 'string') {
    return reply.code(400).send({ error: 'invalid_request', error_description: 'logout_token is missing' });
  }

  let claims: JWTPayload;
  try {
    claims = await verify(token);
  } catch (error) {
    context.logger.warn({ clientId: context.service.clientId, error: summarizeError(error) }, 'logout token rejected');
    return reply.code(400).send({ error: 'invalid_request', error_description: 'the logout token is invalid' });
  }

  const sub = typeof claims.sub === 'string' ? claims.sub : undefined;
  const sid = typeof claims.sid === 'string' ? claims.sid : undefined;
  // NOTE: the demo keeps no list of seen jti values, so it accepts a replayed token within its lifetime.
  // A replay can only end the same sessions again.
  const ended = context.sessions.deleteSignedIn(context.service.path, sub, sid);
  context.logger.info({ clientId: context.service.clientId, sub, sessionsEnded: ended }, 'back-channel logout received');
  return reply.code(200).send();
}
