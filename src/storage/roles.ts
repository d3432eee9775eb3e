import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { grantRoleUnexpired } from './grant-roles.js';
import { sharedQuery } from './reusable-query.js';
import type { DatabaseSchema } from './schema.js';
import { inTransaction } from './transaction.js';
import type { Role, RoleInput } from './types.js';

type Db = Kysely<DatabaseSchema>;

/** Hex characters kept from the SHA-256 of a role: 128 bits. */
const ROLE_ID_LENGTH = 32;

export interface ReplaceRolesResult {
  roles: Role[];
  /** Ids that existed before and are gone now. Sessions and grants that refer to them are stale. */
  removedRoleIds: string[];
}

/**
 * Derive a role id from the person and every field of the role, so that
 * importing the same role again gives the same id.
 */
export function deriveRoleId(personId: string, role: RoleInput): string {
  const key = JSON.stringify([personId, role.kind, role.organizationId, role.className, role.position]);
  return createHash('sha256').update(key).digest('hex').slice(0, ROLE_ID_LENGTH);
}

/** The columns of a role and its organization's names, as toRole reads them; the query must join `organizations` to `roles`. */
const ROLE_COLUMNS = [
  'roles.id',
  'roles.person_id',
  'roles.kind',
  'roles.organization_id',
  'roles.class_name',
  'roles.position',
  'roles.created_at',
  'organizations.name as organization_name',
  'organizations.short_name as organization_short_name',
] as const;

/** Build the select of roles joined with their organization's names, shared by the role readers. */
export function selectRoles(db: Db) {
  return db.selectFrom('roles').leftJoin('organizations', 'organizations.id', 'roles.organization_id').select(ROLE_COLUMNS);
}

export type RoleRow = Awaited<ReturnType<ReturnType<typeof selectRoles>['executeTakeFirstOrThrow']>>;

export function toRole(row: RoleRow): Role {
  return {
    id: row.id,
    personId: row.person_id,
    kind: row.kind,
    organizationId: row.organization_id,
    className: row.class_name,
    position: row.position,
    organizationName: row.organization_name,
    organizationShortName: row.organization_short_name,
    createdAt: row.created_at,
  };
}

function selectPersonRoles(db: Db, personId: string) {
  return selectRoles(db).where('roles.person_id', '=', personId).orderBy('roles.created_at').orderBy('roles.id');
}

export async function listRoles(db: Db, personId: string): Promise<Role[]> {
  const rows = await selectPersonRoles(db, personId).execute();
  return rows.map(toRole);
}

export interface RolesWithGrantRole {
  roles: Role[];
  /**
   * The role id bound to the grant, as findGrantRole returns it. Null when
   * there is none, it expired, or the person has no roles: the binding is
   * read along with the role rows.
   */
  grantRoleId: string | null;
}

/**
 * Read a person's roles, as listRoles, and the role bound to a grant, in one
 * query. The grant's row is joined to every role row, and grant_id is the
 * key of grant_roles, so the join adds no rows.
 */
export async function listRolesWithGrantRole(
  db: Db,
  personId: string,
  grantId: string,
  now: number = Date.now(),
): Promise<RolesWithGrantRole> {
  // Runs for every token and userinfo request, so it is compiled once (see reusableQuery). Slots: person, grant, now.
  const query = sharedQuery(db, 'roles-with-grant-role', (slot) =>
    selectPersonRoles(db, slot(0))
      .leftJoin('grant_roles', (join) => join.on('grant_roles.grant_id', '=', slot(1)).on(grantRoleUnexpired(slot(2))))
      .select('grant_roles.role_id as grant_role_id'),
  );
  const rows = (await query.run([personId, grantId, now])).rows;
  return { roles: rows.map(toRole), grantRoleId: rows[0]?.grant_role_id ?? null };
}

export async function findRole(db: Db, roleId: string): Promise<Role | undefined> {
  const row = await selectRoles(db).where('roles.id', '=', roleId).executeTakeFirst();
  return row === undefined ? undefined : toRole(row);
}

/**
 * Make the person's roles exactly `roles`. Roles that stay keep their id and
 * `createdAt`, and identical entries in `roles` collapse into one.
 */
export async function replaceRoles(db: Db, personId: string, roles: readonly RoleInput[]): Promise<ReplaceRolesResult> {
  const requestedById = new Map(roles.map((role) => [deriveRoleId(personId, role), role]));

  return inTransaction(db, async (trx) => {
    const existing = await trx.selectFrom('roles').select('id').where('person_id', '=', personId).execute();
    const existingIds = new Set(existing.map((row) => row.id));
    const removedRoleIds = [...existingIds].filter((id) => !requestedById.has(id));

    if (removedRoleIds.length > 0) {
      await trx.deleteFrom('roles').where('id', 'in', removedRoleIds).execute();
    }
    const now = Date.now();
    const added = [...requestedById].filter(([id]) => !existingIds.has(id));
    if (added.length > 0) {
      await trx
        .insertInto('roles')
        .values(
          added.map(([id, role]) => ({
            id,
            person_id: personId,
            kind: role.kind,
            organization_id: role.organizationId,
            class_name: role.className,
            position: role.position,
            created_at: now,
          })),
        )
        .execute();
    }
    return { roles: await listRoles(trx, personId), removedRoleIds };
  });
}
