import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as client from 'openid-client';
import { toTokenSet } from './login-routes.js';
import { messagesFor } from './messages.js';
import { renderSignedInPage, renderSignedOutPage } from './pages.js';
import {
  findSession,
  languageOf,
  sendErrorPage,
  sendHtml,
  setSessionCookie,
  summarizeError,
  type ServiceRouteContext,
} from './route-context.js';
import { demoRedirectUris } from './service.js';
import { csrfTokenMatches, type RpSession } from './session.js';

export function registerAccountRoutes(app: FastifyInstance, context: ServiceRouteContext): void {
  const path = context.service.path;
  // The session cookie is scoped to /<path>/, so the page must live under that path.
  app.get(`/${path}`, (_request, reply) => reply.redirect(`/${path}/`, 308));
  app.get(`/${path}/`, (request, reply) => showHome(context, request, reply));
  app.post(`/${path}/refresh`, (request, reply) => refreshTokens(context, request, reply));
  app.post(`/${path}/logout`, (request, reply) => logout(context, request, reply));
}

function showHome(context: ServiceRouteContext, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const language = languageOf(request);
  const session = findSession(context, request);
  reply.header('cache-control', 'no-store');
  if (session?.tokens === undefined) return sendHtml(reply, 200, renderSignedOutPage(language, context.service));

  const otherServices = context.services.filter((other) => other.path !== context.service.path);
  const page = renderSignedInPage(language, context.service, { session, otherServices });
  session.notice = undefined;
  return sendHtml(reply, 200, page);
}

async function refreshTokens(
  context: ServiceRouteContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const session = checkCsrf(context, request, reply);
  if (session === undefined) return reply;
  const home = `/${context.service.path}/`;
  const tokens = session.tokens;
  if (tokens === undefined) return reply.redirect(home, 303);
  if (tokens.refreshToken === undefined) {
    session.notice = 'noRefreshToken';
    return reply.redirect(home, 303);
  }

  const config = await context.configs.get(context.service);
  try {
    const response = await client.refreshTokenGrant(config, tokens.refreshToken);
    session.tokens = toTokenSet(response, tokens);
    session.claims = response.claims() ?? session.claims;
  } catch (error) {
    context.logger.warn({ clientId: context.service.clientId, error: summarizeError(error) }, 'refresh token grant failed');
    const code = error instanceof client.ResponseBodyError ? error.error : 'invalid_response';
    // temporarily_unavailable (Propusk's store is down) leaves the refresh token
    // unused, so the demo keeps it for a later try. Any other error means the
    // token is unusable (e.g. the Propusk session ended): the demo signs the
    // person out locally, and the error page offers a new sign-in.
    if (code !== 'temporarily_unavailable') {
      session.tokens = undefined;
      session.claims = undefined;
    }
    const text = messagesFor(languageOf(request));
    const explanation = code === 'temporarily_unavailable' ? text.refreshUnavailable : text.refreshFailed;
    return sendErrorPage(request, reply, context.service, 502, { explanation, code });
  }

  session.notice = 'tokensRefreshed';
  return reply.redirect(home, 303);
}

/** Ends the local session, then sends the browser to Propusk for RP-initiated logout. */
async function logout(context: ServiceRouteContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const session = checkCsrf(context, request, reply);
  if (session === undefined) return reply;
  context.sessions.delete(session.id);
  setSessionCookie(context, reply, undefined);

  const uris = demoRedirectUris(context.rpBase, context.service.path);
  const idToken = session.tokens?.idToken;
  if (idToken === undefined) return reply.redirect(uris.homeUrl, 303);

  const config = await context.configs.get(context.service);
  if (config.serverMetadata().end_session_endpoint === undefined) {
    context.logger.warn({ clientId: context.service.clientId }, 'provider has no end_session_endpoint, so only the local session was ended');
    return reply.redirect(uris.homeUrl, 303);
  }
  const endSessionUrl = client.buildEndSessionUrl(config, {
    id_token_hint: idToken,
    post_logout_redirect_uri: uris.postLogoutRedirectUri,
  });
  return reply.redirect(endSessionUrl.href, 303);
}

/**
 * Returns the session if the form carries its CSRF token, else sends a 403
 * page. SameSite=Lax is not enough here, because Propusk and other local
 * servers on the same host are same-site with the demo, whatever their port.
 */
function checkCsrf(context: ServiceRouteContext, request: FastifyRequest, reply: FastifyReply): RpSession | undefined {
  const session = findSession(context, request);
  const body = request.body;
  const submitted = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).csrf : undefined;
  if (session !== undefined && csrfTokenMatches(session, submitted)) return session;

  context.logger.warn({ clientId: context.service.clientId, url: request.routeOptions.url }, 'CSRF check failed');
  const text = messagesFor(languageOf(request));
  sendErrorPage(request, reply, context.service, 403, { explanation: text.csrfRejected, code: 'csrf_rejected' });
  return undefined;
}
