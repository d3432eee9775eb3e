import { expressionBuilder, type Expression, type Kysely, type SqlBool } from 'kysely';
import type { DatabaseSchema } from './schema.js';
import type { GrantRole } from './types.js';

type Db = Kysely<DatabaseSchema>;

/** Record the role that a grant, and so every token issued from it, carries. Rebinding replaces it. */
export async function bindGrantRole(db: Db, binding: GrantRole): Promise<void> {
  await db
    .insertInto('grant_roles')
    .values({
      grant_id: binding.grantId,
      person_id: binding.personId,
      client_id: binding.clientId,
      role_id: binding.roleId,
      expires_at: binding.expiresAt,
    })
    .onConflict((conflict) =>
      conflict.column('grant_id').doUpdateSet((eb) => ({
        person_id: eb.ref('excluded.person_id'),
        client_id: eb.ref('excluded.client_id'),
        role_id: eb.ref('excluded.role_id'),
        expires_at: eb.ref('excluded.expires_at'),
      })),
    )
    .execute();
}

/** Build the condition that a grant's role has not expired before `now`, for any query that reads grant_roles. */
export function grantRoleUnexpired(now: number): Expression<SqlBool> {
  const eb = expressionBuilder<DatabaseSchema, 'grant_roles'>();
  return eb.or([eb('grant_roles.expires_at', 'is', null), eb('grant_roles.expires_at', '>', now)]);
}

/** Return a grant's role, or undefined when there is none or it expired before `now`. */
export async function findGrantRole(
  db: Db,
  grantId: string,
  now: number = Date.now(),
): Promise<GrantRole | undefined> {
  const row = await db
    .selectFrom('grant_roles')
    .selectAll()
    .where('grant_id', '=', grantId)
    .where(grantRoleUnexpired(now))
    .executeTakeFirst();
  if (row === undefined) {
    return undefined;
  }
  return {
    grantId: row.grant_id,
    personId: row.person_id,
    clientId: row.client_id,
    roleId: row.role_id,
    expiresAt: row.expires_at,
  };
}

export async function deleteGrantRole(db: Db, grantId: string): Promise<void> {
  await db.deleteFrom('grant_roles').where('grant_id', '=', grantId).execute();
}

/** Delete the grant roles that expired at or before `now` and return how many. */
export async function deleteExpiredGrantRoles(db: Db, now: number): Promise<number> {
  const result = await db.deleteFrom('grant_roles').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
