/*
 * Admission control of the password hash pool: a moving average of the time
 * one job takes, and from it the wait a new job can expect.
 */

/**
 * Weight of the newest job in the moving average. At 0.2 the average follows
 * a change of the service time (CPU contention, a parameter change) within
 * about ten jobs and smooths out single slow ones.
 */
const NEWEST_JOB_WEIGHT = 0.2;

/** Exponentially weighted moving average of the service time of one job, in milliseconds. */
export interface ServiceTimeAverage {
  add(milliseconds: number): void;
  /** Undefined until the first job has finished. */
  readonly milliseconds: number | undefined;
}

export function createServiceTimeAverage(): ServiceTimeAverage {
  let average: number | undefined;
  return {
    add(milliseconds) {
      average = average === undefined ? milliseconds : average + NEWEST_JOB_WEIGHT * (milliseconds - average);
    },
    get milliseconds() {
      return average;
    },
  };
}

export interface PoolLoad {
  threads: number;
  /** Threads running a job. */
  busy: number;
  /** Jobs waiting for a thread. */
  queued: number;
}

/**
 * Estimate how long a job submitted now waits before a thread starts it:
 * nothing while a thread is free, otherwise (queued + busy) / threads times
 * the average service time. Without a measurement yet the estimate is 0, so
 * the first jobs are always admitted.
 */
export function expectedWaitMs(load: PoolLoad, averageMs: number | undefined): number {
  const ahead = load.queued + load.busy;
  if (averageMs === undefined || ahead < load.threads) {
    return 0;
  }
  return (ahead / load.threads) * averageMs;
}

/** Compute the Retry-After value for a rejected job: the expected wait in whole seconds, rounded up, at least 1. */
export function retryAfterSeconds(waitMs: number): number {
  return Math.max(1, Math.ceil(waitMs / 1000));
}
