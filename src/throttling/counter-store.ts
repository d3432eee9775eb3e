import type { ThrottlePolicy } from './policies.js';

/** Result of counting one attempt. */
export interface CounterHit {
  /** False when the key was still delayed; a rejected attempt is not counted. */
  allowed: boolean;
  /** Epoch ms before which the next attempt is rejected; 0 when none is. */
  blockedUntil: number;
}

/** A counter as `read` finds it. */
export interface CounterState {
  /** Failures counted in the counter's window. */
  failures: number;
  /** Epoch ms before which the next attempt is rejected; 0 when none is. */
  blockedUntil: number;
}

/**
 * Storage of the counters: the database or Redis. Every method is one atomic
 * operation on one key, so parallel requests on any number of nodes cannot
 * both read a count and then both write it.
 */
export interface CounterStore {
  /**
   * Count one attempt, unless the key is delayed at `now`. Counting and the
   * check happen in the same atomic step, before the secret is verified.
   * `attemptId` is a random id that `undo` later names. With
   * `countWhileDelayed`, a failure reported after the check counts even
   * while the key is delayed, and extends the delay.
   */
  hit(key: string, policy: ThrottlePolicy, now: number, attemptId: string, countWhileDelayed?: boolean): Promise<CounterHit>;
  /**
   * Take back one counted attempt. When no other attempt was let through
   * since `attemptId`, the delay from before it comes back too.
   */
  undo(key: string, attemptId: string, now: number): Promise<void>;
  /**
   * The live state of each key, in the order of `keys`, in one round trip.
   * A key without a counter, or whose counter expired, reads as
   * `{ failures: 0, blockedUntil: 0 }`. Reads only.
   */
  read(keys: readonly string[], now: number): Promise<CounterState[]>;
  /** Forget the key's failures. */
  reset(key: string): Promise<void>;
  close(): Promise<void>;
}
