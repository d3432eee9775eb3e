import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PropuskError } from '../errors/index.js';
import { isMessageKey } from '../i18n/translate.js';
import { redactUrl } from '../logging/redact-url.js';
import { unwrapUnavailable } from '../oidc/storage-unavailable.js';
import { waitText } from '../throttling/wait-text.js';
import { errorPage } from '../ui/pages/error.js';
import { pageContextFor } from './page-context.js';

/**
 * Render one error page for everything Fastify routes throw. Exposed Propusk errors
 * show their catalogue message; anything else shows a generic message and the
 * request id, and the details go to the log only.
 */
export function registerErrorHandling(app: FastifyInstance, demo: boolean): void {
  app.setErrorHandler((raised: FastifyError | PropuskError, request, reply) => {
    // An unavailable store reaches the routes that call oidc-provider wrapped in the provider's own error.
    const unavailable = unwrapUnavailable(raised);
    const error = unavailable ?? raised;
    const page = pageContextFor(request, demo);
    const known = error instanceof PropuskError && error.expose;
    const clientError = !(error instanceof PropuskError) && typeof error.statusCode === 'number' && error.statusCode < 500;
    let status = 500;
    if (error instanceof PropuskError) {
      status = error.status;
    } else if (clientError) {
      status = error.statusCode as number;
    }

    // errorCode, not code: the log redaction blanks every `code` field, which is meant for authorization codes.
    if (unavailable !== undefined) {
      request.log.warn({ errorCode: unavailable.code, status }, 'request deferred: a store is unavailable');
    } else if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
    } else {
      request.log.info({ errorCode: error.code, status }, 'request rejected');
    }

    const messageKey =
      known && error.messageKey !== undefined && isMessageKey(error.messageKey)
        ? error.messageKey
        : clientError
          ? 'error.form_invalid'
          : 'error.generic';
    let params = {};
    if (unavailable !== undefined) {
      reply.header('retry-after', String(unavailable.retryAfterSeconds));
      params = { wait: waitText(page.t, page.locale, unavailable.retryAfterSeconds) };
    }
    return reply
      .code(status)
      .type('text/html; charset=utf-8')
      .send(errorPage(page, { messageKey, requestId: String(request.id), params }));
  });

  app.setNotFoundHandler((request, reply) => {
    const page = pageContextFor(request, demo);
    return reply.code(404).type('text/html; charset=utf-8').send(errorPage(page, { messageKey: 'error.not_found', requestId: null }));
  });
}

/** Fastify's own early errors (an invalid URL) as a Propusk error page; the URL is not echoed. */
export function renderFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply, demo: boolean, ip: string) {
  // No route ran, so the onResponse hook writes no request line: this line carries its fields.
  request.log.info({ errorCode: error.code, method: request.method, url: redactUrl(request.raw.url ?? ''), ip, status: 400 }, 'request rejected before routing');
  const page = pageContextFor(request, demo);
  return reply
    .code(400)
    .type('text/html; charset=utf-8')
    .send(errorPage(page, { messageKey: 'error.form_invalid', requestId: String(request.id) }));
}
