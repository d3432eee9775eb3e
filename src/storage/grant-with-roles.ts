import type { Kysely } from 'kysely';
import { grantRoleUnexpired } from './grant-roles.js';
import { parseStoredPayload } from './oidc-adapter.js';
import { sharedQuery } from './reusable-query.js';
import { ROLE_COLUMNS, toRole, type RoleRow } from './roles.js';
import type { DatabaseSchema } from './schema.js';
import type { Role } from './types.js';

/** The role bound to a grant and every role of the person it is bound for, as listRolesWithGrantRole returns them. */
export interface GrantRoles {
  personId: string;
  /** Null when the person has no roles left, as listRolesWithGrantRole reads it. */
  grantRoleId: string | null;
  roles: Role[];
}

export interface GrantWithRoles<P> {
  payload: P;
  /** Undefined when no unexpired role is bound to the grant. */
  roles: GrantRoles | undefined;
}

/**
 * Read a live Grant record with its bound role and the roles of the bound
 * person, in one query. The token endpoint (code and refresh grants) and
 * userinfo load the grant and then release the roles as claims, so this
 * spares the roles query of each such request. The grant's row is repeated
 * on every role row.
 */
export async function findGrantWithRoles<P>(db: Kysely<DatabaseSchema>, grantId: string, now: number): Promise<GrantWithRoles<P> | undefined> {
  // Slots: 0 grant id, 1 now (epoch ms), 2 the model name.
  const query = sharedQuery(db, 'grant-with-roles', (slot) =>
    db
      .selectFrom('oidc_payloads')
      .leftJoin('grant_roles', (join) => join.onRef('grant_roles.grant_id', '=', 'oidc_payloads.id').on(grantRoleUnexpired(slot(1))))
      .leftJoin('roles', 'roles.person_id', 'grant_roles.person_id')
      .leftJoin('organizations', 'organizations.id', 'roles.organization_id')
      .select(['oidc_payloads.payload', 'oidc_payloads.consumed_at', 'grant_roles.person_id as bound_person_id', 'grant_roles.role_id as grant_role_id'])
      .select(ROLE_COLUMNS)
      .where('oidc_payloads.model', '=', slot(2))
      .where('oidc_payloads.id', '=', slot(0))
      .where((eb) => eb.or([eb('oidc_payloads.expires_at', 'is', null), eb('oidc_payloads.expires_at', '>', slot(1))]))
      .orderBy('roles.created_at')
      .orderBy('roles.id'),
  );
  const rows = (await query.run([grantId, now, 'Grant'])).rows;
  const first = rows[0];
  if (first === undefined) {
    return undefined;
  }
  const personId = first.bound_person_id;
  if (personId === null) {
    return { payload: parseStoredPayload<P>(first), roles: undefined };
  }
  // A bound person without roles gives one row whose role columns are all null.
  const roles = rows.filter((row) => row.id !== null).map((row) => toRole(row as RoleRow));
  return { payload: parseStoredPayload<P>(first), roles: { personId, grantRoleId: roles.length === 0 ? null : first.grant_role_id, roles } };
}
