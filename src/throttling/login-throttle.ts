import type { Logger } from 'pino';
import type { AuditContext, AuditLog } from '../audit/events.js';
import type { AuthenticationResult } from '../identity/authenticate.js';
import { readLoginIdentifier, type LoginIdentifierCandidate } from '../identity/identifiers/parse.js';
import { canonicalIp, networkOf } from './network.js';
import { createRepeatFilter } from './repeat-filter.js';
import type { Throttle, ThrottleKey } from './throttle.js';

export type ThrottledAuthentication = AuthenticationResult | { outcome: 'throttled'; retryAfterSeconds: number };

export interface LoginAttempt {
  /** The login as typed. */
  identifier: string;
  clientId: string;
  ip: string;
  context: AuditContext;
}

export interface LoginThrottle {
  /**
   * Reserve the attempt on every reading of the identifier, the client address
   * and its network, then run `verify` (the password check) only when no
   * delay is running, and count its outcome. While delayed, `verify` is not
   * called at all, so a correct password does not log in either.
   */
  authenticate(attempt: LoginAttempt, verify: () => Promise<AuthenticationResult>): Promise<ThrottledAuthentication>;
}

export interface LoginThrottleDeps {
  throttle: Throttle;
  logger: Logger;
  audit?: AuditLog;
  now?: () => number;
}

/**
 * List the counters one login attempt is charged to. The account keys are the
 * normalised readings (E.164 phone, e-mail comparison form, 11-digit СНИЛС),
 * whether or not an account has them, so a delay reveals nothing about which
 * identifiers exist.
 */
export function loginThrottleKeys(readings: readonly LoginIdentifierCandidate[], ip: string): ThrottleKey[] {
  return [
    ...readings.map((reading): ThrottleKey => ({ scope: 'login.account', id: `${reading.kind}:${reading.value}` })),
    { scope: 'login.ip', id: canonicalIp(ip) },
    { scope: 'login.network', id: networkOf(ip) },
  ];
}

export function createLoginThrottle(deps: LoginThrottleDeps): LoginThrottle {
  const now = deps.now ?? Date.now;
  const repeats = createRepeatFilter();

  return {
    async authenticate(attempt, verify) {
      const readings = readLoginIdentifier(attempt.identifier);
      if (readings.length === 0) {
        // Input that is no identifier is rejected without checking any password.
        return verify();
      }

      const reservation = await deps.throttle.reserve(loginThrottleKeys(readings, attempt.ip));
      if (!reservation.allowed) {
        const subject = `${readings.map((reading) => reading.value).join(',')}|${canonicalIp(attempt.ip)}`;
        const { report, suppressed } = repeats.check(subject, now());
        if (report) {
          const details = { surface: 'login', scopes: reservation.scopes.join(','), retryAfterSeconds: reservation.retryAfterSeconds, suppressedRepeats: suppressed };
          deps.logger.warn({ clientId: attempt.clientId, ip: attempt.ip, ...details }, 'login attempt rejected: failed-attempt delay running');
          await deps.audit?.record({
            type: 'login.throttled',
            clientId: attempt.clientId,
            details: { ...details, identifierKinds: readings.map((reading) => reading.kind).join(',') },
            context: attempt.context,
          });
        }
        return { outcome: 'throttled', retryAfterSeconds: reservation.retryAfterSeconds };
      }

      let result: AuthenticationResult;
      try {
        result = await verify();
      } catch (error) {
        await reservation.release();
        throw error;
      }
      await reservation.record(result.outcome === 'success' ? 'success' : 'failure');
      return result;
    },
  };
}
