import type { Kysely } from 'kysely';
import { PROFILE_COLUMNS, toPersonProfile } from './person-rows.js';
import { selectRoles, toRole } from './roles.js';
import type { DatabaseSchema } from './schema.js';
import type { ChildWithStudentRoles, PersonProfile } from './types.js';

type Db = Kysely<DatabaseSchema>;

// Sorted in JavaScript: SQLite compares text bytewise while PostgreSQL uses
// the database collation, so ORDER BY on Cyrillic names differs between them.
const nameCollator = new Intl.Collator('ru');

/** Link a parent to a child. Linking the same pair twice is not an error. */
export async function linkParent(db: Db, parentId: string, childId: string): Promise<void> {
  await db
    .insertInto('parent_links')
    .values({ parent_id: parentId, child_id: childId, created_at: Date.now() })
    .onConflict((conflict) => conflict.columns(['parent_id', 'child_id']).doNothing())
    .execute();
}

/** Remove a parent–child link. Returns false when there was none. */
export async function unlinkParent(db: Db, parentId: string, childId: string): Promise<boolean> {
  const result = await db
    .deleteFrom('parent_links')
    .where('parent_id', '=', parentId)
    .where('child_id', '=', childId)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Return a parent's children, sorted by name, each with its student roles (school and class). */
export async function listChildren(db: Db, parentId: string): Promise<ChildWithStudentRoles[]> {
  const rows = await db
    .selectFrom('parent_links')
    .innerJoin('people', 'people.id', 'parent_links.child_id')
    .select(PROFILE_COLUMNS)
    .where('parent_links.parent_id', '=', parentId)
    .execute();
  const children = rows.map(toPersonProfile).sort(compareByName);
  if (children.length === 0) {
    return [];
  }

  const roleRows = await selectRoles(db)
    .where('roles.person_id', 'in', children.map((child) => child.id))
    .where('roles.kind', '=', 'student')
    .orderBy('roles.created_at')
    .orderBy('roles.id')
    .execute();
  const roles = roleRows.map(toRole);
  return children.map((child) => ({
    child,
    studentRoles: roles.filter((role) => role.personId === child.id),
  }));
}

/** Return a child's parents, sorted by name. */
export async function listParents(db: Db, childId: string): Promise<PersonProfile[]> {
  const rows = await db
    .selectFrom('parent_links')
    .innerJoin('people', 'people.id', 'parent_links.parent_id')
    .select(PROFILE_COLUMNS)
    .where('parent_links.child_id', '=', childId)
    .execute();
  return rows.map(toPersonProfile).sort(compareByName);
}

function compareByName(left: PersonProfile, right: PersonProfile): number {
  return (
    nameCollator.compare(left.familyName, right.familyName) ||
    nameCollator.compare(left.givenName, right.givenName) ||
    left.id.localeCompare(right.id)
  );
}
