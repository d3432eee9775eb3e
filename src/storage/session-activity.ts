import type { Kysely, Selectable } from 'kysely';
import { fromFlag, toFlag } from './codec.js';
import { PROFILE_COLUMNS, toPersonProfile } from './person-rows.js';
import { lazySync } from './lazy-sync.js';
import { sharedQuery } from './reusable-query.js';
import type { DatabaseSchema, PeopleTable, SessionActivityTable } from './schema.js';
import type { PersonProfile, PersonStatus, SessionState } from './types.js';

type Db = Kysely<DatabaseSchema>;

/** A signed-in session's lifetimes, in epoch milliseconds. */
export interface SessionActivity {
  sessionUid: string;
  personId: string;
  authenticatedAt: number;
  lastActiveAt: number;
  sharedDevice: boolean;
  expiresAt: number;
}

/** Create or replace the activity row of a session. */
export async function recordSessionActivity(db: Db, activity: SessionActivity): Promise<void> {
  await lazySync(db)
    .insertInto('session_activity')
    .values({
      session_uid: activity.sessionUid,
      person_id: activity.personId,
      authenticated_at: activity.authenticatedAt,
      last_active_at: activity.lastActiveAt,
      shared_device: toFlag(activity.sharedDevice),
      expires_at: activity.expiresAt,
    })
    .onConflict((conflict) =>
      conflict.column('session_uid').doUpdateSet((eb) => ({
        person_id: eb.ref('excluded.person_id'),
        authenticated_at: eb.ref('excluded.authenticated_at'),
        last_active_at: eb.ref('excluded.last_active_at'),
        shared_device: eb.ref('excluded.shared_device'),
        expires_at: eb.ref('excluded.expires_at'),
      })),
    )
    .execute();
}

/** The rows the session check reads in one query: the session's activity, its person and its state (the active role). */
export interface SessionFacts extends SessionActivity {
  personStatus: PersonStatus;
  person: PersonProfile;
  /** The session's state unless it has none or it expired before `now`, as getSessionState returns it. */
  sessionState: SessionState | undefined;
}

/** The session state's columns of the session check's row, renamed beside the activity's and the person's. */
export const SESSION_STATE_COLUMNS = ['session_state.person_id as state_person_id', 'session_state.active_role_id as state_active_role_id', 'session_state.expires_at as state_expires_at'] as const;

/**
 * Build the session check's select: the session's activity row, its person
 * and its unexpired state. Slots: 0 the session uid, 1 now (epoch ms).
 */
export function selectSessionFacts(db: Db, slot: (index: number) => never) {
  return db
    .selectFrom('session_activity')
    .innerJoin('people', 'people.id', 'session_activity.person_id')
    .leftJoin('session_state', (join) => join.onRef('session_state.session_uid', '=', 'session_activity.session_uid').on('session_state.expires_at', '>', slot(1)))
    .selectAll('session_activity')
    .select(PROFILE_COLUMNS)
    .select(SESSION_STATE_COLUMNS)
    .where('session_activity.session_uid', '=', slot(0));
}

/** Read a session's activity with its person and state. Returns undefined when the session has no row. */
export async function findSessionActivity(db: Db, sessionUid: string, now: number): Promise<SessionFacts | undefined> {
  // Runs on every provider request with a session, so it is compiled once (see reusableQuery).
  const query = sharedQuery(db, 'session-activity-with-person', (slot) => selectSessionFacts(db, slot));
  const row = (await query.run([sessionUid, now])).rows[0];
  return row === undefined ? undefined : toSessionFacts(row);
}

/** The columns of the session check's row, as findSessionActivity and findSessionWithGrant select them. */
export type SessionFactsRow = Selectable<SessionActivityTable> &
  Omit<Selectable<PeopleTable>, 'password_hash'> & { state_person_id: string | null; state_active_role_id: string | null; state_expires_at: number | null };

/** Build the session's facts from the row of its activity, person and state. */
export function toSessionFacts(row: SessionFactsRow): SessionFacts {
  const sessionState =
    row.state_person_id === null || row.state_expires_at === null
      ? undefined
      : { sessionUid: row.session_uid, personId: row.state_person_id, activeRoleId: row.state_active_role_id, expiresAt: row.state_expires_at };
  return {
    sessionState,
    sessionUid: row.session_uid,
    personId: row.person_id,
    authenticatedAt: row.authenticated_at,
    lastActiveAt: row.last_active_at,
    sharedDevice: fromFlag(row.shared_device),
    expiresAt: row.expires_at,
    personStatus: row.status,
    person: toPersonProfile(row),
  };
}

export async function touchSessionActivity(db: Db, sessionUid: string, now: number): Promise<void> {
  await lazySync(db).updateTable('session_activity').set({ last_active_at: now }).where('session_uid', '=', sessionUid).execute();
}

/** Every session uid known for a person, from the activity rows and from the sessions' role state. */
export async function listPersonSessionUids(db: Db, personId: string): Promise<string[]> {
  const [activity, state] = await Promise.all([
    db.selectFrom('session_activity').select('session_uid').where('person_id', '=', personId).execute(),
    db.selectFrom('session_state').select('session_uid').where('person_id', '=', personId).execute(),
  ]);
  return [...new Set([...activity, ...state].map((row) => row.session_uid))];
}

/** Every grant id that has a role bound for a person. */
export async function listPersonGrantIds(db: Db, personId: string): Promise<string[]> {
  const rows = await db.selectFrom('grant_roles').select('grant_id').where('person_id', '=', personId).execute();
  return rows.map((row) => row.grant_id);
}

/** Delete the activity and role state of the given sessions. */
export async function deleteSessionRecords(db: Db, sessionUids: readonly string[]): Promise<void> {
  if (sessionUids.length === 0) {
    return;
  }
  await db.deleteFrom('session_activity').where('session_uid', 'in', [...sessionUids]).execute();
  await db.deleteFrom('session_state').where('session_uid', 'in', [...sessionUids]).execute();
}

/** Delete the activity rows whose absolute lifetime ended at or before `now` and return how many. */
export async function deleteExpiredSessionActivity(db: Db, now: number): Promise<number> {
  const result = await db.deleteFrom('session_activity').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
