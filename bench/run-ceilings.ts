// The ceilings of one run: argon2id alone, the trivial node:http server and
// bare oidc-provider, each measured with the same machinery as Propusk.
import { measureArgon2Ceiling } from './ceilings/argon2.js';
import { startBareProvider, startTrivialServer, type RunningCeilingServer } from './ceilings/servers.js';
import { trivialRequest } from './ceilings/trivial-request.js';
import type { BenchDataset } from './dataset.js';
import { measureScenarios } from './measure-all.js';
import type { ScenarioResult } from './measure.js';
import type { BenchOptions } from './options.js';
import { progress } from './progress.js';
import type { CeilingRun } from './run-record.js';
import type { Scenario } from './scenarios/index.js';

/** argon2id passes are shorter: their rate is steady after a second or two. */
const ARGON2_MAX_SECONDS = 3;

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function measureOn(running: RunningCeilingServer, scenarios: readonly Scenario[], options: BenchOptions): Promise<ScenarioResult[]> {
  try {
    return await measureScenarios(running.target, scenarios, options, false);
  } finally {
    await running.stop();
  }
}

export async function runCeilings(options: BenchOptions, scenarios: readonly Scenario[], dataset: BenchDataset, workDir: string, connections: number): Promise<CeilingRun> {
  const run: CeilingRun = { bare: [], errors: [] };
  try {
    progress('argon2id ceiling');
    run.argon2 = await measureArgon2Ceiling(Math.min(options.durationSeconds, ARGON2_MAX_SECONDS));
    progress(`argon2id: ${run.argon2.perCpuSecond.toFixed(0)} hashes per CPU-s`);
  } catch (error) {
    run.errors.push(`argon2id ceiling: ${describeError(error)}`);
  }
  try {
    [run.trivial] = await measureOn(await startTrivialServer(dataset, workDir, connections), [trivialRequest], options);
  } catch (error) {
    run.errors.push(`trivial node:http server: ${describeError(error)}`);
  }
  try {
    const withoutForm = scenarios.filter((scenario) => !scenario.needsLoginForm);
    run.bare = await measureOn(await startBareProvider(dataset, workDir, connections), withoutForm, options);
  } catch (error) {
    run.errors.push(`bare oidc-provider: ${describeError(error)}`);
  }
  return run;
}
