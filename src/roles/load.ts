import type { Kysely } from 'kysely';
import { listChildren } from '../storage/parent-links.js';
import { listRoles, listRolesWithGrantRole, type RolesWithGrantRole } from '../storage/roles.js';
import type { DatabaseSchema } from '../storage/schema.js';
import type { Role as StoredRole } from '../storage/types.js';
import { STAFF_POSITIONS, type ChildRef, type OrganizationRef, type Role, type StaffPosition } from './kinds.js';

function organizationOf(role: StoredRole): OrganizationRef | null {
  if (role.organizationId === null) {
    return null;
  }
  return { id: role.organizationId, name: role.organizationName ?? role.organizationId, shortName: role.organizationShortName };
}

function positionOf(value: string | null): StaffPosition | null {
  return STAFF_POSITIONS.find((position) => position === value) ?? null;
}

async function childrenOf(db: Kysely<DatabaseSchema>, parentId: string): Promise<ChildRef[]> {
  const children = await listChildren(db, parentId);
  return children.map(({ child, studentRoles }) => {
    const studentRole = studentRoles[0];
    return {
      personId: child.id,
      familyName: child.familyName,
      givenName: child.givenName,
      middleName: child.middleName,
      organization: studentRole === undefined ? null : organizationOf(studentRole),
      className: studentRole?.className ?? null,
    };
  });
}

/** Turn stored roles into roles, with the children of a parent role filled in. */
async function withChildren(db: Kysely<DatabaseSchema>, personId: string, stored: StoredRole[]): Promise<Role[]> {
  const needsChildren = stored.some((role) => role.kind === 'parent');
  const children = needsChildren ? await childrenOf(db, personId) : [];

  return stored.map((role) => ({
    id: role.id,
    kind: role.kind,
    organization: organizationOf(role),
    className: role.className,
    position: positionOf(role.position),
    children: role.kind === 'parent' ? children : [],
  }));
}

/** Load every role of a person, with the children of a parent role filled in. */
export async function loadRoles(db: Kysely<DatabaseSchema>, personId: string): Promise<Role[]> {
  return withChildren(db, personId, await listRoles(db, personId));
}

/**
 * Load every role of a person, as loadRoles, and the role bound to the grant
 * `grantId` in the same query (see listRolesWithGrantRole), unless the request
 * already read both (`alreadyRead`, from the grant lookup). Without a grant
 * there is no bound role.
 */
export async function loadRolesWithGrantRole(
  db: Kysely<DatabaseSchema>,
  personId: string,
  grantId: string | undefined,
  alreadyRead?: RolesWithGrantRole,
): Promise<{ roles: Role[]; grantRoleId: string | null }> {
  if (grantId === undefined) {
    return { roles: await loadRoles(db, personId), grantRoleId: null };
  }
  const { roles, grantRoleId } = alreadyRead ?? (await listRolesWithGrantRole(db, personId, grantId));
  return { roles: await withChildren(db, personId, roles), grantRoleId };
}
