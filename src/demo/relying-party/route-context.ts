import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { negotiateLocale } from '../../i18n/locales.js';
import type { Language } from './messages.js';
import type { ClientConfigCache } from './oidc-client.js';
import { renderErrorPage, type ErrorView } from './pages.js';
import type { DemoService } from './service.js';
import { readCookie, SESSION_COOKIE, sessionCookie, type RpSession, type SessionStore } from './session.js';

/** Dependencies of the routes of one service. */
export interface ServiceRouteContext {
  service: DemoService;
  /** All services, including this one, in display order. */
  services: DemoService[];
  configs: ClientConfigCache;
  sessions: SessionStore;
  /** Public origin of the demo relying party, e.g. `http://localhost:3001`. */
  rpBase: string;
  logger: Logger;
}

export function languageOf(request: FastifyRequest): Language {
  return negotiateLocale(undefined, request.headers['accept-language']);
}

export function sendHtml(reply: FastifyReply, statusCode: number, page: string): FastifyReply {
  return reply.code(statusCode).type('text/html; charset=utf-8').send(page);
}

export function sendErrorPage(
  request: FastifyRequest,
  reply: FastifyReply,
  service: DemoService | undefined,
  statusCode: number,
  view: ErrorView,
): FastifyReply {
  return sendHtml(reply, statusCode, renderErrorPage(languageOf(request), service, view));
}

export function findSession(context: ServiceRouteContext, request: FastifyRequest): RpSession | undefined {
  const id = readCookie(request.headers.cookie, SESSION_COOKIE);
  return context.sessions.find(id, context.service.path);
}

/** Sets the service's session cookie to `id`, or clears it when `id` is undefined. */
export function setSessionCookie(context: ServiceRouteContext, reply: FastifyReply, id: string | undefined): void {
  const secure = new URL(context.rpBase).protocol === 'https:';
  reply.header('set-cookie', sessionCookie(context.service.path, id, secure));
}

/**
 * Reduces an error to name, code and message for logging. openid-client
 * errors may carry the token response in `cause`, which must not be logged.
 */
export function summarizeError(error: unknown): { name: string; code?: string; message?: string } {
  if (!(error instanceof Error)) return { name: typeof error };
  const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  return { name: error.name, message: error.message, ...(code === undefined ? {} : { code }) };
}
