import type { Socket } from 'node:net';
import { translator } from '../i18n/translate.js';
import type { MessageKey } from '../i18n/catalogues/ru.js';
import { escapeHtml } from '../ui/html.js';

/** Status and message of each request that Node's HTTP parser rejects before Fastify gets it. */
const CLIENT_ERRORS: Readonly<Record<string, { status: number; reason: string; messageKey: MessageKey }>> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, reason: 'Request Timeout', messageKey: 'error.request_timeout' },
  HPE_HEADER_OVERFLOW: { status: 431, reason: 'Request Header Fields Too Large', messageKey: 'error.request_too_long' },
};
const BAD_REQUEST = { status: 400, reason: 'Bad Request', messageKey: 'error.bad_request' as MessageKey };

const russian = translator('ru');
const english = translator('en');

/**
 * Build the page of a rejected request. Its headers were not read, so the
 * person's language is unknown: the page is Russian with English below. It
 * has no script or stylesheet, and its policy allows none.
 */
function clientErrorResponse(status: number, reason: string, messageKey: MessageKey): string {
  const body = `<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>${escapeHtml(russian('error.title'))}</title></head>
<body><h1>${escapeHtml(russian('error.title'))}</h1><p>${escapeHtml(russian(messageKey))}</p>
<p lang="en">${escapeHtml(english(messageKey))}</p></body></html>
`;
  const headers = [
    `HTTP/1.1 ${status} ${reason}`,
    'Content-Type: text/html; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'",
    'X-Content-Type-Options: nosniff',
    'Cache-Control: no-store',
    'Connection: close',
  ];
  return `${headers.join('\r\n')}\r\n\r\n${body}`;
}

/**
 * Respond to a request that Node's HTTP parser rejected (headers too large,
 * a request that took too long, a malformed request) with a small page in
 * place of Fastify's English JSON, and close the connection.
 */
export function handleClientError(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has no client left to respond to.
  if (error.code === 'ECONNRESET' || socket.destroyed) {
    return;
  }
  const { status, reason, messageKey } = CLIENT_ERRORS[error.code ?? ''] ?? BAD_REQUEST;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  // The connection closes once the page is written, whether or not the client reads on.
  socket.end(clientErrorResponse(status, reason, messageKey), () => socket.destroy());
}
