import type { Kysely, SelectQueryBuilder } from 'kysely';
import { grantRoleUnexpired } from './grant-roles.js';
import { GRANT_MODEL, GRANT_ROLE_COLUMNS, toGrantWithRoles, type GrantRoleRow, type GrantWithRoles } from './grant-with-roles.js';
import { sharedQuery } from './reusable-query.js';
import type { DatabaseSchema } from './schema.js';
import { selectSessionFacts, toSessionFacts, type SessionFacts } from './session-activity.js';

export interface SessionWithGrant<P> {
  facts: SessionFacts;
  /** Undefined when the grant is missing or expired, as findGrantWithRoles reads it. */
  grant: GrantWithRoles<P> | undefined;
}

/**
 * Read a session's facts (findSessionActivity) and a grant with its roles
 * (findGrantWithRoles) in one query. A token bound to a session has its
 * session checked and then its grant loaded in the same request, so one
 * round trip to the database serves both. The session's row drives the
 * query: without it the result is undefined and the grant is not read,
 * because the token is then rejected. Each role of the grant's person
 * repeats the session's columns.
 */
export async function findSessionWithGrant<P>(db: Kysely<DatabaseSchema>, sessionUid: string, grantId: string, now: number): Promise<SessionWithGrant<P> | undefined> {
  // Slots: 0 session uid, 1 now (epoch ms), 2 grant id, 3 the grant's model name.
  const query = sharedQuery(db, 'session-activity-with-grant', (slot) => joinGrantWithRoles(selectSessionFacts(db, slot), { now: slot(1), grantId: slot(2), model: slot(3) }));
  const rows = (await query.run([sessionUid, now, grantId, GRANT_MODEL])).rows;
  const first = rows[0];
  if (first === undefined) {
    return undefined;
  }
  const grantRows = first.payload === null ? [] : (rows as GrantRoleRow[]);
  return { facts: toSessionFacts(first), grant: toGrantWithRoles<P>(grantRows) };
}

/** The slots of joinGrantWithRoles: now (epoch ms), the grant id and the grant's model name. */
interface GrantSlots {
  now: never;
  grantId: never;
  model: never;
}

/**
 * Add a live grant, its bound role and the roles of the bound person to a
 * query of a session's row, as left joins, with one row per role. The grant
 * table is joined unaliased, so the query may read a Session record only
 * under another name.
 */
export function joinGrantWithRoles<Row>(query: SelectQueryBuilder<DatabaseSchema, never, Row>, slots: GrantSlots) {
  // The joins refer only to their own tables, so the caller's tables are cast away for Kysely's types.
  const session = query as unknown as SelectQueryBuilder<DatabaseSchema, 'session_activity', Row>;
  return session
    .leftJoin('oidc_payloads', (join) =>
      join
        .on('oidc_payloads.model', '=', slots.model)
        .on('oidc_payloads.id', '=', slots.grantId)
        .on((eb) => eb.or([eb('oidc_payloads.expires_at', 'is', null), eb('oidc_payloads.expires_at', '>', slots.now)])),
    )
    .leftJoin('grant_roles', (join) => join.onRef('grant_roles.grant_id', '=', 'oidc_payloads.id').on(grantRoleUnexpired(slots.now)))
    .leftJoin('roles', 'roles.person_id', 'grant_roles.person_id')
    .leftJoin('organizations', 'organizations.id', 'roles.organization_id')
    .select(GRANT_ROLE_COLUMNS)
    .orderBy('roles.created_at')
    .orderBy('roles.id');
}
