import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { OverloadedError } from '../../errors/index.js';
import { createServiceTimeAverage, expectedWaitMs, retryAfterSeconds } from './hash-admission.js';
import type { HashJob, HashWorkerData } from './hash-protocol.js';
import { HashThread } from './hash-thread.js';
import { PASSWORD_HASH_PARAMETERS, type HashJobOptions } from './hash.js';

/** Minimum interval between two overload log lines. The line counts the rejections since the previous one. */
const OVERLOAD_LOG_INTERVAL_MS = 10_000;

export interface HashPoolStats {
  threads: number;
  /** Threads running a job now. */
  busy: number;
  /** Jobs waiting for a thread. */
  queued: number;
  /** Expected wait of a job submitted now, in milliseconds. */
  expectedWaitMs: number;
  /** Jobs rejected with OverloadedError since the pool started. */
  rejectedTotal: number;
  /** Jobs that returned a result since the pool started. */
  completedTotal: number;
}

/**
 * A fixed set of worker threads that run argon2id with @node-rs/argon2's
 * synchronous functions, and one queue in front of them. A job with `reject`
 * admission whose expected wait exceeds `maxWaitMs` fails at once with
 * OverloadedError instead of joining the queue.
 */
export interface HashPool {
  /** Hash an already normalised password with PASSWORD_HASH_PARAMETERS; returns a PHC string. */
  hash(password: string, options?: HashJobOptions): Promise<string>;
  /** Verify an already normalised password against a PHC string; rejects when the string is not an argon2 hash. */
  verify(storedHash: string, password: string, options?: HashJobOptions): Promise<boolean>;
  /** Raise OverloadedError when a job with `reject` admission would be rejected now. */
  checkAdmission(): void;
  stats(): HashPoolStats;
  /** Reject the queued jobs and jobs in flight, and terminate the workers. */
  close(): Promise<void>;
}

export interface HashPoolOptions {
  threads: number;
  maxWaitMs: number;
  logger: Logger;
  /** Start one worker; tests replace it to watch or break workers. Defaults to spawnHashWorker. */
  spawnWorker?: () => Worker;
}

/** Start a worker running hash-worker.mjs. It needs no TypeScript loader, so it gets no execArgv. */
export function spawnHashWorker(): Worker {
  const workerData: HashWorkerData = { parameters: { ...PASSWORD_HASH_PARAMETERS } };
  return new Worker(new URL('./hash-worker.mjs', import.meta.url), { workerData, execArgv: [], name: 'propusk-password-hash' });
}

interface QueuedJob {
  job: HashJob;
  resolve(value: string | boolean): void;
  reject(error: Error): void;
}

/** Start the pool's workers now; jobs queue until the first worker is ready. */
export function createHashPool(options: HashPoolOptions): HashPool {
  const { logger, maxWaitMs } = options;
  const average = createServiceTimeAverage();
  const queue: QueuedJob[] = [];
  let closed = false;
  let rejectedTotal = 0;
  let completedTotal = 0;
  let lastOverloadLogAt = Number.NEGATIVE_INFINITY;
  let rejectedSinceLog = 0;

  const events = {
    onIdle: () => dispatch(),
    // A worker that died while starting suggests the others cannot start either;
    // unless one is running, fail the queued jobs instead of letting them hang.
    onStartFailed: (error: Error) => {
      if (!threads.some((thread) => thread.started)) {
        queue.splice(0).forEach((queued) => queued.reject(error));
      }
    },
  };
  const threads = Array.from({ length: options.threads }, () => new HashThread(options.spawnWorker ?? spawnHashWorker, logger, events));

  function dispatch(): void {
    for (const thread of threads) {
      const next = thread.idle ? queue.shift() : undefined;
      if (next !== undefined) {
        runOn(thread, next);
      }
    }
  }

  function runOn(thread: HashThread, queued: QueuedJob): void {
    const startedAt = performance.now();
    thread.run(queued.job).then(
      (value) => {
        completedTotal += 1;
        average.add(performance.now() - startedAt);
        queued.resolve(value);
      },
      (error: Error) => queued.reject(error),
    );
  }

  function currentWaitMs(): number {
    const busy = threads.filter((thread) => thread.busy).length;
    return expectedWaitMs({ threads: threads.length, busy, queued: queue.length }, average.milliseconds);
  }

  function checkAdmission(): void {
    const waitMs = currentWaitMs();
    if (waitMs <= maxWaitMs) {
      return;
    }
    rejectedTotal += 1;
    rejectedSinceLog += 1;
    const now = Date.now();
    if (now - lastOverloadLogAt >= OVERLOAD_LOG_INTERVAL_MS) {
      logger.warn({ rejected: rejectedSinceLog, expectedWaitMs: Math.round(waitMs), maxWaitMs, threads: threads.length, queued: queue.length }, 'password hash pool overloaded: rejecting password checks');
      lastOverloadLogAt = now;
      rejectedSinceLog = 0;
    }
    throw new OverloadedError(retryAfterSeconds(waitMs));
  }

  function submit(job: HashJob, jobOptions: HashJobOptions): Promise<string | boolean> {
    if (closed) {
      return Promise.reject(new Error('password hash pool is closed'));
    }
    try {
      if (jobOptions.admission !== 'wait') {
        checkAdmission();
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      queue.push({ job, resolve, reject });
      dispatch();
    });
  }

  return {
    async hash(password, jobOptions = {}) {
      const value = await submit({ kind: 'hash', password }, jobOptions);
      if (typeof value !== 'string') {
        throw new Error('password hash worker returned no PHC string for a hash job');
      }
      return value;
    },
    async verify(storedHash, password, jobOptions = {}) {
      return (await submit({ kind: 'verify', storedHash, password }, jobOptions)) === true;
    },
    checkAdmission,
    stats() {
      return {
        threads: threads.length,
        busy: threads.filter((thread) => thread.busy).length,
        queued: queue.length,
        expectedWaitMs: currentWaitMs(),
        rejectedTotal,
        completedTotal,
      };
    },
    async close() {
      closed = true;
      queue.splice(0).forEach((queued) => queued.reject(new Error('password hash pool closed before the job started')));
      await Promise.all(threads.map((thread) => thread.terminate()));
    },
  };
}
