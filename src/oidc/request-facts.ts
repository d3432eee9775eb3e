import Provider from 'oidc-provider';
import type { GrantRoles, GrantWithRoles } from '../storage/grant-with-roles.js';
import type { OidcPayload } from '../storage/oidc-adapter.js';
import type { PersonProfile, SessionState } from '../storage/types.js';

/** A session as the session check read it: its person and its state (the active role). */
export interface CheckedSession {
  sessionUid: string;
  person: PersonProfile;
  /** Undefined when the session has no state or it expired. */
  sessionState: SessionState | undefined;
}

/**
 * The facts read by the session check and by the grant lookup, handed to
 * later code of the same provider request so that it does not read them
 * again: findAccount takes the person, the role check at the authorization
 * endpoint takes the session's state, and the claims take the grant's roles.
 * When a session-bound token names its grant, the session check reads that
 * grant too, and the Grant model's lookup takes it.
 * The session check runs first on every endpoint that needs them: the
 * session cookie's lookup before the account is loaded, and the check of a
 * session-bound token before its account. The grant is loaded before the
 * claims are built.
 *
 * Nothing outlives the request: entries are keyed on the request's context
 * in a WeakMap, and each fact is handed over at most once. A change made
 * while a request runs therefore takes effect from the next request.
 */
export interface RequestFacts {
  /** Return the context of the provider request being served, or undefined outside one. */
  currentRequest(): object | undefined;
  /** Keep what the session check just read. Outside a provider request it does nothing. */
  remember(checked: CheckedSession): void;
  /** Take the person `personId` kept earlier in the request `ctx`, if any. */
  takePerson(ctx: object, personId: string): PersonProfile | undefined;
  /**
   * Take the state of session `sessionUid` kept earlier in the request `ctx`.
   * Undefined when the request kept none for that session, so the caller must
   * read it; `{ state: undefined }` when the session has no state.
   */
  takeSessionState(ctx: object, sessionUid: string): { state: SessionState | undefined } | undefined;
  /** Keep the roles read with grant `grantId`. Outside a provider request it does nothing. */
  rememberGrantRoles(grantId: string, roles: GrantRoles): void;
  /** Take the roles of grant `grantId` kept earlier in the request `ctx`, if they were read for the person `personId`. */
  takeGrantRoles(ctx: object, grantId: string, personId: string): GrantRoles | undefined;
  /** Note that the current request found a token of grant `grantId` bound to session `sessionUid`, so it checks that session and then loads that grant. */
  expectGrant(sessionUid: string, grantId: string): void;
  /** Take the grant the current request expects to load after checking session `sessionUid`, if any. */
  takeExpectedGrant(sessionUid: string): string | undefined;
  /** Keep grant `grantId` as the session check read it along; `found` is undefined when there is no live grant. */
  rememberGrant(grantId: string, found: GrantWithRoles<OidcPayload> | undefined): void;
  /** Take grant `grantId` read earlier in the current request: `{ found }`, or undefined when it was not read. */
  takeGrant(grantId: string): { found: GrantWithRoles<OidcPayload> | undefined } | undefined;
}

interface RequestEntry {
  sessionUid: string;
  person: PersonProfile | undefined;
  sessionState: { state: SessionState | undefined } | undefined;
}

export function createRequestFacts(): RequestFacts {
  const byRequest = new WeakMap<object, RequestEntry>();
  const grantRoles = requestSlot<{ grantId: string; roles: GrantRoles }>();
  const expectedGrants = requestSlot<{ sessionUid: string; grantId: string }>();
  const grantsRead = requestSlot<{ grantId: string; found: GrantWithRoles<OidcPayload> | undefined }>();
  return {
    currentRequest: () => Provider.ctx,
    remember(checked) {
      // The context of the provider request this code runs in; undefined outside one.
      const ctx = Provider.ctx;
      if (ctx !== undefined) {
        byRequest.set(ctx, { sessionUid: checked.sessionUid, person: checked.person, sessionState: { state: checked.sessionState } });
      }
    },
    takePerson(ctx, personId) {
      const entry = byRequest.get(ctx);
      const person = entry?.person;
      if (entry !== undefined) entry.person = undefined;
      return person?.id === personId ? person : undefined;
    },
    takeSessionState(ctx, sessionUid) {
      const entry = byRequest.get(ctx);
      if (entry === undefined || entry.sessionUid !== sessionUid) return undefined;
      const sessionState = entry.sessionState;
      entry.sessionState = undefined;
      return sessionState;
    },
    rememberGrantRoles(grantId, roles) {
      grantRoles.keep({ grantId, roles });
    },
    takeGrantRoles(ctx, grantId, personId) {
      return grantRoles.take(ctx, (entry) => entry.grantId === grantId && entry.roles.personId === personId)?.roles;
    },
    expectGrant(sessionUid, grantId) {
      expectedGrants.keep({ sessionUid, grantId });
    },
    takeExpectedGrant(sessionUid) {
      return expectedGrants.take(Provider.ctx, (entry) => entry.sessionUid === sessionUid)?.grantId;
    },
    rememberGrant(grantId, found) {
      grantsRead.keep({ grantId, found });
    },
    takeGrant(grantId) {
      const entry = grantsRead.take(Provider.ctx, (read) => read.grantId === grantId);
      return entry === undefined ? undefined : { found: entry.found };
    },
  };
}

/**
 * Create a store of one fact per provider request, keyed on the request's
 * context. `keep` does nothing outside a provider request, and `take` hands a
 * matching fact over once.
 */
function requestSlot<T>() {
  const entries = new WeakMap<object, T>();
  return {
    keep(value: T): void {
      const ctx = Provider.ctx;
      if (ctx !== undefined) {
        entries.set(ctx, value);
      }
    },
    take(ctx: object | undefined, matches: (value: T) => boolean): T | undefined {
      const value = ctx === undefined ? undefined : entries.get(ctx);
      if (ctx === undefined || value === undefined || !matches(value)) {
        return undefined;
      }
      entries.delete(ctx);
      return value;
    },
  };
}
