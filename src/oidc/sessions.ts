import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Provider } from 'oidc-provider';
import { sessionCookieOptions } from './configuration.js';

export interface SsoSession {
  uid: string;
  accountId: string;
}

export type SessionReader = (req: IncomingMessage, res: ServerResponse) => Promise<SsoSession | undefined>;

/**
 * Read the single sign-on session behind the provider's signed session
 * cookie, for Propusk's own pages. No cookie is written. The session storage
 * counts the read as activity of the session, and refuses a session that is
 * idle, expired or whose person is blocked (see src/sessions).
 */
export function createSessionReader(provider: Provider): SessionReader {
  return async (req, res) => {
    const ctx = provider.createContext(req, res);
    const session = await provider.Session.get(ctx);
    if (session.accountId === undefined || session.uid === undefined) {
      return undefined;
    }
    return { uid: session.uid, accountId: session.accountId };
  };
}

/** Returns false when the browser has no signed-in session. */
export type SessionIdRotator = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/**
 * Give this browser's signed-in session a new session id, as oidc-provider
 * does itself when an interaction resumes, and set the session cookie to it.
 * The old id is deleted, so a copy of the old cookie no longer signs anyone
 * in. The session keeps its uid, login time and lifetime. The cookie is
 * written to `res` with setHeader: a Fastify route must move it to its reply
 * (see moveRawSetCookies in src/sessions) before sending.
 */
export function createSessionIdRotator(provider: Provider): SessionIdRotator {
  return async (req, res) => {
    const ctx = provider.createContext(req, res);
    const session = await provider.Session.get(ctx);
    if (session.accountId === undefined || typeof session.exp !== 'number') {
      return false;
    }
    session.resetIdentifier();
    await session.save(Math.max(1, session.exp - Math.floor(Date.now() / 1000)));
    ctx.cookies.set(provider.cookieName('session'), session.jti, {
      ...sessionCookieOptions(ctx.secure),
      // A «Чужой компьютер» session keeps a cookie that ends with the browser.
      ...(session.transient === true ? {} : { expires: new Date(session.exp * 1000) }),
    });
    return true;
  };
}
