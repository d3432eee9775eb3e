import type { Kysely } from 'kysely';
import { lazySync } from './lazy-sync.js';
import { sharedQuery } from './reusable-query.js';
import type { DatabaseSchema } from './schema.js';
import type { SessionState } from './types.js';

type Db = Kysely<DatabaseSchema>;

/** Return the state of an SSO session, or undefined when there is none or it expired before `now`. */
export async function getSessionState(
  db: Db,
  sessionUid: string,
  now: number = Date.now(),
): Promise<SessionState | undefined> {
  // Runs on every authorization request with a session, so it is compiled once (see reusableQuery).
  const query = sharedQuery(db, 'session-state', (slot) =>
    db.selectFrom('session_state').selectAll().where('session_uid', '=', slot(0)).where('expires_at', '>', slot(1)),
  );
  const row = (await query.run([sessionUid, now])).rows[0];
  if (row === undefined) {
    return undefined;
  }
  return {
    sessionUid: row.session_uid,
    personId: row.person_id,
    activeRoleId: row.active_role_id,
    expiresAt: row.expires_at,
  };
}

/** Create or replace the state of an SSO session. `expiresAt` is in epoch milliseconds. */
export async function setActiveRole(
  db: Db,
  sessionUid: string,
  personId: string,
  roleId: string | null,
  expiresAt: number,
): Promise<void> {
  await lazySync(db)
    .insertInto('session_state')
    .values({ session_uid: sessionUid, person_id: personId, active_role_id: roleId, expires_at: expiresAt })
    .onConflict((conflict) =>
      conflict.column('session_uid').doUpdateSet((eb) => ({
        person_id: eb.ref('excluded.person_id'),
        active_role_id: eb.ref('excluded.active_role_id'),
        expires_at: eb.ref('excluded.expires_at'),
      })),
    )
    .execute();
}

export async function deleteSessionState(db: Db, sessionUid: string): Promise<void> {
  await db.deleteFrom('session_state').where('session_uid', '=', sessionUid).execute();
}

/** Delete the session states that expired at or before `now` and return how many. */
export async function deleteExpiredSessionStates(db: Db, now: number): Promise<number> {
  const result = await db.deleteFrom('session_state').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
