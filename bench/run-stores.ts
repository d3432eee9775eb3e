// Propusk on one store: start it, measure every selected scenario, then
// profile the scenarios that missed their per-CPU-second target.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { BenchDataset } from './dataset.js';
import { measureScenarios } from './measure-all.js';
import type { ScenarioResult } from './measure.js';
import type { BenchOptions } from './options.js';
import { profileScenarios } from './profiling.js';
import { progress } from './progress.js';
import { newMasterKey, startPropusk, type PropuskOptions } from './propusk-server.js';
import { validRate } from './report-results.js';
import type { StoreRun } from './run-record.js';
import type { Scenario } from './scenarios/index.js';
import { openStore, type StoreKind } from './stores.js';
import { PER_CPU_SECOND_TARGETS } from './targets.js';

/** Profiled passes are short: a few seconds give thousands of samples. */
const PROFILE_SECONDS = 3;

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function missedTarget(result: ScenarioResult): boolean {
  const target = PER_CPU_SECOND_TARGETS[result.scenario.name];
  return target !== undefined && result.max !== undefined && !(validRate(result) >= target);
}

async function measureAll(serverOptions: PropuskOptions, scenarios: readonly Scenario[], options: BenchOptions): Promise<Pick<StoreRun, 'results' | 'commands' | 'serverProcesses'>> {
  const running = await startPropusk(serverOptions);
  const serverProcesses = running.target.serverProcesses();
  progress(`${running.target.label}: started, ${serverProcesses} Node.js process(es)`);
  try {
    const results = await measureScenarios(running.target, scenarios, options, true);
    return { results, commands: running.commands, serverProcesses };
  } finally {
    await running.stop();
  }
}

export async function runStore(kind: StoreKind, scenarios: readonly Scenario[], options: BenchOptions, dataset: BenchDataset, datasetFile: string, workDir: string, connections: number): Promise<StoreRun> {
  let store;
  try {
    store = await openStore(kind);
  } catch (error) {
    return { label: kind, commands: [], results: [], profiles: [], error: `cannot open the store: ${describeError(error)}` };
  }
  const storeDir = path.join(workDir, kind);
  await mkdir(storeDir, { recursive: true });
  const serverOptions: PropuskOptions = { store, dataset, datasetFile, workDir: storeDir, workers: options.workers, logLevel: options.logLevel, connections, masterKey: newMasterKey() };
  const run: StoreRun = { label: store.label, commands: [], results: [], profiles: [] };
  try {
    Object.assign(run, await measureAll(serverOptions, scenarios, options));
    const missed = options.profile ? run.results.filter(missedTarget).map((result) => result.scenario) : [];
    if (missed.length > 0) {
      progress(`${store.label}: CPU profiles of ${missed.map((scenario) => scenario.name).join(', ')}`);
      run.profiles = await profileScenarios(serverOptions, missed, PROFILE_SECONDS);
    }
  } catch (error) {
    run.error = `${describeError(error)} (server log: ${path.join(storeDir, 'propusk.log')})`;
  } finally {
    await store.cleanup();
  }
  return run;
}
