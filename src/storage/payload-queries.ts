import type { InsertResult, Kysely } from 'kysely';
import type { PayloadRow } from './payload-lookups.js';
import { reusableQuery, type ReusableQuery } from './reusable-query.js';
import type { DatabaseSchema } from './schema.js';

/**
 * Prepare the queries that run on every provider request, each compiled
 * once per database (see reusableQuery). Slots are numbered in the order of
 * the values that each caller passes.
 */
export function payloadQueries(db: Kysely<DatabaseSchema>) {
  // Slots: 0 model, 1 the looked-up value, 2 now (epoch ms). Lookups by id go through createPayloadLookups.
  const findBy = (column: 'user_code' | 'uid'): ReusableQuery<PayloadRow> =>
    reusableQuery(db, (slot) =>
      db
        .selectFrom('oidc_payloads')
        .selectAll()
        .where('model', '=', slot(0))
        .where(column, '=', slot(1))
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', slot(2))])),
    );
  return {
    findBy: { user_code: findBy('user_code'), uid: findBy('uid') },
    upsert: upsertQuery(db),
    // Slots: 0 now (epoch ms), 1 model, 2 id.
    consume: reusableQuery(db, (slot) =>
      db.updateTable('oidc_payloads').set({ consumed_at: slot(0) }).where('model', '=', slot(1)).where('id', '=', slot(2)).where('consumed_at', 'is', null),
    ),
  };
}

/** Insert or replace a record. Slots: the columns in the order of the values below. */
export function upsertQuery(db: Kysely<DatabaseSchema>): ReusableQuery<InsertResult> {
  return reusableQuery(db, (slot) =>
    db
      .insertInto('oidc_payloads')
      .values({
        model: slot(0),
        id: slot(1),
        payload: slot(2),
        grant_id: slot(3),
        user_code: slot(4),
        uid: slot(5),
        expires_at: slot(6),
        consumed_at: slot(7),
      })
      .onConflict((conflict) =>
        conflict.columns(['model', 'id']).doUpdateSet((eb) => ({
          payload: eb.ref('excluded.payload'),
          grant_id: eb.ref('excluded.grant_id'),
          user_code: eb.ref('excluded.user_code'),
          uid: eb.ref('excluded.uid'),
          expires_at: eb.ref('excluded.expires_at'),
          // Once consumed, a record stays consumed even if a stale copy is saved again.
          consumed_at: eb.fn.coalesce('oidc_payloads.consumed_at', 'excluded.consumed_at'),
        })),
      ),
  );
}
