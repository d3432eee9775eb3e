import { createHmac, randomUUID } from 'node:crypto';
import { createKeyCache } from './key-cache.js';
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
   * client secrets; skipped when the key read as having no failures) and
   * takes this reservation back from the others (addresses, networks),
   * which count failures only.
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
 * On keys whose policy has `countBeforeCheck`, `reserve` counts the attempt as
 * a failure before the secret is checked, atomically per key, so parallel
 * attempts cannot all pass one check. The other keys are only read for a
 * running delay, all of them in one round trip. Their failures are counted
 * when reported, and a success on them writes nothing unless a counter exists.
 * NOTE: sending a new one-time code must never reset a failure count; only a
 * correct code (`record('success')`) does, or a quiet window.
 */
export interface Throttle {
  reserve(keys: readonly ThrottleKey[]): Promise<Reservation>;
  /**
   * Reserve several groups of keys in one step, each settled on its own: the
   * token endpoint's client authentication and its code or refresh token.
   * When any key is delayed, nothing is counted and the whole request is rejected.
   */
  reserveGroups(groups: ReadonlyArray<readonly ThrottleKey[]>): Promise<GroupReservation>;
  close(): Promise<void>;
}

export type GroupReservation = { allowed: true; attempts: AllowedAttempt[] } | RejectedAttempt;

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
  /** Failures the key had when it was read; set only for keys counted after the check. */
  failuresBefore?: number;
}

export function createThrottle(options: ThrottleOptions): Throttle {
  const { store, policies } = options;
  const now = options.now ?? Date.now;
  // Counter keys are HMACs, so a copy of the table or of Redis lists no phone, e-mail or СНИЛС.
  const hmacKey = (name: string, scope: ThrottleScope): string => `${scope}:${createHmac('sha256', options.secret).update(name).digest('base64url')}`;
  // Client ids and addresses come back on every request of a service, so their HMACs are kept. A
  // person's login reading is not kept in memory after its request.
  const keyCache = createKeyCache();
  const storedKey = (key: ThrottleKey): string => {
    const name = `${key.scope}\n${key.id}`;
    return key.scope === 'login.account' ? hmacKey(name, key.scope) : keyCache.get(name, () => hmacKey(name, key.scope));
  };

  const undoAll = (keys: readonly CountedKey[]) =>
    Promise.all(keys.filter((key) => key.policy.countBeforeCheck).map((key) => store.undo(key.storedKey, key.attemptId, now()))).then(() => undefined);

  /** Count the attempt on every key whose policy counts before the check. When the store fails on one, the counted ones are taken back and the error is raised: no attempt goes through unthrottled. */
  const countAll = async (keys: readonly CountedKey[], at: number): Promise<CounterHit[]> => {
    const outcomes = await Promise.allSettled(keys.map((key) => store.hit(key.storedKey, key.policy, at, key.attemptId)));
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failed === undefined) {
      return outcomes.map((outcome) => (outcome as PromiseFulfilledResult<CounterHit>).value);
    }
    const counted = keys.filter((_key, index) => {
      const outcome = outcomes[index];
      return outcome?.status === 'fulfilled' && outcome.value.allowed;
    });
    // The store's first error is the one raised and logged by the request; a second one from the undo adds nothing.
    await undoAll(counted).catch(() => undefined);
    throw failed.reason;
  };

  /** The store operations that report an outcome; an empty list writes nothing. */
  type Operation = () => Promise<unknown>;
  const settlement = (keys: readonly CountedKey[], outcome: AttemptOutcome | 'release'): Operation[] =>
    keys.flatMap((key): Operation[] => {
      if (outcome === 'release') {
        return key.policy.countBeforeCheck ? [() => store.undo(key.storedKey, key.attemptId, now())] : [];
      }
      if (outcome === 'failure') {
        // Keys counted before the check already hold this failure. The others count it now, even if another failure started a delay meanwhile.
        return key.policy.countBeforeCheck ? [] : [() => store.hit(key.storedKey, key.policy, now(), key.attemptId, true)];
      }
      // A key that read as having no failures has no counter to reset. A failure that arrived after the read is reset by the next success.
      if (key.policy.resetOnSuccess && (key.policy.countBeforeCheck || (key.failuresBefore ?? 0) > 0)) {
        return [() => store.reset(key.storedKey)];
      }
      return key.policy.countBeforeCheck ? [() => store.undo(key.storedKey, key.attemptId, now())] : [];
    });

  const allowedAttempt = (keys: readonly CountedKey[]): AllowedAttempt => {
    let settled = false;
    const settleOnce = async (outcome: AttemptOutcome | 'release') => {
      if (settled) {
        return;
      }
      settled = true;
      const operations = settlement(keys, outcome);
      if (operations.length > 0) {
        // Issued together, so SQLite's group commit writes them in one commit.
        await Promise.all(operations.map((operation) => operation()));
      }
    };
    return { allowed: true, record: (outcome) => settleOnce(outcome), release: () => settleOnce('release') };
  };

  const rejection = (rejected: ReadonlyArray<{ scope: ThrottleScope; blockedUntil: number }>, at: number): RejectedAttempt => {
    const until = Math.max(...rejected.map((entry) => entry.blockedUntil));
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((until - at) / 1000)), scopes: rejected.map((entry) => entry.scope) };
  };

  const reserveGroups = async (groups: ReadonlyArray<readonly ThrottleKey[]>): Promise<GroupReservation> => {
    const checkedGroups = groups.map((keys) =>
      uniqueKeys(keys).map((key): CountedKey => ({
        scope: key.scope,
        storedKey: storedKey(key),
        policy: policies[key.scope],
        attemptId: randomUUID(),
      })),
    );
    const all = checkedGroups.flat();
    const at = now();

    // Keys counted after the check: one read for all of them, and a running delay rejects before anything is counted.
    const readOnly = all.filter((key) => !key.policy.countBeforeCheck);
    const states = readOnly.length === 0 ? [] : await store.read(readOnly.map((key) => key.storedKey), at);
    const delayed = readOnly.flatMap((key, index) => {
      const state = states[index] ?? { failures: 0, blockedUntil: 0 };
      key.failuresBefore = state.failures;
      return state.blockedUntil > at ? [{ scope: key.scope, blockedUntil: state.blockedUntil }] : [];
    });
    if (delayed.length > 0) {
      return rejection(delayed, at);
    }

    const counting = all.filter((key) => key.policy.countBeforeCheck);
    if (counting.length > 0) {
      const hits = await countAll(counting, at);
      if (hits.some((hit) => !hit.allowed)) {
        // A rejected attempt checks no secret, so it must not count on the keys that let it through.
        await undoAll(counting.filter((_key, index) => hits[index]?.allowed === true));
      }
      const rejected = hits.flatMap((hit, index) => (hit.allowed ? [] : [{ scope: (counting[index] as CountedKey).scope, blockedUntil: hit.blockedUntil }]));
      if (rejected.length > 0) {
        return rejection(rejected, at);
      }
    }
    return { allowed: true, attempts: checkedGroups.map(allowedAttempt) };
  };

  return {
    async reserve(keys) {
      const reservation = await reserveGroups([keys]);
      return reservation.allowed ? (reservation.attempts[0] as AllowedAttempt) : reservation;
    },
    reserveGroups,
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
