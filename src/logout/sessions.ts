import type { Kysely } from 'kysely';
import { withTransaction, type Store } from '../storage/database.js';
import type { DatabaseSchema } from '../storage/schema.js';
import { insertLogouts } from './queue-store.js';
import type { LogoutReason, LogoutTarget } from './types.js';

type Db = Kysely<DatabaseSchema>;

/** oidc-provider's model name for SSO sessions in oidc_payloads. */
const SESSION_MODEL = 'Session';

/** Sessions read per query: bounds the IN list and the rows held in memory. */
const SESSION_BATCH = 500;

/**
 * The fields of a stored oidc-provider 9 Session that the logout needs: the
 * person, and one authorization per service signed in through the session,
 * each with the sid that service saw in its ID token.
 */
interface StoredSession {
  accountId?: unknown;
  authorizations?: Record<string, { sid?: unknown } | undefined>;
}

/**
 * Queue a back-channel logout to every service, signed in through one of the
 * given sessions, that registers a back-channel logout URI. `sessionIds` are
 * the ids of Session rows in oidc_payloads. Call it in the transaction that
 * deletes those rows, before the delete. Returns how many deliveries were queued.
 */
export async function enqueueLogoutForSessions(
  db: Db,
  sessionIds: readonly string[],
  reason: LogoutReason,
  now: number = Date.now(),
): Promise<number> {
  let queued = 0;
  for (let start = 0; start < sessionIds.length; start += SESSION_BATCH) {
    const rows = await db
      .selectFrom('oidc_payloads')
      .select('payload')
      .where('model', '=', SESSION_MODEL)
      .where('id', 'in', sessionIds.slice(start, start + SESSION_BATCH))
      .execute();
    const targets = rows.flatMap((row) => sessionTargets(JSON.parse(row.payload) as StoredSession));
    queued += await enqueueLogoutForTargets(db, targets, reason, now);
  }
  return queued;
}

/**
 * A person's sessions that have already ended, as the sessions-ended hook of
 * src/sessions reports them, reduced to what a logout needs.
 */
export interface EndedSessions {
  personId: string;
  /** idle_timeout and expired count as expiry; any other reason as revocation. */
  reason: string;
  sessions: ReadonlyArray<{ clients: ReadonlyArray<{ clientId: string; sid: string | undefined }> }>;
}

/** Queue a back-channel logout to every service of the ended sessions that registers a URI. Returns how many were queued. */
export async function enqueueLogoutForEndedSessions(db: Db, ended: EndedSessions, now: number = Date.now()): Promise<number> {
  const targets = ended.sessions.flatMap((session) =>
    session.clients.flatMap((client) =>
      client.sid === undefined ? [] : [{ clientId: client.clientId, sub: ended.personId, sid: client.sid }],
    ),
  );
  const reason: LogoutReason = ended.reason === 'idle_timeout' || ended.reason === 'expired' ? 'expired' : 'revoked';
  return enqueueLogoutForTargets(db, targets, reason, now);
}

/** Queue the targets whose service registers a back-channel logout URI, and return how many were queued. */
async function enqueueLogoutForTargets(db: Db, targets: readonly LogoutTarget[], reason: LogoutReason, now: number): Promise<number> {
  return insertLogouts(db, await withBackchannelUri(db, targets), reason, now);
}

/**
 * End the sessions that expired at or before `now` (epoch ms): in one
 * transaction per batch, queue their back-channel logouts and delete them.
 * Returns how many sessions were deleted and how many deliveries were queued.
 */
export async function endExpiredSessions(store: Store, now: number): Promise<{ sessions: number; logouts: number }> {
  const totals = { sessions: 0, logouts: 0 };
  for (;;) {
    const batch = await withTransaction(store, async (trx) => {
      const expired = await trx
        .selectFrom('oidc_payloads')
        .select('id')
        .where('model', '=', SESSION_MODEL)
        .where('expires_at', '<=', now)
        .limit(SESSION_BATCH)
        .execute();
      const ids = expired.map((row) => row.id);
      if (ids.length === 0) {
        return { sessions: 0, logouts: 0 };
      }
      const logouts = await enqueueLogoutForSessions(trx, ids, 'expired', now);
      await trx.deleteFrom('oidc_payloads').where('model', '=', SESSION_MODEL).where('id', 'in', ids).execute();
      return { sessions: ids.length, logouts };
    });
    totals.sessions += batch.sessions;
    totals.logouts += batch.logouts;
    if (batch.sessions < SESSION_BATCH) {
      return totals;
    }
  }
}

function sessionTargets(session: StoredSession): LogoutTarget[] {
  if (typeof session.accountId !== 'string') {
    return [];
  }
  const sub = session.accountId;
  return Object.entries(session.authorizations ?? {}).flatMap(([clientId, authorization]) =>
    typeof authorization?.sid === 'string' ? [{ clientId, sub, sid: authorization.sid }] : [],
  );
}

/** Keep the targets whose service registers a back-channel logout URI. */
async function withBackchannelUri(db: Db, targets: readonly LogoutTarget[]): Promise<LogoutTarget[]> {
  const clientIds = [...new Set(targets.map((target) => target.clientId))];
  if (clientIds.length === 0) {
    return [];
  }
  const services = await db
    .selectFrom('services')
    .select('client_id')
    .where('client_id', 'in', clientIds)
    .where('backchannel_logout_uri', 'is not', null)
    .execute();
  const registered = new Set(services.map((service) => service.client_id));
  return targets.filter((target) => registered.has(target.clientId));
}
