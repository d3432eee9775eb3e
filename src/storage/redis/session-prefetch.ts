/**
 * Sessions read along with a token by one script (FIND_WITH_SESSION in
 * scripts.ts). oidc-provider looks up the session of a session-bound token
 * by uid right after it finds the token, a few microtasks later, and takes
 * it from here instead of making a second round trip. An entry lasts until
 * it is taken or until the event loop's next check phase, so a copy is never
 * older than one turn of the event loop. A lookup that comes later reads
 * Redis again.
 */
export interface SessionPrefetch {
  remember(uid: string, id: string, json: string): void;
  /** Remove and return the session read along for this uid: its id and stored JSON. */
  take(uid: string): [string, string] | undefined;
}

export function createSessionPrefetch(): SessionPrefetch {
  const sessions = new Map<string, [string, string]>();
  let clearScheduled = false;

  return {
    remember(uid, id, json) {
      sessions.set(uid, [id, json]);
      if (clearScheduled) return;
      clearScheduled = true;
      setImmediate(() => {
        sessions.clear();
        clearScheduled = false;
      });
    },
    take(uid) {
      const hit = sessions.get(uid);
      if (hit !== undefined) sessions.delete(uid);
      return hit;
    },
  };
}
