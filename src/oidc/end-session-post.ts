import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { pageContextFor } from '../server/page-context.js';
import { requestPath } from '../server/request-path.js';
import { errorPage } from '../ui/pages/error.js';
import { ROUTES } from './scopes.js';

/** The end-session parameters of RP-Initiated Logout 1.0 that oidc-provider 9 reads (lib/actions/end_session.js). */
const END_SESSION_PARAMS = new Set(['id_token_hint', 'logout_hint', 'client_id', 'post_logout_redirect_uri', 'state', 'ui_locales']);

/**
 * Maximum form body, and maximum URL of the GET it becomes. A Propusk ID token
 * with every scope and two roles measured 1,938 characters, so an id_token_hint
 * and the other parameters fit several times. The GET's URL must also pass the
 * header limits on its way: Node's default of 16 KiB for all request headers,
 * and nginx's default request-line buffer of 8 KB (larger lines get 414).
 */
const MAX_BODY_BYTES = 8 * 1024;
const MAX_REDIRECT_URL_LENGTH = 8 * 1024;

/** Reason code of a rejected POST for the log line, which never carries a parameter value. */
type Rejection =
  | 'content_type'
  | 'content_encoding'
  | 'query_string'
  | 'body_too_large'
  | 'url_too_long'
  | 'unreadable'
  | 'not_utf8'
  | 'unknown_parameter'
  | 'repeated_parameter';

/** Check the media type: urlencoded, in UTF-8 when a charset is named. */
function isUrlencodedUtf8(contentType: string | undefined): boolean {
  const [mediaType = '', ...parameters] = (contentType ?? '').split(';').map((part) => part.trim().toLowerCase());
  if (mediaType !== 'application/x-www-form-urlencoded') {
    return false;
  }
  return parameters.every((parameter) => parameter === '' || parameter === 'charset=utf-8' || parameter === 'charset="utf-8"');
}

/**
 * Read the body up to `limit` bytes. Returns undefined when it is larger. The
 * iterator leaves the request open on an early stop, so the error page can
 * still be sent, and Node discards the rest of the body.
 */
async function readLimited(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  if (Number(req.headers['content-length']) > limit) {
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/** Decode one urlencoded name or value; undefined when a percent escape is malformed or not UTF-8. */
function decodeFormPart(part: string): string | undefined {
  try {
    return decodeURIComponent(part.replaceAll('+', ' '));
  } catch {
    return undefined;
  }
}

/**
 * Parse the form: every parameter must be an end-session one, and none may
 * repeat. URLSearchParams would turn an escape that is not UTF-8 (`%ff`) into
 * U+FFFD, so a service would get another `state` back; such a form is rejected.
 */
function parseEndSessionForm(text: string): URLSearchParams | Rejection {
  const form = new URLSearchParams();
  for (const pair of text.split('&')) {
    if (pair === '') {
      continue;
    }
    const separator = pair.indexOf('=');
    const name = decodeFormPart(separator === -1 ? pair : pair.slice(0, separator));
    const value = decodeFormPart(separator === -1 ? '' : pair.slice(separator + 1));
    if (name === undefined || value === undefined) {
      return 'not_utf8';
    }
    if (!END_SESSION_PARAMS.has(name)) {
      return 'unknown_parameter';
    }
    if (form.has(name)) {
      return 'repeated_parameter';
    }
    form.append(name, value);
  }
  return form;
}

/** Read and check the whole request: headers first, then the body. */
async function readEndSessionForm(request: FastifyRequest): Promise<URLSearchParams | Rejection> {
  if (!isUrlencodedUtf8(request.headers['content-type'])) {
    return 'content_type';
  }
  const encoding = request.headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    return 'content_encoding';
  }
  // The parameters of a POST travel in its body. A query string as well would leave two sources to choose from.
  if (request.url.includes('?') && !request.url.endsWith('?')) {
    return 'query_string';
  }
  let body: Buffer | undefined;
  try {
    body = await readLimited(request.raw, MAX_BODY_BYTES);
  } catch {
    // The client went away or the connection broke mid-body.
    return 'unreadable';
  }
  if (body === undefined) {
    return 'body_too_large';
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return 'not_utf8';
  }
  return parseEndSessionForm(text);
}

function rejectEndSessionPost(request: FastifyRequest, reply: FastifyReply, rejection: Rejection, endSessionUrl: string, demo: boolean): FastifyReply {
  request.log.info({ reason: rejection }, 'end-session POST rejected');
  if (rejection === 'body_too_large') {
    // The rest of the body is not read, so the connection cannot carry another request.
    reply.header('connection', 'close');
  }
  const page = pageContextFor(request, demo);
  const next = { href: endSessionUrl, labelKey: 'error.logout_again' } as const;
  return reply
    .code(rejection === 'body_too_large' || rejection === 'url_too_long' ? 413 : 400)
    .type('text/html; charset=utf-8')
    .send(errorPage(page, { messageKey: 'error.invalid_logout_request', requestId: String(request.id), next }));
}

/**
 * True for a POST to the end-session endpoint, in any case and with or
 * without a trailing slash: the form this module handles. oidc-provider
 * itself takes only GET there.
 */
export function isEndSessionPost(method: string | undefined, url: string): boolean {
  if (method !== 'POST') return false;
  // oidc-provider's router ignores case and a trailing slash, so the GET it serves does too.
  const path = requestPath(url).toLowerCase();
  return path === ROUTES.end_session || path === `${ROUTES.end_session}/`;
}

/**
 * Accept RP-Initiated Logout by POST at the end-session endpoint, which
 * OpenID Connect RP-Initiated Logout 1.0 requires besides GET. The hook
 * responds to the form with 303 See Other to the same endpoint by GET, with
 * the parameters moved to the query string, and oidc-provider handles that
 * GET. A cross-site POST carries no SameSite=Lax session cookie, but the
 * top-level GET after the redirect does, so the person gets the usual
 * confirmation page with its form token.
 *
 * Every other /oidc/* request goes to oidc-provider without Fastify
 * (src/server/provider-fast-path.ts). The hook runs on every request that
 * Fastify receives and acts only on these POSTs.
 */
export function registerEndSessionPost(app: FastifyInstance, options: { issuer: string; demo: boolean }): void {
  const endSessionUrl = `${options.issuer}${ROUTES.end_session}`;
  app.addHook('onRequest', async (request, reply) => {
    if (!isEndSessionPost(request.method, request.url)) {
      return;
    }
    reply.header('cache-control', 'no-store');
    const form = await readEndSessionForm(request);
    if (typeof form === 'string') {
      return rejectEndSessionPost(request, reply, form, endSessionUrl, options.demo);
    }
    const query = form.toString();
    const target = query === '' ? endSessionUrl : `${endSessionUrl}?${query}`;
    // Percent-encoding can make the query up to three times as long as the body.
    if (target.length > MAX_REDIRECT_URL_LENGTH) {
      return rejectEndSessionPost(request, reply, 'url_too_long', endSessionUrl, options.demo);
    }
    return reply.redirect(target, 303);
  });
}
