import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as client from 'openid-client';
import { messagesFor } from './messages.js';
import {
  findSession,
  languageOf,
  sendErrorPage,
  setSessionCookie,
  summarizeError,
  type ServiceRouteContext,
} from './route-context.js';
import { demoRedirectUris } from './service.js';
import { takePendingLogin, type TokenSet } from './session.js';

export const DEMO_SCOPE = 'openid profile email phone roles';

export function registerLoginRoutes(app: FastifyInstance, context: ServiceRouteContext): void {
  const path = context.service.path;
  app.get(`/${path}/login`, (request, reply) => startLogin(context, request, reply, undefined));
  // Propusk shows its role chooser for prompt=select_account, even to a person already signed in.
  app.get(`/${path}/switch-role`, (request, reply) => startLogin(context, request, reply, 'select_account'));
  app.get(`/${path}/callback`, (request, reply) => finishLogin(context, request, reply));
}

async function startLogin(
  context: ServiceRouteContext,
  request: FastifyRequest,
  reply: FastifyReply,
  prompt: string | undefined,
): Promise<FastifyReply> {
  const config = await context.configs.get(context.service);
  const session = findSession(context, request) ?? context.sessions.create(context.service.path);
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  session.pending = { codeVerifier, state, nonce, createdAt: Date.now() };

  const parameters: Record<string, string> = {
    redirect_uri: demoRedirectUris(context.rpBase, context.service.path).redirectUri,
    scope: DEMO_SCOPE,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  };
  if (prompt !== undefined) parameters.prompt = prompt;

  setSessionCookie(context, reply, session.id);
  return reply.redirect(client.buildAuthorizationUrl(config, parameters).href, 303);
}

async function finishLogin(
  context: ServiceRouteContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const session = findSession(context, request);
  const pending = session === undefined ? undefined : takePendingLogin(session);
  if (session === undefined || pending === undefined) return sendNoPendingLogin(context, request, reply);

  const config = await context.configs.get(context.service);
  // Built from rpBase, not the Host header, so the redirect_uri sent to the
  // token endpoint is exactly the one registered at Propusk.
  const currentUrl = new URL(request.url, context.rpBase);
  let response: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
  try {
    response = await client.authorizationCodeGrant(config, currentUrl, {
      pkceCodeVerifier: pending.codeVerifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    });
  } catch (error) {
    return sendLoginFailure(context, request, reply, error);
  }

  const signedIn = context.sessions.rotate(session);
  signedIn.tokens = toTokenSet(response, undefined);
  signedIn.claims = response.claims();
  setSessionCookie(context, reply, signedIn.id);
  context.logger.info({ clientId: context.service.clientId, sub: signedIn.claims?.sub }, 'demo RP sign-in succeeded');
  return reply.redirect(`/${context.service.path}/`, 303);
}

type TokenResponse = client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;

/** Converts a token response, keeping values from `previous` that a refresh response may omit. */
export function toTokenSet(response: TokenResponse, previous: TokenSet | undefined): TokenSet {
  const idToken = response.id_token ?? previous?.idToken;
  // idTokenExpected makes openid-client reject a code response without an ID token.
  if (idToken === undefined) throw new Error('Token response has no ID token and no earlier one is stored');
  const expiresIn = response.expiresIn();
  return {
    idToken,
    accessToken: response.access_token,
    refreshToken: response.refresh_token ?? previous?.refreshToken,
    accessTokenExpiresAt: expiresIn === undefined ? undefined : Date.now() + expiresIn * 1000,
  };
}

function sendNoPendingLogin(
  context: ServiceRouteContext,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const text = messagesFor(languageOf(request));
  const query = request.query as Record<string, unknown>;
  if (typeof query.error === 'string') {
    const explanation = query.error === 'access_denied' ? text.accessDenied : text.loginFailed;
    return sendErrorPage(request, reply, context.service, 400, { explanation, code: query.error });
  }
  return sendErrorPage(request, reply, context.service, 400, {
    explanation: text.loginNotStarted,
    code: 'login_not_started',
  });
}

function sendLoginFailure(
  context: ServiceRouteContext,
  request: FastifyRequest,
  reply: FastifyReply,
  error: unknown,
): FastifyReply {
  const text = messagesFor(languageOf(request));
  const clientId = context.service.clientId;

  if (error instanceof client.AuthorizationResponseError) {
    context.logger.info({ clientId, error: error.error }, 'authorization response carried an error');
    const explanation = error.error === 'access_denied' ? text.accessDenied : text.loginFailed;
    return sendErrorPage(request, reply, context.service, 400, {
      explanation,
      code: error.error,
      ...(error.error_description === undefined ? {} : { description: error.error_description }),
    });
  }

  context.logger.warn({ clientId, error: summarizeError(error) }, 'authorization code grant failed');
  const code = error instanceof client.ResponseBodyError ? error.error : 'invalid_response';
  return sendErrorPage(request, reply, context.service, 502, { explanation: text.invalidResponse, code });
}
