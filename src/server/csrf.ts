import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CsrfError } from '../errors/index.js';

/**
 * Signed double-submit CSRF protection. A random value lives in an HttpOnly
 * cookie; each form carries HMAC(key, value | purpose). A page on another
 * site can neither read the cookie nor compute the token.
 */
export interface CsrfGuard {
  /** Token for a form, setting the cookie first when the browser has none. */
  issue(request: FastifyRequest, reply: FastifyReply, purpose: string): string;
  /** Throw CsrfError unless the submitted token matches the cookie and purpose. */
  verify(request: FastifyRequest, purpose: string, submitted: unknown): void;
}

export function createCsrfGuard(keys: string[], secure: boolean): CsrfGuard {
  if (keys.length === 0) {
    throw new Error('CSRF protection needs at least one key');
  }
  const cookieName = secure ? '__Host-propusk-csrf' : 'propusk-csrf';
  const sign = (key: string, value: string, purpose: string): Buffer =>
    createHmac('sha256', key).update(`${value}|${purpose}`).digest();

  return {
    issue(request, reply, purpose) {
      let value = request.cookies[cookieName];
      if (value === undefined || !/^[A-Za-z0-9_-]{43}$/.test(value)) {
        value = randomBytes(32).toString('base64url');
        reply.setCookie(cookieName, value, { path: '/', httpOnly: true, sameSite: 'lax', secure });
        request.cookies[cookieName] = value;
      }
      return sign(keys[0] as string, value, purpose).toString('base64url');
    },
    verify(request, purpose, submitted) {
      const value = request.cookies[cookieName];
      if (value === undefined || typeof submitted !== 'string' || submitted.length === 0) {
        throw new CsrfError();
      }
      const given = Buffer.from(submitted, 'base64url');
      const matches = keys.some((key) => {
        const expected = sign(key, value, purpose);
        return expected.length === given.length && timingSafeEqual(expected, given);
      });
      if (!matches) {
        throw new CsrfError();
      }
    },
  };
}
