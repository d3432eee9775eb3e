import type { OidcPayload } from '../storage/oidc-adapter.js';

/** Longer than any request, so that a request's save still finds what its own lookup read. */
const SNAPSHOT_MAX_AGE_MS = 30_000;

/** Bounds the memory of lookups whose request ended without a save. */
const MAX_SNAPSHOTS = 10_000;

interface Snapshot {
  json: string;
  readAt: number;
}

/**
 * A memory of the stored payloads that browsers' session lookups returned,
 * so that the save at the end of the same request can be skipped when
 * nothing changed. oidc-provider saves an existing session on every request of its
 * browser only to slide its expiry. Propusk fixes the expiry at login
 * (remainingSessionSeconds), so an unchanged payload needs no write.
 *
 * Skipping is safe when another request changed or destroyed the session in
 * between: the stored record is then newer than this request's copy, and
 * keeping it is what a write of an unchanged copy should not undo.
 */
export interface UnchangedSaves {
  /** Record the payload a lookup by session id returned. */
  remember(id: string, payload: OidcPayload, now: number): void;
  /** True when `payload` equals what a recent lookup of `id` returned. Forgets the lookup either way. */
  isUnchanged(id: string, payload: OidcPayload, now: number): boolean;
  forget(id: string): void;
}

/**
 * The payload as text without `jti` and `kind`: the Redis store returns them
 * with a lookup, while oidc-provider's save passes the id separately and
 * leaves them out, and neither is part of what a save changes.
 */
function comparable(payload: OidcPayload): string {
  const { jti: _jti, kind: _kind, ...rest } = payload as OidcPayload & { jti?: unknown; kind?: unknown };
  return JSON.stringify(rest);
}

export function createUnchangedSaves(): UnchangedSaves {
  const snapshots = new Map<string, Snapshot>();

  return {
    remember(id, payload, now) {
      snapshots.delete(id);
      if (snapshots.size >= MAX_SNAPSHOTS) {
        // A Map iterates in insertion order, so the first key is the oldest lookup.
        const oldest = snapshots.keys().next().value;
        if (oldest !== undefined) {
          snapshots.delete(oldest);
        }
      }
      snapshots.set(id, { json: comparable(payload), readAt: now });
    },
    isUnchanged(id, payload, now) {
      const snapshot = snapshots.get(id);
      snapshots.delete(id);
      if (snapshot === undefined || now - snapshot.readAt > SNAPSHOT_MAX_AGE_MS) {
        return false;
      }
      return snapshot.json === comparable(payload);
    },
    forget(id) {
      snapshots.delete(id);
    },
  };
}
