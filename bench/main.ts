// `npm run bench`: the benchmark suite. Not part of `npm test`.
//
// It measures the ceilings (argon2id alone, a trivial node:http server,
// bare oidc-provider), then Propusk on each selected store, and writes
// docs/benchmarks.md. See USAGE in options.ts for the flags.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from './child-process.js';
import { describeMachine } from './cpu.js';
import type { ScenarioResult } from './measure.js';
import { buildDataset, writeDataset } from './dataset.js';
import { parseOptions, USAGE, type BenchOptions } from './options.js';
import { progress } from './progress.js';
import { writeReport } from './report.js';
import { runCeilings } from './run-ceilings.js';
import type { BenchRun } from './run-record.js';
import { runStore } from './run-stores.js';
import { SCENARIOS } from './scenarios/index.js';
import { measureSessionMemory } from './session-memory.js';

function readOptions(argv: string[]): BenchOptions | undefined {
  try {
    const options = parseOptions(argv);
    if (options !== 'help') return options;
    console.log(USAGE);
  } catch (error) {
    // The message comes last, so that a terminal shows it below the options.
    console.error(`${USAGE}\n\n${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 2;
  }
  return undefined;
}

async function main(argv: string[]): Promise<void> {
  const options = readOptions(argv);
  // scripts/ci/node24.sh checks the options this way before it installs Node 24.
  if (options === undefined || process.env.PROPUSK_BENCH_CHECK_ONLY === '1') return;
  if (process.platform !== 'linux') {
    throw new Error('the benchmark reads server CPU time from /proc, so it runs on Linux only');
  }

  const startedAt = new Date();
  const loadAverage = os.loadavg();
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'propusk-bench-'));
  const dataset = buildDataset(options.people);
  const datasetFile = path.join(workDir, 'dataset.json');
  await writeDataset(datasetFile, dataset);
  const scenarios = SCENARIOS.filter((scenario) => options.scenarios.includes(scenario.name));
  // One connection per virtual user, so no user waits for another's connection.
  const connections = options.concurrency ?? Math.max(...scenarios.map((scenario) => scenario.concurrency));
  progress(`work directory ${workDir}`);

  const ceilings = options.ceilings ? await runCeilings(options, scenarios, dataset, workDir, connections) : undefined;
  const stores = [];
  for (const kind of options.stores) {
    stores.push(await runStore(kind, scenarios, options, dataset, datasetFile, workDir, connections));
  }
  progress('session memory');
  const sessionMemory = await measureSessionMemory();

  const run: BenchRun = {
    // A wrapper such as scripts/ci/node24.sh --bench names itself, so the report shows the command to repeat.
    command: process.env.PROPUSK_BENCH_COMMAND ?? `npm run bench${argv.length === 0 ? '' : ` -- ${argv.join(' ')}`}`,
    startedAt,
    finishedAt: new Date(),
    machine: describeMachine(),
    loadAverage,
    options,
    ceilings,
    stores,
    sessionMemory,
  };
  const output = path.resolve(PROJECT_ROOT, options.output);
  await writeReport(output, run);
  const relativeOutput = path.relative(process.cwd(), output);
  progress(`report written to ${relativeOutput.startsWith('..') ? output : relativeOutput}`);

  const passFailed = (result: ScenarioResult) => result.setupError !== undefined || (result.max?.errors ?? 0) > 0;
  const failed =
    stores.some((store) => store.error !== undefined || store.results.some(passFailed)) ||
    (ceilings !== undefined && (ceilings.errors.length > 0 || ceilings.bare.some(passFailed)));
  if (options.keep || failed) {
    progress(`kept ${workDir} with the server logs`);
  } else {
    await rm(workDir, { recursive: true, force: true });
  }
  if (failed) process.exitCode = 1;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
