import type { Config } from '../config/load.js';

/**
 * Scopes of the counters. `login.*` count failed passwords at the login form.
 * `client.*` count failed client authentications at the endpoints that check
 * a client secret, and `client.grant` counts rejected codes and refresh
 * tokens of a service that did authenticate.
 */
export const THROTTLE_SCOPES = ['login.account', 'login.ip', 'login.network', 'client.secret', 'client.ip', 'client.network', 'client.grant'] as const;
export type ThrottleScope = (typeof THROTTLE_SCOPES)[number];

/**
 * Rules by which one scope's counters turn failures into waits. The first `freeFailures`
 * failures cost nothing; failure `freeFailures + k` (k ≥ 1) makes the next
 * attempt wait `firstDelayMs · 2^(k−1)`, at most `maxDelayMs`.
 */
export interface ThrottlePolicy {
  freeFailures: number;
  firstDelayMs: number;
  maxDelayMs: number;
  /** Lifetime of a counter, counted from its last failure (sliding) or from its first. */
  windowMs: number;
  slidingWindow: boolean;
  /** True: a success deletes the counter. False: a success only takes back its own reservation. */
  resetOnSuccess: boolean;
  /**
   * True: `reserve` counts the attempt as a failure before the secret is
   * checked, so a parallel burst cannot pass more than the free failures and
   * one more. It also limits parallel attempts that all succeed to that number.
   * False: `reserve` only checks for a running delay, and the failure is counted
   * when reported.
   */
  countBeforeCheck: boolean;
}

/** Number of doublings after which the wait reaches `maxDelayMs`. */
export function doublingsToCap(policy: Pick<ThrottlePolicy, 'firstDelayMs' | 'maxDelayMs'>): number {
  let doublings = 0;
  while (policy.firstDelayMs * 2 ** doublings < policy.maxDelayMs) {
    doublings += 1;
  }
  return doublings;
}

/** Wait in milliseconds that `failures` consecutive failures impose; 0 while they are free. */
export function delayAfterFailures(failures: number, policy: ThrottlePolicy): number {
  if (failures <= policy.freeFailures) {
    return 0;
  }
  const doublings = failures - policy.freeFailures - 1;
  return doublings >= doublingsToCap(policy) ? policy.maxDelayMs : policy.firstDelayMs * 2 ** doublings;
}

/**
 * The policies of every scope from the configuration. Accounts and client
 * secrets keep their failures until a success or a quiet PROPUSK_THROTTLE_ACCOUNT_RESET,
 * so an attacker who paces the guesses never gets back to free attempts.
 * Addresses, networks and grant failures use a fixed window instead: a school
 * behind one NAT address must not stay delayed all day because some pupils
 * keep mistyping.
 * The login counters count before the check. The client counters count
 * after it (decision 0013): services send many parallel requests with their
 * correct secrets, and their secrets, codes and refresh tokens are random
 * strings of 32 characters or more that no burst can guess.
 * NOTE: login addresses and networks are counted before the check, so more
 * parallel logins from one address than its free failures get 429 responses
 * while they are in flight, even when they all succeed.
 */
export function policiesFromConfig(config: Config): Record<ThrottleScope, ThrottlePolicy> {
  const settings = config.throttle;
  const delays = { firstDelayMs: settings.firstDelay * 1000, maxDelayMs: settings.maxDelay * 1000 };
  const perAccount = { ...delays, windowMs: settings.accountReset * 1000, slidingWindow: true, resetOnSuccess: true, countBeforeCheck: true };
  const perWindow = { ...delays, windowMs: settings.ipWindow * 1000, slidingWindow: false, resetOnSuccess: false, countBeforeCheck: true };
  return {
    'login.account': { ...perAccount, freeFailures: settings.accountFreeFailures },
    'login.ip': { ...perWindow, freeFailures: settings.ipFreeFailures },
    'login.network': { ...perWindow, freeFailures: settings.networkFreeFailures },
    // A service sends many parallel requests with its correct secret, which counting before the check would
    // turn into 429 responses. The check only looks for a running delay, and a failure counts when it happens.
    'client.secret': { ...perAccount, freeFailures: settings.clientFreeFailures, countBeforeCheck: false },
    'client.ip': { ...perWindow, freeFailures: settings.ipFreeFailures, countBeforeCheck: false },
    'client.network': { ...perWindow, freeFailures: settings.networkFreeFailures, countBeforeCheck: false },
    'client.grant': { ...perWindow, freeFailures: settings.clientGrantFreeFailures, countBeforeCheck: false },
  };
}
