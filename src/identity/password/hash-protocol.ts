import type { Options } from '@node-rs/argon2';

/*
 * Messages between the hash pool (hash-pool.ts, hash-thread.ts) and its
 * worker threads (hash-worker.mjs). The worker is plain JavaScript, so these
 * types are its contract: change both sides together.
 */

/** One job. Passwords arrive already normalised (NFKC). */
export type HashJob =
  | { kind: 'hash'; password: string }
  | { kind: 'verify'; storedHash: string; password: string };

export type HashRequest = HashJob & { id: number };

export type HashReply =
  /** Sent once, after the worker has loaded @node-rs/argon2. */
  | { type: 'ready' }
  /** A PHC string for `hash`, whether the password matched for `verify`. */
  | { type: 'result'; id: number; value: string | boolean }
  /** The library raised, for example on a stored string that is not an argon2 hash. */
  | { type: 'failure'; id: number; message: string };

export interface HashWorkerData {
  /** argon2 parameters of every `hash` job. */
  parameters: Options;
}
