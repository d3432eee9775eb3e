import type { Kysely } from 'kysely';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';
import { findGrantWithRoles, type GrantWithRoles } from '../storage/grant-with-roles.js';
import { delegateAdapter, type OidcAdapter, type OidcPayload } from '../storage/oidc-adapter.js';
import type { DatabaseSchema } from '../storage/schema.js';
import { findSessionActivity, type SessionFacts } from '../storage/session-activity.js';
import { findSessionRecord } from '../storage/session-record.js';
import { findSessionWithGrant } from '../storage/session-with-grant.js';
import type { SessionRecordReader } from '../sessions/session-adapter.js';
import type { RequestFacts } from './request-facts.js';

/** The provider's routes that build claims after loading the grant: the token endpoint (the ID token) and userinfo. */
const CLAIMS_ROUTES: ReadonlySet<string> = new Set(['token', 'userinfo']);

/** The routes that check a token's session and then load its grant: the claims routes and introspection. */
const GRANT_READ_ROUTES: ReadonlySet<string> = new Set([...CLAIMS_ROUTES, 'introspection']);

/** The models whose records may be bound to a session and name the grant the request loads next. */
export const SESSION_BOUND_TOKEN_MODELS: ReadonlySet<string> = new Set(['AccessToken', 'RefreshToken', 'AuthorizationCode']);

function onRoute(routes: ReadonlySet<string>): boolean {
  return routes.has((Provider.ctx as KoaContextWithOIDC | undefined)?.oidc?.route ?? '');
}

function keepRoles(requestFacts: RequestFacts, grantId: string, found: GrantWithRoles<OidcPayload> | undefined): OidcPayload | undefined {
  if (found?.roles !== undefined) {
    requestFacts.rememberGrantRoles(grantId, found.roles);
  }
  return found?.payload;
}

/**
 * Wrap the Grant model's storage so that, on the routes that build claims, a
 * lookup by id also reads the grant's roles (findGrantWithRoles) and keeps
 * them for the claims of the same request (RequestFacts). When the request's
 * session check already read the grant (createSessionFactsReader), on these
 * routes or on introspection, that read is used instead. Elsewhere the grant
 * is read alone. Grants live in the database in every set-up, so the wrapped
 * adapter is the SQL one and only `find` changes. A grant's role is bound at the
 * authorization endpoint, which builds no claims (the response type is code
 * only), so roles kept here are never older than a binding in the same request.
 */
export function readGrantRolesAlong(inner: OidcAdapter<OidcPayload>, db: Kysely<DatabaseSchema>, requestFacts: RequestFacts, clock: () => number = Date.now): OidcAdapter<OidcPayload> {
  return {
    ...delegateAdapter(inner),
    async find(id) {
      const read = requestFacts.takeGrant(id);
      if (read !== undefined) {
        return keepRoles(requestFacts, id, read.found);
      }
      return onRoute(CLAIMS_ROUTES) ? keepRoles(requestFacts, id, await findGrantWithRoles<OidcPayload>(db, id, clock())) : inner.find(id);
    },
  };
}

/**
 * Wrap the storage of a session-bound token model (SESSION_BOUND_TOKEN_MODELS)
 * so that finding a token on a route of GRANT_READ_ROUTES notes its session
 * and grant. The provider checks that session next and then loads that grant,
 * so the session check can read both in one query.
 */
export function noteTokenGrant(inner: OidcAdapter<OidcPayload>, requestFacts: RequestFacts): OidcAdapter<OidcPayload> {
  return {
    ...delegateAdapter(inner),
    async find(id) {
      const payload = await inner.find(id);
      const sessionUid = payload?.expiresWithSession === true ? payload.sessionUid : undefined;
      const grantId = payload?.grantId;
      if (typeof sessionUid === 'string' && typeof grantId === 'string' && onRoute(GRANT_READ_ROUTES)) {
        requestFacts.expectGrant(sessionUid, grantId);
      }
      return payload;
    },
  };
}

/**
 * Return the session check's reader of a session's facts. When the request
 * found a token bound to that session (noteTokenGrant), the reader also reads
 * the token's grant with its roles in the same query (findSessionWithGrant).
 * It keeps that grant for the Grant model's lookup. Otherwise it reads the
 * session alone.
 */
export function createSessionFactsReader(db: Kysely<DatabaseSchema>, requestFacts: RequestFacts): (sessionUid: string, now: number) => Promise<SessionFacts | undefined> {
  return async (sessionUid, now) => {
    const grantId = requestFacts.takeExpectedGrant(sessionUid);
    if (grantId === undefined) {
      return findSessionActivity(db, sessionUid, now);
    }
    const read = await findSessionWithGrant<OidcPayload>(db, sessionUid, grantId, now);
    if (read === undefined) {
      return undefined;
    }
    requestFacts.rememberGrant(grantId, read.grant);
    return read.facts;
  };
}

/**
 * Return the session guard's reader of a Session record with its facts, for
 * sessions stored in the database. A lookup by uid for a token that the
 * request found (noteTokenGrant) also reads the token's grant with its roles
 * and keeps it for the Grant model's lookup, as createSessionFactsReader does.
 */
export function createSessionRecordReader(db: Kysely<DatabaseSchema>, requestFacts: RequestFacts): SessionRecordReader {
  return async (column, value, now) => {
    const grantId = column === 'uid' ? requestFacts.takeExpectedGrant(value) : undefined;
    const record = await findSessionRecord<OidcPayload>(db, column, value, now, grantId);
    if (grantId !== undefined && record?.facts !== undefined) {
      requestFacts.rememberGrant(grantId, record.grant);
    }
    return record;
  };
}
