// The load generator: a fixed number of virtual users, each running one
// iteration after another for a fixed time, either as fast as the server
// responds (closed loop) or at a fixed total rate of iteration starts.
import { performance } from 'node:perf_hooks';

/** Times the named steps of one iteration, in milliseconds. */
export interface StepTimer {
  time<T>(step: string, run: () => Promise<T>): Promise<T>;
}

/** One pass of a scenario for virtual user `user`. It throws when any response is not the expected one. */
export type Iteration = (user: number, timer: StepTimer) => Promise<void>;

export interface LoadOptions {
  concurrency: number;
  durationSeconds: number;
  /** Iteration starts per second for all users together. Unset, each user starts again as soon as the server responds. */
  rate?: number;
}

export interface LoadResult {
  iterations: number;
  errors: number;
  /** Up to ERROR_SAMPLES distinct error messages. */
  errorSamples: string[];
  elapsedSeconds: number;
  /** Latency samples in milliseconds per step. The ITERATION series is the whole iteration. */
  latencies: Map<string, number[]>;
  /** Iterations that started later than scheduled because every user was busy (rate mode only). */
  lateStarts: number;
  /** CPU seconds that this process, the load generator, used during the pass. */
  generatorCpuSeconds: number;
}

const ERROR_SAMPLES = 5;

/** Name of the latency series of whole iterations. */
export const ITERATION = 'iteration';

class Recorder implements StepTimer {
  readonly latencies = new Map<string, number[]>();

  add(step: string, milliseconds: number): void {
    let samples = this.latencies.get(step);
    if (samples === undefined) {
      samples = [];
      this.latencies.set(step, samples);
    }
    samples.push(milliseconds);
  }

  async time<T>(step: string, run: () => Promise<T>): Promise<T> {
    const start = performance.now();
    const result = await run();
    this.add(step, performance.now() - start);
    return result;
  }
}

function describeError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/**
 * Run `iteration` on `concurrency` users until the time is up. Only iterations
 * that finish without an error count and give latency samples, and failed
 * ones are counted as errors. In rate mode, start k of all users is due at
 * k / rate seconds, and a user that is late starts at once.
 */
export async function runLoad(options: LoadOptions, iteration: Iteration): Promise<LoadResult> {
  const recorder = new Recorder();
  const errorSamples = new Set<string>();
  let iterations = 0;
  let errors = 0;
  let started = 0;
  let lateStarts = 0;
  const cpuBefore = process.cpuUsage();
  const begin = performance.now();
  const end = begin + options.durationSeconds * 1000;

  const user = async (index: number) => {
    while (performance.now() < end) {
      if (options.rate !== undefined) {
        const due = begin + (started * 1000) / options.rate;
        started += 1;
        const wait = due - performance.now();
        if (due >= end) {
          return;
        }
        if (wait > 0) {
          await sleep(wait);
        } else if (wait < -1) {
          lateStarts += 1;
        }
      }
      const start = performance.now();
      try {
        const steps = new Recorder();
        await iteration(index, steps);
        iterations += 1;
        recorder.add(ITERATION, performance.now() - start);
        for (const [step, samples] of steps.latencies) {
          for (const sample of samples) recorder.add(step, sample);
        }
      } catch (error) {
        errors += 1;
        if (errorSamples.size < ERROR_SAMPLES) errorSamples.add(describeError(error));
      }
    }
  };

  await Promise.all(Array.from({ length: options.concurrency }, (_, index) => user(index)));
  const cpu = process.cpuUsage(cpuBefore);
  return {
    iterations,
    errors,
    errorSamples: [...errorSamples],
    elapsedSeconds: (performance.now() - begin) / 1000,
    latencies: recorder.latencies,
    lateStarts,
    generatorCpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

/** The q-quantile (0..1) of the samples by the nearest-rank method, or NaN without samples. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] as number;
}
