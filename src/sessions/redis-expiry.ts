import type { Logger } from 'pino';
import type { ExpiredSession } from '../storage/redis/oidc-storage.js';
import type { SessionEvents } from './events.js';
import { endedSession, signedInSession } from './session-payload.js';

/**
 * How often each node looks for expired sessions in Redis. A session record
 * outlives its expiry by SESSION_SWEEP_GRACE_MS (10 minutes), so a sweep
 * finds it even when every node missed a few runs.
 */
export const SWEEP_INTERVAL_MS = 60_000;

/** Sessions taken per call: bounds the time of one Redis script and the payloads held in memory. */
const SWEEP_BATCH = 500;

export type TakeExpiredSessions = (now: number, limit: number) => Promise<ExpiredSession[]>;

export interface ExpiredSessionSweepDeps {
  take: TakeExpiredSessions;
  events: SessionEvents;
  logger: Logger;
  intervalMs?: number;
  /** Epoch milliseconds; tests pass a fake clock. */
  clock?: () => number;
}

export interface ExpiredSessionSweep {
  /** Take every session expired by now and report it. Returns how many signed-in sessions ended. */
  runOnce(): Promise<number>;
  stop(): void;
}

/**
 * End the sessions kept in Redis once they expire, as the database's
 * housekeeping does for sessions kept there (src/logout/sessions.ts). Redis
 * hands each expired session to one node, which reports it to the
 * sessions-ended listeners with the reason `expired`, so its services get a
 * back-channel logout. The timer does not keep the process alive.
 */
export function startExpiredSessionSweep(deps: ExpiredSessionSweepDeps): ExpiredSessionSweep {
  const clock = deps.clock ?? Date.now;

  const report = async (session: ExpiredSession): Promise<boolean> => {
    const signedIn = signedInSession(session.payload);
    if (signedIn === undefined) {
      return false;
    }
    await deps.events.emitSessionsEnded({
      personId: signedIn.accountId,
      reason: 'expired',
      sessions: [endedSession(signedIn.uid, session.payload)],
      revokedGrantIds: [],
    });
    return true;
  };

  const runOnce = async (): Promise<number> => {
    let ended = 0;
    for (;;) {
      const batch = await deps.take(clock(), SWEEP_BATCH);
      for (const session of batch) {
        ended += (await report(session)) ? 1 : 0;
      }
      if (batch.length < SWEEP_BATCH) {
        return ended;
      }
    }
  };

  const timer = setInterval(() => {
    runOnce().then(
      (ended) => deps.logger.debug({ ended }, 'expired sessions in Redis swept'),
      (error: unknown) => deps.logger.error({ err: error }, 'sweeping expired sessions in Redis failed; will retry'),
    );
  }, deps.intervalMs ?? SWEEP_INTERVAL_MS);
  timer.unref();
  return { runOnce, stop: () => clearInterval(timer) };
}
