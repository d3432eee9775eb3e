import type { FastifyReply } from 'fastify';

/**
 * Move the Set-Cookie headers that oidc-provider wrote straight to the Node
 * response onto the Fastify reply. Node lets the headers given to writeHead
 * replace those set earlier with setHeader, so without this a cookie that
 * Fastify sets on the same reply (a CSRF cookie) would silently drop the
 * provider's session cookie.
 */
export function moveRawSetCookies(reply: FastifyReply): void {
  const written = reply.raw.getHeader('set-cookie');
  if (written === undefined) {
    return;
  }
  reply.raw.removeHeader('set-cookie');
  const lines = Array.isArray(written) ? written : [String(written)];
  for (const line of lines) {
    reply.header('set-cookie', line);
  }
}
