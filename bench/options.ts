// Command-line options of `npm run bench`.
import os from 'node:os';
import { parseArgs } from 'node:util';
import { parseWorkerCount } from '../src/cli/worker-count.js';
import { SCENARIOS, type ScenarioName } from './scenarios/index.js';
import type { StoreKind } from './stores.js';

export interface BenchOptions {
  scenarios: ScenarioName[];
  stores: StoreKind[];
  durationSeconds: number;
  warmupSeconds: number;
  concurrency?: number;
  people: number;
  /** Value of `propusk start --workers`: by default half the machine's cores (see benchWorkers). */
  workers: number;
  logLevel: string;
  ceilings: boolean;
  profile: boolean;
  output: string;
  keep: boolean;
}

export const USAGE = `Usage: npm run bench -- [options]

Starts Propusk as a child process on a loopback port, drives it with each
scenario and writes the results to docs/benchmarks.md.

Options:
  --quick             2-second passes, SQLite only, no CPU profiles
  --scenario NAME     run only this scenario; repeat or use commas
                      (${SCENARIOS.map((scenario) => scenario.name).join(', ')})
  --store KIND        sqlite, postgres (PostgreSQL + Redis) or both (default both)
  --duration S        seconds of each measured pass (default 4)
  --warmup S          seconds of warm-up before each scenario (default 12;
                      with --quick 2; 0 for none)
  --concurrency N     virtual users of every scenario (default: each scenario's own)
  --people N          people in the imported dataset (default 200)
  --workers N         passed to \`propusk start --workers\` (default: half the
                      cores, at least 1, as the load generator, PostgreSQL
                      and Redis run on the same machine)
  --log-level LEVEL   LOG_LEVEL of the server (default info, as in production)
  --no-ceilings       skip the argon2id, node:http and bare oidc-provider ceilings
  --no-profile        skip the CPU profiles of scenarios that miss their target
  --output FILE       where to write the report (default docs/benchmarks.md)
  --keep              keep the temporary directory with the server logs

PostgreSQL: BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres)
names the server where a fresh database is created and dropped afterwards.
Redis: BENCH_REDIS_URL (default redis://127.0.0.1:6379); the benchmark uses
the first empty database from 15 down to 8 and deletes its keys at the end.`;

/**
 * Return the server's workers when --workers is not given: half the cores,
 * at least one. The load generator, PostgreSQL and Redis run on the same machine, so a
 * worker per core competes with them for the cores. The time lost to
 * preemption counts as server CPU. On a 2-core VM (2026-12-05), two workers
 * made 30% fewer SSO hops and 20% fewer userinfo requests per CPU-second than
 * one. The bare oidc-provider ceiling runs as one process as well.
 */
export function benchWorkers(cores: number): number {
  return Math.max(1, Math.floor(cores / 2));
}

function positiveNumber(name: string, value: string | undefined, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < 0 || (number === 0 && !allowZero)) {
    throw new Error(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got "${value}"`);
  }
  return number;
}

function optionalInteger(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === '' || !Number.isInteger(number) || number < 1) {
    throw new Error(`--${name} must be a whole number from 1 up, got "${value}"`);
  }
  return number;
}

function parseScenarios(values: string[] | undefined): ScenarioName[] {
  const known = SCENARIOS.map((scenario) => scenario.name);
  if (values === undefined) return known;
  const names = values.flatMap((value) => value.split(',')).map((name) => name.trim());
  const unknown = names.filter((name) => !known.includes(name as ScenarioName));
  if (unknown.length > 0) {
    throw new Error(`unknown scenario ${unknown.join(', ')}; the scenarios are ${known.join(', ')}`);
  }
  return names as ScenarioName[];
}

function parseStores(value: string | undefined, quick: boolean): StoreKind[] {
  const store = value ?? (quick ? 'sqlite' : 'both');
  if (store === 'both') return ['sqlite', 'postgres'];
  if (store === 'sqlite' || store === 'postgres') return [store];
  throw new Error(`--store must be sqlite, postgres or both, got "${store}"`);
}

/** Parse the options. Throws an Error with a message for the console on invalid input. */
export function parseOptions(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      quick: { type: 'boolean' },
      scenario: { type: 'string', multiple: true },
      store: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      concurrency: { type: 'string' },
      people: { type: 'string' },
      workers: { type: 'string' },
      'log-level': { type: 'string' },
      'no-ceilings': { type: 'boolean' },
      'no-profile': { type: 'boolean' },
      output: { type: 'string' },
      keep: { type: 'boolean' },
    },
  });
  if (values.help === true) return 'help';
  const quick = values.quick === true;
  return {
    scenarios: parseScenarios(values.scenario),
    stores: parseStores(values.store, quick),
    durationSeconds: positiveNumber('duration', values.duration, quick ? 2 : 4),
    warmupSeconds: positiveNumber('warmup', values.warmup, quick ? 2 : 12, true),
    concurrency: optionalInteger('concurrency', values.concurrency),
    people: optionalInteger('people', values.people) ?? 200,
    workers: values.workers === undefined ? benchWorkers(os.availableParallelism()) : parseWorkerCount(values.workers),
    logLevel: values['log-level'] ?? 'info',
    ceilings: values['no-ceilings'] !== true,
    profile: values['no-profile'] !== true && !quick,
    output: values.output ?? 'docs/benchmarks.md',
    keep: values.keep === true,
  };
}
