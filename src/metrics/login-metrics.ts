import { Counter, type Registry } from 'prom-client';
import { OverloadedError } from '../errors/index.js';
import type { PasswordHasher } from '../identity/password/hash.js';
import type { LoginThrottle } from '../throttling/index.js';
import { METRIC_PREFIX } from './registry.js';

export type LoginOutcome = 'success' | 'failure' | 'throttled' | 'overloaded';

const OUTCOMES: readonly LoginOutcome[] = ['success', 'failure', 'throttled', 'overloaded'];

/**
 * Counters of password logins by outcome. Every checked attempt passes the
 * login flow's throttle. The overload rejection can come before the throttle
 * runs, so it is counted on the login flow's password hasher instead.
 */
export interface LoginMetrics {
  countLogins(throttle: LoginThrottle): LoginThrottle;
  countOverloads(passwords: PasswordHasher): PasswordHasher;
}

export function createLoginMetrics(registry: Registry): LoginMetrics {
  const logins = new Counter({
    name: `${METRIC_PREFIX}logins_total`,
    help: 'Password logins by outcome: success, failure (unknown login or wrong password), throttled (a failed-attempt delay was running), overloaded (rejected with 503 because the password-hash queue was full).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  // Every outcome is exported from the start, so a rate over an outcome that has not happened yet is 0, not missing.
  for (const outcome of OUTCOMES) {
    logins.inc({ outcome }, 0);
  }
  const countOverload = (error: unknown): never => {
    if (error instanceof OverloadedError) {
      logins.inc({ outcome: 'overloaded' });
    }
    throw error;
  };

  return {
    countLogins(throttle) {
      return {
        ...throttle,
        async authenticate(attempt, verify) {
          // A thrown OverloadedError passes through uncounted here: the hasher wrapper has counted it.
          const result = await throttle.authenticate(attempt, verify);
          logins.inc({ outcome: result.outcome === 'success' || result.outcome === 'throttled' ? result.outcome : 'failure' });
          return result;
        },
      };
    },
    countOverloads(passwords) {
      return {
        ...passwords,
        hashPassword: (plain, options) => passwords.hashPassword(plain, options).catch(countOverload),
        verifyPassword: (storedHash, plain, options) => passwords.verifyPassword(storedHash, plain, options).catch(countOverload),
        verifyAgainstDummy: (plain, options) => passwords.verifyAgainstDummy(plain, options).catch(countOverload),
        checkAdmission() {
          try {
            passwords.checkAdmission();
          } catch (error) {
            countOverload(error);
          }
        },
      };
    },
  };
}
