import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { canonicalAddress, trustedProxyMatcher } from './trusted-proxies.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The client's address as clientIpResolver reads it (see registerClientIp). */
    readonly clientIp: string;
  }
}

/** Returned when the socket has no address any more (the connection closed). */
export const UNKNOWN_CLIENT_IP = 'unknown';

export type ClientIpResolver = (req: IncomingMessage) => string;

/**
 * Picks the client address from the socket address and the X-Forwarded-For
 * entries. Each trusted proxy appends the address it received the request
 * from, so the list is walked from the right: trusted proxies are skipped and
 * the first untrusted address is the client. Entries left of it were written
 * by the client and are never read. An entry met on the walk that is not a
 * plain IP address (a port, `unknown`, garbage) makes the header unusable, and
 * the socket address is returned: a forged value never becomes the client.
 */
export function forwardedClientIp(socketAddress: string, forwardedFor: string | undefined, isTrusted: (address: string) => boolean): string {
  if (!isTrusted(socketAddress) || forwardedFor === undefined) {
    return socketAddress;
  }
  const entries = forwardedFor.split(',');
  let client = socketAddress;
  for (let index = entries.length - 1; index >= 0; index -= 1) {
    const entry = canonicalAddress((entries[index] as string).trim());
    if (isIP(entry) === 0) {
      return socketAddress;
    }
    client = entry;
    if (!isTrusted(entry)) {
      return entry;
    }
  }
  // Every hop was a trusted proxy: the leftmost one sent the request itself.
  return client;
}

/**
 * Returns a function that reads the client address of a request.
 * X-Forwarded-For counts only when the socket peer is one of `trustedProxies`
 * (IP addresses and CIDR ranges from PROPUSK_TRUSTED_PROXIES), so with an
 * empty list it is never read.
 */
export function clientIpResolver(trustedProxies: readonly string[]): ClientIpResolver {
  if (trustedProxies.length === 0) {
    // Nothing to match: skip the header and the matcher, which builds an address object per call.
    return (req) => {
      const socketAddress = req.socket.remoteAddress;
      return socketAddress === undefined ? UNKNOWN_CLIENT_IP : canonicalAddress(socketAddress);
    };
  }
  const isTrusted = trustedProxyMatcher(trustedProxies);
  return (req) => {
    const socketAddress = req.socket.remoteAddress;
    if (socketAddress === undefined) {
      return UNKNOWN_CLIENT_IP;
    }
    const header = req.headers['x-forwarded-for'];
    // Node joins repeated X-Forwarded-For lines with ", "; an array comes only from hand-built requests.
    const forwardedFor = Array.isArray(header) ? header.join(',') : header;
    return forwardedClientIp(canonicalAddress(socketAddress), forwardedFor, isTrusted);
  };
}

/**
 * Makes `request.clientIp` available on every Fastify request. It is read from
 * the raw request when first used, so hooks registered before this call see it
 * too. Fastify's own `request.ip` stays the socket address: the app does not
 * set Fastify's trustProxy option, whose parser lets a malformed entry through.
 */
export function registerClientIp(app: FastifyInstance, resolve: ClientIpResolver): void {
  const cache = new WeakMap<IncomingMessage, string>();
  app.decorateRequest('clientIp', {
    getter(this: FastifyRequest) {
      let ip = cache.get(this.raw);
      if (ip === undefined) {
        ip = resolve(this.raw);
        cache.set(this.raw, ip);
      }
      return ip;
    },
  });
}

/** Returns the client address of a Fastify request, the same value as `request.clientIp`. */
export function clientIpOf(request: FastifyRequest): string {
  return request.clientIp;
}
