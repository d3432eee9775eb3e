import { createHmac, randomBytes } from 'node:crypto';
import type { CounterHit, CounterStore } from './counter-store.js';
import type { ThrottlePolicy, ThrottleScope } from './policies.js';

/** One thing whose failures are counted: a login reading, an address, a client id. */
export interface ThrottleKey {
  scope: ThrottleScope;
  /** The identifier in its normalised form; it is stored only as an HMAC. */
  id: string;
}

export type AttemptOutcome = 'success' | 'failure';

/** A reserved attempt: the secret may be checked now, and the outcome must be reported once. */
export interface AllowedAttempt {
  allowed: true;
  /**
   * Report the outcome. A failure keeps the count that `reserve` added, or is
   * counted now on keys whose policy does not count before the check. A
   * success deletes the counters whose policy resets on success (accounts,
   * client secrets) and takes this reservation back from the others
   * (addresses, networks), which count failures only.
   */
  record(outcome: AttemptOutcome): Promise<void>;
  /** Take the reservation back without an outcome: no secret was checked. */
  release(): Promise<void>;
}

export interface RejectedAttempt {
  allowed: false;
  /** Whole seconds until the longest of the delays that rejected it ends, at least 1. */
  retryAfterSeconds: number;
  /** Scopes whose delay rejected the attempt, for logs and the audit. */
  scopes: ThrottleScope[];
}

export type Reservation = AllowedAttempt | RejectedAttempt;

/**
 * Check-and-count for every path that checks a guessable secret: passwords,
 * client secrets, codes and refresh tokens, and one-time codes of later flows.
 * `reserve` counts the attempt as a failure before the secret is checked,
 * atomically per key, so parallel attempts cannot all pass one check. Keys
 * whose policy has `countBeforeCheck: false` are only checked for a running
 * delay there, and counted when the failure is reported.
 * NOTE: sending a new one-time code must never reset a failure count; only a
 * correct code (`record('success')`) does, or a quiet window.
 */
export interface Throttle {
  reserve(keys: readonly ThrottleKey[]): Promise<Reservation>;
  close(): Promise<void>;
}

export interface ThrottleOptions {
  store: CounterStore;
  policies: Readonly<Record<ThrottleScope, ThrottlePolicy>>;
  /** Key of the HMAC that turns identifiers into counter keys. */
  secret: Buffer;
  now?: () => number;
}

interface CountedKey {
  scope: ThrottleScope;
  storedKey: string;
  policy: ThrottlePolicy;
  attemptId: string;
}

export function createThrottle(options: ThrottleOptions): Throttle {
  const { store, policies } = options;
  const now = options.now ?? Date.now;
  // Counter keys are HMACs, so a copy of the table or of Redis lists no phone, e-mail or СНИЛС.
  const storedKey = (key: ThrottleKey): string =>
    `${key.scope}:${createHmac('sha256', options.secret).update(`${key.scope}\n${key.id}`).digest('base64url')}`;

  // One request's operations on all its keys share one commit where the store supports it.
  const batched = <T>(fn: (counters: CounterStore) => Promise<T>): Promise<T> => (store.batch === undefined ? fn(store) : store.batch(fn));

  const undoAll = (counters: CounterStore, keys: readonly CountedKey[]) =>
    Promise.all(keys.filter((key) => key.policy.countBeforeCheck).map((key) => counters.undo(key.storedKey, key.attemptId, now()))).then(() => undefined);

  /** Count the attempt on a key whose policy counts before the check, or only look for a running delay. */
  const check = async (counters: CounterStore, key: CountedKey, at: number): Promise<CounterHit> => {
    if (key.policy.countBeforeCheck) {
      return counters.hit(key.storedKey, key.policy, at, key.attemptId);
    }
    const blockedUntil = await counters.blockedUntil(key.storedKey, at);
    return { allowed: blockedUntil <= at, blockedUntil };
  };

  /** Check every key. When the store fails on one, the counted ones are taken back and the error is raised: no attempt goes through unthrottled. */
  const checkAll = async (counters: CounterStore, keys: readonly CountedKey[], at: number): Promise<CounterHit[]> => {
    const outcomes = await Promise.allSettled(keys.map((key) => check(counters, key, at)));
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failed === undefined) {
      return outcomes.map((outcome) => (outcome as PromiseFulfilledResult<CounterHit>).value);
    }
    const counted = keys.filter((_key, index) => {
      const outcome = outcomes[index];
      return outcome?.status === 'fulfilled' && outcome.value.allowed;
    });
    // The store's first error is the one raised and logged by the request; a second one from the undo adds nothing.
    await undoAll(counters, counted).catch(() => undefined);
    throw failed.reason;
  };

  const settle = (counters: CounterStore, keys: readonly CountedKey[], outcome: AttemptOutcome): Promise<unknown> => {
    if (outcome === 'failure') {
      // Keys counted before the check already hold this failure.
      return Promise.all(keys.filter((key) => !key.policy.countBeforeCheck).map((key) => counters.hit(key.storedKey, key.policy, now(), key.attemptId)));
    }
    return Promise.all(
      keys.map((key) => {
        if (key.policy.resetOnSuccess) {
          return counters.reset(key.storedKey);
        }
        return key.policy.countBeforeCheck ? counters.undo(key.storedKey, key.attemptId, now()) : undefined;
      }),
    );
  };

  return {
    async reserve(keys) {
      const checked = uniqueKeys(keys).map((key) => ({
        scope: key.scope,
        storedKey: storedKey(key),
        policy: policies[key.scope],
        attemptId: randomBytes(12).toString('base64url'),
      }));
      const at = now();
      const hits = await batched(async (counters) => {
        const checkedHits = await checkAll(counters, checked, at);
        if (checkedHits.some((hit) => !hit.allowed)) {
          // A rejected attempt checks no secret, so it must not count on the keys that let it through.
          await undoAll(counters, checked.filter((_key, index) => checkedHits[index]?.allowed === true));
        }
        return checkedHits;
      });

      const rejected = hits.flatMap((hit, index) => (hit.allowed ? [] : [{ hit, key: checked[index] as CountedKey }]));
      if (rejected.length > 0) {
        const until = Math.max(...rejected.map((entry) => entry.hit.blockedUntil));
        return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((until - at) / 1000)), scopes: rejected.map((entry) => entry.key.scope) };
      }

      let settled = false;
      const settleOnce = async (action: () => Promise<unknown>) => {
        if (!settled) {
          settled = true;
          await action();
        }
      };
      return {
        allowed: true,
        record: (outcome) => settleOnce(() => batched((counters) => settle(counters, checked, outcome))),
        release: () => settleOnce(() => batched((counters) => undoAll(counters, checked))),
      };
    },
    close: () => store.close(),
  };
}

/** The same key twice (a reading repeated) must count once. */
function uniqueKeys(keys: readonly ThrottleKey[]): ThrottleKey[] {
  const seen = new Set<string>();
  return keys.filter((key) => {
    const name = `${key.scope}\n${key.id}`;
    if (seen.has(name)) {
      return false;
    }
    seen.add(name);
    return true;
  });
}
