// Sessions of the demo relying party itself (not Propusk sessions).
// This is a demo: sessions live in an in-memory Map, so they vanish on restart
// and are not shared between processes. A real relying party would use a
// shared store. The cookie holds only an opaque random id.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IDToken } from 'openid-client';

export const SESSION_COOKIE = 'propusk_demo_rp';
const SESSION_IDLE_TTL_MS = 8 * 60 * 60 * 1000;
const PENDING_LOGIN_TTL_MS = 10 * 60 * 1000;
const MAX_SESSIONS = 10_000;

/** State of one authorization request, kept until its callback arrives. */
export interface PendingLogin {
  codeVerifier: string;
  state: string;
  nonce: string;
  createdAt: number;
}

export interface TokenSet {
  idToken: string;
  accessToken: string;
  refreshToken: string | undefined;
  /** Epoch milliseconds, or undefined when the provider sent no `expires_in`. */
  accessTokenExpiresAt: number | undefined;
}

export type Notice = 'tokensRefreshed' | 'noRefreshToken';

export interface RpSession {
  id: string;
  /** Service path the session belongs to, e.g. `dnevnik`. */
  servicePath: string;
  csrfToken: string;
  lastSeenAt: number;
  // NOTE: one pending login per session, so of two sign-ins started in two
  // tabs only the later one can finish.
  pending: PendingLogin | undefined;
  tokens: TokenSet | undefined;
  claims: IDToken | undefined;
  /** One-time message for the next page view. */
  notice: Notice | undefined;
}

function randomId(): string {
  return randomBytes(32).toString('base64url');
}

export class SessionStore {
  readonly #sessions = new Map<string, RpSession>();

  /** Returns the live session with this id, only if it belongs to `servicePath`. */
  find(id: string | undefined, servicePath: string, now = Date.now()): RpSession | undefined {
    if (id === undefined) return undefined;
    const session = this.#sessions.get(id);
    if (session === undefined || session.servicePath !== servicePath) return undefined;
    if (now - session.lastSeenAt > SESSION_IDLE_TTL_MS) {
      this.#sessions.delete(id);
      return undefined;
    }
    session.lastSeenAt = now;
    return session;
  }

  create(servicePath: string, now = Date.now()): RpSession {
    this.#evictIfFull(now);
    const session: RpSession = {
      id: randomId(),
      servicePath,
      csrfToken: randomId(),
      lastSeenAt: now,
      pending: undefined,
      tokens: undefined,
      claims: undefined,
      notice: undefined,
    };
    this.#sessions.set(session.id, session);
    return session;
  }

  /** Replaces the session with a fresh id and CSRF token, so an id set before sign-in is useless after it. */
  rotate(session: RpSession): RpSession {
    this.#sessions.delete(session.id);
    return this.create(session.servicePath);
  }

  delete(id: string): void {
    this.#sessions.delete(id);
  }

  /**
   * Deletes the signed-in sessions of `servicePath` whose ID token names
   * this subject and, when `sid` is given, this Propusk session. Returns how
   * many were deleted.
   */
  deleteSignedIn(servicePath: string, sub: string | undefined, sid: string | undefined): number {
    // A logout token names a subject, a session or both; one naming neither must not end everyone's session.
    if (sub === undefined && sid === undefined) return 0;
    let deleted = 0;
    for (const [id, session] of this.#sessions) {
      const claims = session.claims;
      if (session.servicePath !== servicePath || claims === undefined) continue;
      if (sub !== undefined && claims.sub !== sub) continue;
      if (sid !== undefined && claims.sid !== sid) continue;
      this.#sessions.delete(id);
      deleted += 1;
    }
    return deleted;
  }

  #evictIfFull(now: number): void {
    if (this.#sessions.size < MAX_SESSIONS) return;
    for (const [id, session] of this.#sessions) {
      if (now - session.lastSeenAt > SESSION_IDLE_TTL_MS) this.#sessions.delete(id);
    }
    // Map iterates in insertion order, so this drops the oldest sessions.
    for (const id of this.#sessions.keys()) {
      if (this.#sessions.size < MAX_SESSIONS) break;
      this.#sessions.delete(id);
    }
  }
}

/** Removes the pending login from the session and returns it if it has not expired. */
export function takePendingLogin(session: RpSession, now = Date.now()): PendingLogin | undefined {
  const pending = session.pending;
  session.pending = undefined;
  if (pending === undefined || now - pending.createdAt > PENDING_LOGIN_TTL_MS) return undefined;
  return pending;
}

export function csrfTokenMatches(session: RpSession, submitted: unknown): boolean {
  if (typeof submitted !== 'string') return false;
  const expected = Buffer.from(session.csrfToken);
  const actual = Buffer.from(submitted);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const pair of header.split(';')) {
    const separator = pair.indexOf('=');
    if (separator > 0 && pair.slice(0, separator).trim() === name) return pair.slice(separator + 1).trim();
  }
  return undefined;
}

/**
 * Builds the Set-Cookie value for a service's session cookie. The cookie is
 * scoped to `/<path>/` because all five services share one host and port.
 * Browsers ignore the port when matching cookies, so the name must not clash
 * with Propusk's own cookies on the same host.
 */
export function sessionCookie(servicePath: string, id: string | undefined, secure: boolean): string {
  const attributes = [`Path=/${servicePath}/`, 'HttpOnly', 'SameSite=Lax'];
  if (secure) attributes.push('Secure');
  if (id === undefined) return [`${SESSION_COOKIE}=`, 'Max-Age=0', ...attributes].join('; ');
  return [`${SESSION_COOKIE}=${id}`, ...attributes].join('; ');
}
