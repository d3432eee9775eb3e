import type { Kysely } from 'kysely';
import { grantRoleUnexpired } from './grant-roles.js';
import { parseStoredPayload } from './oidc-adapter.js';
import { sharedQuery } from './reusable-query.js';
import { toRole, type RoleRow } from './roles.js';
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
      .select(GRANT_ROLE_COLUMNS)
      .where('oidc_payloads.model', '=', slot(2))
      .where('oidc_payloads.id', '=', slot(0))
      .where((eb) => eb.or([eb('oidc_payloads.expires_at', 'is', null), eb('oidc_payloads.expires_at', '>', slot(1))]))
      .orderBy('roles.created_at')
      .orderBy('roles.id'),
  );
  return toGrantWithRoles<P>((await query.run([grantId, now, GRANT_MODEL])).rows);
}

/** The model name of grants in oidc_payloads. */
export const GRANT_MODEL = 'Grant';

/**
 * The columns of a grant read with its roles. The role columns are renamed
 * so that a query may also select a person's or a session's columns.
 */
export const GRANT_ROLE_COLUMNS = [
  'oidc_payloads.payload',
  'oidc_payloads.consumed_at',
  'grant_roles.person_id as bound_person_id',
  'grant_roles.role_id as grant_role_id',
  'roles.id as role_id',
  'roles.person_id as role_person_id',
  'roles.kind as role_kind',
  'roles.organization_id as role_organization_id',
  'roles.class_name as role_class_name',
  'roles.position as role_position',
  'roles.created_at as role_created_at',
  'organizations.name as organization_name',
  'organizations.short_name as organization_short_name',
] as const;

/** One row of a grant read with its roles: the grant's columns, repeated, and one role of the bound person or nulls. */
export type GrantRoleRow = { payload: string; consumed_at: number | null; bound_person_id: string | null; grant_role_id: string | null } & {
  [Column in keyof Omit<RoleRow, 'organization_name' | 'organization_short_name'> as `role_${Column & string}`]: RoleRow[Column] | null;
} & { organization_name: string | null; organization_short_name: string | null };

/** Take the role out of a row; null on the one row of a grant whose bound person has no roles. */
function roleOf(row: GrantRoleRow): Role | null {
  if (row.role_id === null || row.role_person_id === null || row.role_kind === null || row.role_created_at === null) {
    return null;
  }
  return toRole({
    id: row.role_id,
    person_id: row.role_person_id,
    kind: row.role_kind,
    organization_id: row.role_organization_id,
    class_name: row.role_class_name,
    position: row.role_position,
    created_at: row.role_created_at,
    organization_name: row.organization_name,
    organization_short_name: row.organization_short_name,
  });
}

/** Build the grant and its roles from the rows of one grant; undefined when there are none (no live grant). */
export function toGrantWithRoles<P>(rows: readonly GrantRoleRow[]): GrantWithRoles<P> | undefined {
  const first = rows[0];
  if (first === undefined) {
    return undefined;
  }
  const payload = parseStoredPayload<P>(first);
  const personId = first.bound_person_id;
  if (personId === null) {
    return { payload, roles: undefined };
  }
  const roles = rows.flatMap((row) => roleOf(row) ?? []);
  return { payload, roles: { personId, grantRoleId: roles.length === 0 ? null : first.grant_role_id, roles } };
}
