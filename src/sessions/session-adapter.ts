import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { OidcAdapter, OidcPayload } from '../storage/oidc-adapter.js';
import type { DatabaseSchema } from '../storage/schema.js';
import { deleteSessionRecords, findSessionActivity, recordSessionActivity, touchSessionActivity, type SessionFacts } from '../storage/session-activity.js';
import type { PersonProfile, SessionState } from '../storage/types.js';
import type { SessionEndReason, SessionEvents } from './events.js';
import { absoluteLifetimeMs, activityWriteIntervalMs, judgeSession, type SessionLifetimes, type SessionVerdict } from './lifetimes.js';
import { endedSession, signedInSession, type SignedInSession } from './session-payload.js';
import { createUnchangedSaves } from './unchanged-saves.js';

export interface SessionGuardDeps {
  db: Kysely<DatabaseSchema>;
  lifetimes: SessionLifetimes;
  events: SessionEvents;
  logger: Logger;
  /** Epoch milliseconds; tests pass a fake clock. */
  clock?: () => number;
  /** Called with the person and state that each check reads along with the session, so that later code in the request can skip reading them. */
  onSessionRead?: (read: { sessionUid: string; person: PersonProfile; sessionState: SessionState | undefined }) => void;
  /** Reads a session's facts for each check; findSessionActivity unless given. The provider passes one that reads a token's grant along. */
  readFacts?: (sessionUid: string, now: number) => Promise<SessionFacts | undefined>;
  /**
   * Reads a Session record by id or uid together with its facts, in place of
   * the wrapped adapter's lookup and readFacts. Given only when sessions are
   * stored in the database.
   */
  readRecord?: SessionRecordReader;
}

/** A reader of a live Session record with the session's facts. It returns undefined when no live record matches. */
export type SessionRecordReader = (column: 'id' | 'uid', value: string, now: number) => Promise<{ payload: OidcPayload; facts: SessionFacts | undefined } | undefined>;

/** The facts a lookup read along with the record, and the time it read them at. */
interface ReadAlong {
  facts: SessionFacts | undefined;
  now: number;
}

export type SessionAdapterGuard = (adapter: OidcAdapter<OidcPayload>) => OidcAdapter<OidcPayload>;

const END_REASONS: Record<Exclude<SessionVerdict, 'valid'>, SessionEndReason> = {
  idle: 'idle_timeout',
  expired: 'expired',
  blocked: 'person_inactive',
  untracked: 'untracked',
};

/**
 * Wrap oidc-provider's storage of the Session model so that the server, not
 * the cookie, decides whether a signed-in session is still alive. Each save
 * records the session's activity. A lookup by session id comes from the
 * person's browser (the session cookie), so it counts as activity and is
 * subject to the idle timeout. A lookup by uid comes from the provider
 * checking a service's token or an interaction, so it checks only the
 * absolute lifetime and the person's status. A session that fails its check
 * is destroyed, and the provider then finds no session: the authorization
 * endpoint asks for a login, `prompt=none` gets login_required, and tokens
 * bound to the session stop working.
 *
 * Neither write happens on every request: a lookup records activity only
 * when the recorded time is older than activityWriteIntervalMs, and a save
 * of an unchanged payload is skipped (see UnchangedSaves).
 */
export function createSessionAdapterGuard(deps: SessionGuardDeps): SessionAdapterGuard {
  const clock = deps.clock ?? Date.now;
  const unchangedSaves = createUnchangedSaves();
  const readFacts = deps.readFacts ?? ((sessionUid: string, now: number) => findSessionActivity(deps.db, sessionUid, now));

  return (inner) => {
    const admit = async (payload: OidcPayload | undefined, fromBrowser: boolean, readAlong?: ReadAlong): Promise<OidcPayload | undefined> => {
      const session = payload === undefined ? undefined : signedInSession(payload);
      if (payload === undefined || session === undefined) {
        return payload;
      }
      const now = readAlong?.now ?? clock();
      const facts = readAlong === undefined ? await readFacts(session.uid, now) : readAlong.facts;
      if (facts !== undefined) {
        deps.onSessionRead?.({ sessionUid: session.uid, person: facts.person, sessionState: facts.sessionState });
      }
      const verdict = judgeSession(facts?.personId === session.accountId ? facts : undefined, deps.lifetimes, now, fromBrowser);
      if (verdict === 'valid') {
        if (fromBrowser && facts !== undefined) {
          if (now - facts.lastActiveAt >= activityWriteIntervalMs(deps.lifetimes, facts.sharedDevice)) {
            await touchSessionActivity(deps.db, session.uid, now);
          }
          unchangedSaves.remember(session.id, payload, now);
        }
        return payload;
      }
      await inner.destroy(session.id);
      await deleteSessionRecords(deps.db, [session.uid]);
      deps.logger.info({ personId: session.accountId, reason: END_REASONS[verdict] }, 'session ended by the server');
      await deps.events.emitSessionsEnded({
        personId: session.accountId,
        reason: END_REASONS[verdict],
        sessions: [endedSession(session.uid, payload)],
        revokedGrantIds: [],
      });
      return undefined;
    };

    const readRecord = deps.readRecord;
    /** Find a session by id (from the browser) or by uid (from a token) and check it. */
    const lookUp = async (column: 'id' | 'uid', value: string, fromBrowser: boolean): Promise<OidcPayload | undefined> => {
      if (readRecord === undefined) {
        return admit(await (column === 'id' ? inner.find(value) : inner.findByUid(value)), fromBrowser);
      }
      const now = clock();
      const record = await readRecord(column, value, now);
      return admit(record?.payload, fromBrowser, { facts: record?.facts, now });
    };

    return {
      async upsert(id, payload, expiresIn) {
        // The lookup at the start of this request recorded the activity, and an unchanged payload keeps its row valid.
        if (unchangedSaves.isUnchanged(id, payload, clock())) {
          return;
        }
        await inner.upsert(id, payload, expiresIn);
        const session = signedInSession({ ...payload, jti: id });
        if (session !== undefined) {
          await recordSessionActivity(deps.db, activityOf(session, deps.lifetimes, clock()));
        }
      },
      find: (id) => lookUp('id', id, true),
      findByUid: (uid) => lookUp('uid', uid, false),
      findByUserCode: (userCode) => inner.findByUserCode(userCode),
      consume: (id) => inner.consume(id),
      destroy: (id) => {
        unchangedSaves.forget(id);
        return inner.destroy(id);
      },
      revokeByGrantId: (grantId) => inner.revokeByGrantId(grantId),
    };
  };
}

/** Build the activity row for a save: the provider saves a session only on a request of its browser, so a save is activity too. */
function activityOf(session: SignedInSession, lifetimes: SessionLifetimes, now: number) {
  const authenticatedAt = session.loginTs === undefined ? now : session.loginTs * 1000;
  return {
    sessionUid: session.uid,
    personId: session.accountId,
    authenticatedAt,
    lastActiveAt: now,
    sharedDevice: session.transient,
    expiresAt: authenticatedAt + absoluteLifetimeMs(lifetimes, session.transient),
  };
}
