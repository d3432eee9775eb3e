/**
 * Sessions read along with a token by one script (FIND_WITH_SESSION in
 * scripts.ts). oidc-provider looks up the session of a session-bound token
 * by uid right after it finds the token, and takes it from here instead of
 * making a second round trip. Entries are kept per provider request, in a
 * WeakMap keyed on the request's context, and each is taken at most once, so
 * no request gets a copy that another request read. Outside a provider
 * request (`currentRequest` returns undefined) nothing is kept.
 */
export interface SessionPrefetch {
  remember(uid: string, id: string, json: string): void;
  /** Remove and return the session that the current request read along for this uid: its id and stored JSON. */
  take(uid: string): [string, string] | undefined;
}

export function createSessionPrefetch(currentRequest: () => object | undefined): SessionPrefetch {
  const byRequest = new WeakMap<object, Map<string, [string, string]>>();

  return {
    remember(uid, id, json) {
      const request = currentRequest();
      if (request === undefined) return;
      let sessions = byRequest.get(request);
      if (sessions === undefined) {
        sessions = new Map();
        byRequest.set(request, sessions);
      }
      sessions.set(uid, [id, json]);
    },
    take(uid) {
      const request = currentRequest();
      const sessions = request === undefined ? undefined : byRequest.get(request);
      const hit = sessions?.get(uid);
      if (hit !== undefined) sessions?.delete(uid);
      return hit;
    },
  };
}
