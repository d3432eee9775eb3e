import type { IncomingMessage } from 'node:http';

/**
 * Returns a function that overwrites the headers naming the request's origin
 * (Host, X-Forwarded-Host, X-Forwarded-Proto, Forwarded) with the issuer's.
 * Propusk builds its links from the configured issuer. With this, code that
 * still reads the request's origin (Fastify's request.hostname, an
 * oidc-provider context made for Propusk's own pages) sees the issuer too, so
 * a forged header reaches no link, redirect or cookie Secure flag.
 */
export function publicOriginPinner(issuer: string): (req: IncomingMessage) => void {
  const url = new URL(issuer);
  const protocol = url.protocol.replace(':', '');
  return (req) => {
    req.headers.host = url.host;
    req.headers['x-forwarded-host'] = url.host;
    req.headers['x-forwarded-proto'] = protocol;
    delete req.headers.forwarded;
  };
}
