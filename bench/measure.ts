// One scenario against one server: set-up, warm-up, the closed-loop pass that
// finds the maximum throughput, and the pass at 70% of that maximum.
import { runLoad, type Iteration, type LoadResult } from './load.js';
import type { Scenario } from './scenarios/index.js';
import type { BenchTarget } from './target.js';

/** The latency targets apply at this share of the measured maximum. */
export const PARTIAL_LOAD_SHARE = 0.7;

export interface PassResult extends LoadResult {
  concurrency: number;
  /** Iteration starts per second asked for, in the rate-limited pass. */
  rate?: number;
  serverCpuSeconds: number;
  /** Completed iterations per second of wall time. */
  throughput: number;
  /** Completed iterations per CPU second of the server's processes. */
  perCpuSecond: number;
  serverProcesses: number;
}

export interface ScenarioResult {
  scenario: Scenario;
  target: string;
  /** Error of the set-up (sign-ins for tokens). When it is set, no pass ran. */
  setupError?: string;
  max?: PassResult;
  partial?: PassResult;
}

export interface MeasureOptions {
  durationSeconds: number;
  warmupSeconds: number;
  /** Overrides the scenario's own number of virtual users. */
  concurrency?: number;
  /** Also run the pass at PARTIAL_LOAD_SHARE of the maximum. */
  partialLoad: boolean;
  /** Called right before and after the maximum-throughput pass, to match it with a CPU profile. */
  onPassStart?: () => void;
  onPassEnd?: () => void;
}

async function measuredPass(target: BenchTarget, iteration: Iteration, concurrency: number, durationSeconds: number, rate?: number): Promise<PassResult> {
  const cpuBefore = target.serverCpuSeconds();
  const result = await runLoad({ concurrency, durationSeconds, rate }, iteration);
  const serverCpuSeconds = target.serverCpuSeconds() - cpuBefore;
  return {
    ...result,
    concurrency,
    rate,
    serverCpuSeconds,
    throughput: result.iterations / result.elapsedSeconds,
    perCpuSecond: serverCpuSeconds > 0 ? result.iterations / serverCpuSeconds : Number.NaN,
    serverProcesses: target.serverProcesses(),
  };
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Measure one scenario. A pass with errors is still returned, so that the
 * report shows the errors in place of its throughput. The partial-load pass
 * runs only after a maximum without errors.
 */
export async function measureScenario(target: BenchTarget, scenario: Scenario, options: MeasureOptions): Promise<ScenarioResult> {
  const concurrency = options.concurrency ?? scenario.concurrency;
  let iteration: Iteration;
  try {
    iteration = await scenario.prepare(target, concurrency);
  } catch (error) {
    return { scenario, target: target.label, setupError: describeError(error) };
  }

  if (options.warmupSeconds > 0) {
    await runLoad({ concurrency, durationSeconds: options.warmupSeconds }, iteration);
  }
  options.onPassStart?.();
  const max = await measuredPass(target, iteration, concurrency, options.durationSeconds);
  options.onPassEnd?.();
  if (!options.partialLoad || max.errors > 0 || max.iterations === 0) {
    return { scenario, target: target.label, max };
  }
  const rate = max.throughput * PARTIAL_LOAD_SHARE;
  const partial = await measuredPass(target, iteration, concurrency, options.durationSeconds, rate);
  return { scenario, target: target.label, max, partial };
}
