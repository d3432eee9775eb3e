import type { Kysely, Selectable } from 'kysely';
import type { DatabaseSchema, OrganizationsTable } from './schema.js';
import type { Organization, OrganizationInput } from './types.js';

type Db = Kysely<DatabaseSchema>;

/** Insert an organization or update it by id. `createdAt` keeps its first value. */
export async function upsertOrganization(db: Db, input: OrganizationInput): Promise<Organization> {
  const now = Date.now();
  const row = await db
    .insertInto('organizations')
    .values({
      id: input.id,
      kind: input.kind,
      name: input.name,
      short_name: input.shortName,
      region: input.region,
      created_at: now,
      updated_at: now,
    })
    .onConflict((conflict) =>
      conflict.column('id').doUpdateSet((eb) => ({
        kind: eb.ref('excluded.kind'),
        name: eb.ref('excluded.name'),
        short_name: eb.ref('excluded.short_name'),
        region: eb.ref('excluded.region'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
  return toOrganization(row);
}

export async function findOrganization(db: Db, id: string): Promise<Organization | undefined> {
  const row = await db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toOrganization(row);
}

function toOrganization(row: Selectable<OrganizationsTable>): Organization {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    shortName: row.short_name,
    region: row.region,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
