import type { Kysely } from 'kysely';
import { isStorableText } from './codec.js';
import { GRANT_MODEL, toGrantWithRoles, type GrantRoleRow, type GrantWithRoles } from './grant-with-roles.js';
import { parseStoredPayload, SESSION_MODEL } from './oidc-adapter.js';
import { PROFILE_COLUMNS } from './person-rows.js';
import { sharedQuery } from './reusable-query.js';
import type { DatabaseSchema } from './schema.js';
import { SESSION_STATE_COLUMNS, toSessionFacts, type SessionFacts, type SessionFactsRow } from './session-activity.js';
import { joinGrantWithRoles } from './session-with-grant.js';

/** A Session record as oidc-provider stores it, with what the session check reads about it. */
export interface SessionRecord<P> {
  payload: P;
  /** Undefined when the session has no activity row (a session without a person, or one that was ended). */
  facts: SessionFacts | undefined;
  /** The requested grant with its roles. Undefined when it is missing or expired, or when none was requested. */
  grant: GrantWithRoles<P> | undefined;
}

type SessionRecordRow = { session_record_id: string; session_payload: string; session_consumed_at: number | null } & { [Column in keyof SessionFactsRow]: SessionFactsRow[Column] | null };

/**
 * Build the query of a live Session record by `column` with its activity,
 * person and state, and optionally a grant with its roles. Slots: 0 the
 * session's id or uid, 1 now (epoch ms), 2 the session's model name, 3 the
 * grant id, 4 the grant's model name.
 */
function selectSessionRecord(db: Kysely<DatabaseSchema>, column: 'id' | 'uid', withGrant: boolean, slot: (index: number) => never) {
  const session = db
    .selectFrom('oidc_payloads as session_record')
    .leftJoin('session_activity', 'session_activity.session_uid', 'session_record.uid')
    .leftJoin('people', 'people.id', 'session_activity.person_id')
    .leftJoin('session_state', (join) => join.onRef('session_state.session_uid', '=', 'session_activity.session_uid').on('session_state.expires_at', '>', slot(1)))
    .select(['session_record.id as session_record_id', 'session_record.payload as session_payload', 'session_record.consumed_at as session_consumed_at'])
    .selectAll('session_activity')
    .select(PROFILE_COLUMNS)
    .select(SESSION_STATE_COLUMNS)
    .where('session_record.model', '=', slot(2))
    .where(`session_record.${column}`, '=', slot(0))
    .where((eb) => eb.or([eb('session_record.expires_at', 'is', null), eb('session_record.expires_at', '>', slot(1))]));
  if (!withGrant) {
    return session;
  }
  return joinGrantWithRoles(session, { now: slot(1), grantId: slot(3), model: slot(4) });
}

/**
 * Read a live Session record by its id (the browser's cookie) or its uid (a
 * token bound to the session), together with the session's facts
 * (findSessionActivity), in one query. With `grantId`, the same query also
 * reads that grant with its roles (findSessionWithGrant). Undefined when no
 * live record has that id or uid.
 */
export async function findSessionRecord<P>(db: Kysely<DatabaseSchema>, column: 'id' | 'uid', value: string, now: number, grantId?: string): Promise<SessionRecord<P> | undefined> {
  if (!isStorableText(value)) {
    return undefined;
  }
  const withGrant = grantId !== undefined;
  const query = sharedQuery(db, `session-record-by-${column}${withGrant ? '-with-grant' : ''}`, (slot) => selectSessionRecord(db, column, withGrant, slot));
  const found = (await query.run([value, now, SESSION_MODEL, grantId, GRANT_MODEL])).rows as unknown as SessionRecordRow[];
  const first = found[0];
  if (first === undefined) {
    return undefined;
  }
  // Two live records can share a uid after racing requests of one browser. The first one is read, as the adapter's
  // findByUid would, and only its rows count, so the grant's roles are not repeated.
  // TODO: which record comes first is arbitrary, so with a stale copy a role switch can fail with invalid_grant until
  // the session ends. The copy comes from a request that saves the session after another one rotated its id. Stopping
  // it needs that save to see the rotation, and oidc-provider's session handling does not check for one.
  const rows = found.filter((row) => row.session_record_id === first.session_record_id);
  const payload = parseStoredPayload<P>({ payload: first.session_payload, consumed_at: first.session_consumed_at });
  const facts = first.session_uid === null ? undefined : toSessionFacts(first as SessionFactsRow);
  const grantRows = withGrant && (first as unknown as Partial<GrantRoleRow>).payload !== null ? (rows as unknown as GrantRoleRow[]) : [];
  return { payload, facts, grant: toGrantWithRoles<P>(grantRows) };
}
