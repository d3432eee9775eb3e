import type { Kysely, Selectable } from 'kysely';
import { isStorableText } from './codec.js';
import { sharedQuery } from './reusable-query.js';
import type { DatabaseSchema, OidcPayloadsTable } from './schema.js';

export type PayloadRow = Selectable<OidcPayloadsTable>;

/** Maximum number of models that one statement looks up for the same id. A larger group is split. */
const MAX_MODELS_PER_STATEMENT = 3;

/** Lookups of live records by model and id, where lookups of one id in the same tick share a statement. */
export interface PayloadLookups {
  /** Find the unexpired record of `model` with `id` at `now` (epoch ms). */
  find(model: string, id: string, now: number): Promise<PayloadRow | undefined>;
}

interface PendingLookup {
  model: string;
  now: number;
  resolve: (row: PayloadRow | undefined) => void;
  reject: (error: unknown) => void;
}

/**
 * Create the lookups by id of the provider's records. oidc-provider 9 looks
 * one token value up as several models at once: introspection with
 * `token_type_hint=access_token` finds it as an AccessToken and as a
 * ClientCredentials token in the same `Promise.all`
 * (lib/helpers/token_find.js). Those lookups reach the adapter in the same
 * synchronous run, so they are collected until the microtask queue runs and
 * then read together: `where id = ? and model in (…)`.
 */
export function createPayloadLookups(db: Kysely<DatabaseSchema>): PayloadLookups {
  let pending = new Map<string, PendingLookup[]>();

  // Slots: 0 id, 1 now (epoch ms), 2… the models.
  const statement = (models: number) =>
    sharedQuery<PayloadRow>(db, `payload-by-id-${models}`, (slot) =>
      db
        .selectFrom('oidc_payloads')
        .selectAll()
        .where('id', '=', slot(0))
        .where('model', 'in', Array.from({ length: models }, (_unused, index) => slot(index + 2)))
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', slot(1))])),
    );

  const read = async (id: string, lookups: PendingLookup[]): Promise<void> => {
    const models = [...new Set(lookups.map((lookup) => lookup.model))];
    // Lookups of one tick share the latest clock reading, so none of them gets a record that had expired at its own reading.
    const now = Math.max(...lookups.map((lookup) => lookup.now));
    try {
      const rows: PayloadRow[] = [];
      for (let start = 0; start < models.length; start += MAX_MODELS_PER_STATEMENT) {
        const chunk = models.slice(start, start + MAX_MODELS_PER_STATEMENT);
        rows.push(...(await statement(chunk.length).run([id, now, ...chunk])).rows);
      }
      for (const lookup of lookups) {
        lookup.resolve(rows.find((row) => row.model === lookup.model));
      }
    } catch (error) {
      for (const lookup of lookups) {
        lookup.reject(error);
      }
    }
  };

  const flush = () => {
    const batch = pending;
    pending = new Map();
    for (const [id, lookups] of batch) {
      void read(id, lookups);
    }
  };

  return {
    find(model, id, now) {
      if (!isStorableText(id)) {
        return Promise.resolve(undefined);
      }
      return new Promise((resolve, reject) => {
        const lookups = pending.get(id);
        if (lookups !== undefined) {
          lookups.push({ model, now, resolve, reject });
          return;
        }
        if (pending.size === 0) {
          queueMicrotask(flush);
        }
        pending.set(id, [{ model, now, resolve, reject }]);
      });
    },
  };
}
