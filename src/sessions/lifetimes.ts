import type { Config } from '../config/load.js';
import type { PersonStatus } from '../storage/types.js';

/** Session lifetimes in seconds, from PROPUSK_SESSION_TTL, PROPUSK_SHARED_DEVICE_SESSION_TTL and PROPUSK_SESSION_IDLE_TTL. */
export interface SessionLifetimes {
  absolute: number;
  sharedDeviceAbsolute: number;
  idle: number;
}

export function sessionLifetimes(config: Pick<Config, 'sessionTtl' | 'sharedDeviceSessionTtl' | 'sessionIdleTtl'>): SessionLifetimes {
  return { absolute: config.sessionTtl, sharedDeviceAbsolute: config.sharedDeviceSessionTtl, idle: config.sessionIdleTtl };
}

/** Milliseconds from authentication to the forced end of a session. */
export function absoluteLifetimeMs(lifetimes: SessionLifetimes, sharedDevice: boolean): number {
  return (sharedDevice ? lifetimes.sharedDeviceAbsolute : lifetimes.absolute) * 1000;
}

/** Milliseconds without activity after which a session ends; never longer than its absolute lifetime. */
export function idleLifetimeMs(lifetimes: SessionLifetimes, sharedDevice: boolean): number {
  return Math.min(lifetimes.idle * 1000, absoluteLifetimeMs(lifetimes, sharedDevice));
}

/** The maximum interval between two recorded activities of a session, in milliseconds. */
const MAX_ACTIVITY_WRITE_INTERVAL_MS = 60_000;

/**
 * Return how stale a session's recorded last activity may get before a
 * request of its browser records it again: 1/60 of the idle timeout, at most
 * a minute. Requests in between record nothing, which saves a database
 * write on most requests.
 * The recorded time then lags the real one by less than this interval, so an
 * idle session ends at most this much early, never late.
 */
export function activityWriteIntervalMs(lifetimes: SessionLifetimes, sharedDevice: boolean): number {
  return Math.min(MAX_ACTIVITY_WRITE_INTERVAL_MS, idleLifetimeMs(lifetimes, sharedDevice) / 60);
}

/**
 * Return the seconds left until the absolute end of a session, for
 * oidc-provider's `ttl.Session`. The provider saves a session on each request
 * with a fresh TTL, so a fixed TTL would slide. Counting from the login time
 * keeps the end fixed. `loginTs` is oidc-provider's login time in epoch
 * seconds, and a session without one (nobody signed in yet) gets the whole
 * lifetime. The result is at least 1, because the provider rejects a TTL
 * that is not positive.
 */
export function remainingSessionSeconds(
  lifetimes: SessionLifetimes,
  session: { loginTs?: number | undefined; transient?: boolean | undefined },
  nowMs: number,
): number {
  const lifetimeMs = absoluteLifetimeMs(lifetimes, session.transient === true);
  if (session.loginTs === undefined) {
    return lifetimeMs / 1000;
  }
  const endMs = session.loginTs * 1000 + lifetimeMs;
  return Math.max(1, Math.ceil((endMs - nowMs) / 1000));
}

export type SessionVerdict = 'valid' | 'idle' | 'expired' | 'blocked' | 'untracked';

/** Stored facts about a signed-in session; times are epoch milliseconds. */
export interface SessionFacts {
  authenticatedAt: number;
  lastActiveAt: number;
  sharedDevice: boolean;
  personStatus: PersonStatus;
}

/**
 * Decide whether a signed-in session may still be used. A session with no
 * activity row (`untracked`) is refused, so a session the server cannot
 * judge fails closed. `checkIdle` is false for lookups that are not the
 * person's browser (a service using its tokens), which must not end a
 * session for inactivity nor count as activity.
 */
export function judgeSession(facts: SessionFacts | undefined, lifetimes: SessionLifetimes, nowMs: number, checkIdle: boolean): SessionVerdict {
  if (facts === undefined) {
    return 'untracked';
  }
  if (facts.personStatus !== 'active') {
    return 'blocked';
  }
  if (nowMs - facts.authenticatedAt >= absoluteLifetimeMs(lifetimes, facts.sharedDevice)) {
    return 'expired';
  }
  if (checkIdle && nowMs - facts.lastActiveAt >= idleLifetimeMs(lifetimes, facts.sharedDevice)) {
    return 'idle';
  }
  return 'valid';
}
