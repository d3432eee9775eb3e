import type { Kysely, Selectable } from 'kysely';
import { toJsonText } from './codec.js';
import type { Store } from './database.js';
import { AlreadyConsumedError } from './errors.js';
import { StorageError } from '../errors/index.js';
import type { DatabaseSchema, OidcPayloadsTable } from './schema.js';

/*
 * Storage for oidc-provider 9 models (sessions, interactions, codes, tokens,
 * grants) in one table keyed by (model, id). The adapter interface is written
 * out structurally here so that storage does not depend on oidc-provider.
 */

/** Payload fields that the adapter indexes. The rest is stored as opaque JSON. */
export interface OidcPayloadFields {
  grantId?: string | undefined;
  userCode?: string | undefined;
  uid?: string | undefined;
  /** Epoch seconds of consumption. oidc-provider treats any truthy value as consumed. */
  consumed?: unknown;
}

export type OidcPayload = OidcPayloadFields & Record<string, unknown>;

export interface OidcAdapter<P extends OidcPayloadFields> {
  upsert(id: string, payload: P, expiresIn?: number): Promise<void>;
  find(id: string): Promise<P | undefined>;
  findByUserCode(userCode: string): Promise<P | undefined>;
  findByUid(uid: string): Promise<P | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

export type OidcAdapterClass<P extends OidcPayloadFields> = new (name: string) => OidcAdapter<P>;

/** Clients live in the services table and the oidc module maps them, so this adapter never stores one. */
const CLIENT_MODEL = 'Client';

/** Models that `revokeByGrantId` removes, as in oidc-provider's own memory adapter. */
export const GRANT_BOUND_MODELS: ReadonlySet<string> = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

/** Only sessions are looked up by uid. */
const SESSION_MODEL = 'Session';

/**
 * Create the adapter class that oidc-provider instantiates once per model
 * name. `clock` returns epoch milliseconds, and tests pass a fake one.
 */
export function createOidcAdapter<P extends OidcPayloadFields = OidcPayload>(
  store: Store,
  clock: () => number = Date.now,
): OidcAdapterClass<P> {
  const db = store.db;

  return class SqlOidcAdapter implements OidcAdapter<P> {
    readonly model: string;

    constructor(name: string) {
      this.model = name;
    }

    async upsert(id: string, payload: P, expiresIn?: number): Promise<void> {
      if (this.model === CLIENT_MODEL) {
        throw new StorageError('Client records are not stored by the OIDC payload adapter');
      }
      const now = clock();
      await db
        .insertInto('oidc_payloads')
        .values({
          model: this.model,
          id,
          payload: toJsonText(payload),
          grant_id: GRANT_BOUND_MODELS.has(this.model) ? stringOrNull(payload.grantId) : null,
          user_code: stringOrNull(payload.userCode),
          uid: this.model === SESSION_MODEL ? stringOrNull(payload.uid) : null,
          expires_at: expiresIn === undefined ? null : now + Math.ceil(expiresIn * 1000),
          consumed_at: consumedAt(payload.consumed, now),
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
        )
        .execute();
    }

    async find(id: string): Promise<P | undefined> {
      if (this.model === CLIENT_MODEL) {
        return undefined;
      }
      return findLive<P>(db, this.model, 'id', id, clock());
    }

    async findByUserCode(userCode: string): Promise<P | undefined> {
      return findLive<P>(db, this.model, 'user_code', userCode, clock());
    }

    async findByUid(uid: string): Promise<P | undefined> {
      return findLive<P>(db, this.model, 'uid', uid, clock());
    }

    /**
     * Mark the record consumed in one conditional UPDATE, so of two
     * concurrent consumers exactly one succeeds. The other gets
     * AlreadyConsumedError.
     */
    async consume(id: string): Promise<void> {
      const result = await db
        .updateTable('oidc_payloads')
        .set({ consumed_at: clock() })
        .where('model', '=', this.model)
        .where('id', '=', id)
        .where('consumed_at', 'is', null)
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) {
        throw new AlreadyConsumedError(this.model);
      }
    }

    async destroy(id: string): Promise<void> {
      await db.deleteFrom('oidc_payloads').where('model', '=', this.model).where('id', '=', id).execute();
    }

    /** Delete every grant-bound record of the grant, whichever model this adapter serves. */
    async revokeByGrantId(grantId: string): Promise<void> {
      await db.deleteFrom('oidc_payloads').where('grant_id', '=', grantId).execute();
    }
  };
}

/** Delete the records that expired at or before `now` (epoch ms) and return how many. */
export async function deleteExpired(store: Store, now: number): Promise<number> {
  const result = await store.db.deleteFrom('oidc_payloads').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}

async function findLive<P>(
  db: Kysely<DatabaseSchema>,
  model: string,
  column: 'id' | 'user_code' | 'uid',
  value: string,
  now: number,
): Promise<P | undefined> {
  const row = await db
    .selectFrom('oidc_payloads')
    .selectAll()
    .where('model', '=', model)
    .where(column, '=', value)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .executeTakeFirst();
  return row === undefined ? undefined : toPayload<P>(row);
}

/** Parse a stored payload. The consumed_at column, not the stored JSON, decides whether it is consumed. */
function toPayload<P>(row: Selectable<OidcPayloadsTable>): P {
  const payload = JSON.parse(row.payload) as Record<string, unknown>;
  delete payload.consumed;
  if (row.consumed_at !== null) {
    payload.consumed = Math.floor(row.consumed_at / 1000);
  }
  return payload as P;
}

function consumedAt(consumed: unknown, now: number): number | null {
  if (typeof consumed === 'number') {
    return Math.floor(consumed * 1000);
  }
  return consumed ? now : null;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
