import type { Kysely, Selectable } from 'kysely';
import { fromFlag, toFlag } from './codec.js';
import { IdentifierConflictError } from './errors.js';
import type { DatabaseSchema, IdentifiersTable } from './schema.js';
import { inTransaction } from './transaction.js';
import type { Identifier, IdentifierInput } from './types.js';

type Db = Kysely<DatabaseSchema>;

export async function listIdentifiers(db: Db, personId: string): Promise<Identifier[]> {
  const rows = await db
    .selectFrom('identifiers')
    .selectAll()
    .where('person_id', '=', personId)
    .orderBy('id')
    .execute();
  return rows.map(toIdentifier);
}

/**
 * Make the person's identifiers exactly `identifiers`, all or nothing. An
 * identifier that stays keeps its id and `createdAt` and takes the new
 * `display` and `verified`. Throws IdentifierConflictError when one belongs
 * to another person, and a TypeError when `identifiers` lists one twice.
 */
export async function replaceIdentifiers(
  db: Db,
  personId: string,
  identifiers: readonly IdentifierInput[],
): Promise<Identifier[]> {
  const requestedByKey = new Map(identifiers.map((identifier) => [identifierKey(identifier), identifier]));
  if (requestedByKey.size !== identifiers.length) {
    throw new TypeError('replaceIdentifiers: the same kind and value appear twice in the list');
  }

  return inTransaction(db, async (trx) => {
    const existing = await trx.selectFrom('identifiers').selectAll().where('person_id', '=', personId).execute();
    const existingByKey = new Map(existing.map((row) => [identifierKey(row), row]));

    const removedIds = existing.filter((row) => !requestedByKey.has(identifierKey(row))).map((row) => row.id);
    if (removedIds.length > 0) {
      await trx.deleteFrom('identifiers').where('id', 'in', removedIds).execute();
    }

    const now = Date.now();
    for (const [key, identifier] of requestedByKey) {
      const current = existingByKey.get(key);
      if (current === undefined) {
        await insertIdentifier(trx, personId, identifier, now);
      } else {
        await trx
          .updateTable('identifiers')
          .set({ display: identifier.display, verified: toFlag(identifier.verified) })
          .where('id', '=', current.id)
          .execute();
      }
    }
    return listIdentifiers(trx, personId);
  });
}

/**
 * Insert with ON CONFLICT DO NOTHING rather than checking first: the unique
 * (kind, value) constraint then decides even when another transaction races
 * this one, and PostgreSQL does not abort the transaction on a conflict.
 */
async function insertIdentifier(db: Db, personId: string, identifier: IdentifierInput, now: number): Promise<void> {
  const inserted = await db
    .insertInto('identifiers')
    .values({
      person_id: personId,
      kind: identifier.kind,
      value: identifier.value,
      display: identifier.display,
      verified: toFlag(identifier.verified),
      created_at: now,
    })
    .onConflict((conflict) => conflict.columns(['kind', 'value']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted === undefined) {
    throw new IdentifierConflictError(identifier.kind);
  }
}

function identifierKey(identifier: Pick<IdentifierInput, 'kind' | 'value'>): string {
  return JSON.stringify([identifier.kind, identifier.value]);
}

function toIdentifier(row: Selectable<IdentifiersTable>): Identifier {
  return {
    id: row.id,
    personId: row.person_id,
    kind: row.kind,
    value: row.value,
    display: row.display,
    verified: fromFlag(row.verified),
    createdAt: row.created_at,
  };
}
