import type { OidcPayload } from '../storage/oidc-adapter.js';
import type { EndedSession, EndedSessionClient } from './events.js';

/*
 * Reading oidc-provider 9's stored Session payload: `uid` (stable across
 * session id changes), `jti` (the session id in the cookie), `accountId`,
 * `loginTs` (epoch seconds), `transient` («Чужой компьютер») and
 * `authorizations`, a map from client id to `{ sid, grantId }`.
 */

export interface SignedInSession {
  id: string;
  uid: string;
  accountId: string;
  /** Epoch seconds of the login, when the provider recorded one. */
  loginTs: number | undefined;
  transient: boolean;
}

/** The signed-in part of a Session payload, or undefined when nobody is signed in to it. */
export function signedInSession(payload: OidcPayload): SignedInSession | undefined {
  const { jti, uid, accountId, loginTs, transient } = payload;
  if (typeof jti !== 'string' || typeof uid !== 'string' || typeof accountId !== 'string' || accountId === '') {
    return undefined;
  }
  return { id: jti, uid, accountId, loginTs: typeof loginTs === 'number' ? loginTs : undefined, transient: transient === true };
}

/** The services of a session, as the sessions-ended event reports them. */
export function endedSession(uid: string, payload: OidcPayload | undefined): EndedSession {
  const authorizations = payload?.authorizations;
  if (typeof authorizations !== 'object' || authorizations === null) {
    return { sessionUid: uid, clients: [] };
  }
  const clients = Object.entries(authorizations as Record<string, unknown>).map(([clientId, value]): EndedSessionClient => {
    const entry = (typeof value === 'object' && value !== null ? value : {}) as { sid?: unknown; grantId?: unknown };
    return {
      clientId,
      sid: typeof entry.sid === 'string' ? entry.sid : undefined,
      grantId: typeof entry.grantId === 'string' ? entry.grantId : undefined,
    };
  });
  return { sessionUid: uid, clients };
}
