// The markdown page docs/benchmarks.md, generated from one run.
import { writeFile } from 'node:fs/promises';
import type { ScenarioResult } from './measure.js';
import { cell, errorCell, formatMilliseconds, formatNumber, stepQuantile, table } from './report-format.js';
import { benchWorkers } from './options.js';
import { storeSection, validRate } from './report-results.js';
import type { BenchRun, CeilingRun, SessionMemory } from './run-record.js';
import { SESSION_MEMORY_TARGET_BYTES } from './targets.js';

function minutes(from: Date, to: Date): string {
  const seconds = Math.round((to.getTime() - from.getTime()) / 1000);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

function runSection(run: BenchRun): string {
  const { machine, options } = run;
  const rows = [
    ['command', `\`${run.command}\``],
    ['date', `${run.startedAt.toISOString().replace('T', ' ').slice(0, 16)} UTC, took ${minutes(run.startedAt, run.finishedAt)}`],
    ['CPU', `${machine.cpuModel}, ${machine.cores} cores`],
    ['memory', `${machine.memoryGiB} GiB`],
    ['Node.js', machine.node],
    ['kernel', machine.kernel],
    ['load average before the run', run.loadAverage.map((value) => value.toFixed(2)).join(', ')],
    ['server', `NODE_ENV=production, LOG_LEVEL=${options.logLevel}, --workers ${options.workers}${options.workers === benchWorkers(machine.cores) ? ' (the benchmark\'s default: half the cores, as the load generator, PostgreSQL and Redis share the machine)' : ''}`],
    ['dataset', `${options.people} people with one student role each; a web service and a machine service`],
    ['passes', `${options.warmupSeconds} s warm-up, then ${options.durationSeconds} s at maximum and ${options.durationSeconds} s at 70% of it`],
  ];
  return ['## Run', '', table(['item', 'value'], rows)].join('\n');
}

const TARGETS = `The targets, per CPU second of server time at Propusk's argon2id parameters:

- password logins ≥ 60, and ≥ 75% of the argon2id ceiling;
- SSO hops ≥ 600, refresh grants ≥ 1,000, client credentials grants ≥ 2,000;
- userinfo and introspection requests ≥ 4,000;
- p99 at 70% of the measured maximum: ≤ 60 ms for the login POST, ≤ 15 ms
  for the token endpoint, ≤ 5 ms for userinfo;
- Redis memory per idle session ≤ 1.5 KB.

For comparison, the Keycloak 26 sizing guide gives 15 password logins and
120 refresh or client credentials grants per second per vCPU.`;

const HOW_TO_READ = `## How to read the tables

- **per CPU-s**: completed iterations per second of server CPU time, the
  unit of the targets. Server CPU time is utime + stime of the server process
  and all its cluster workers, read from \`/proc/<pid>/stat\` before and after
  the pass. An iteration is one login, one hop, one grant or one request.
- **per second**, **p50**, **p99**: wall-clock throughput and latency of
  whole iterations in the closed-loop pass, where each virtual user starts its
  next iteration as soon as the last one finishes. That pass finds the
  maximum; its latencies include queueing.
- **p99 at 70%**: the same iterations started at a fixed rate of 70% of that
  maximum. Latency is measured from sending each request, not from its
  scheduled start.
- **of bare oidc-provider**: the scenario's per-CPU-second rate as a share of
  bare oidc-provider's in the same scenario.
- **trivial requests of CPU**: how many requests of the trivial node:http
  server cost as much server CPU as one iteration.
- Every scenario, of Propusk and of the bare provider alike, starts with a
  warm-up pass that is not measured. V8 compiles a server's hot functions
  with its optimising compiler only after many calls, on background threads
  whose CPU time counts as the server's. In a trial on a 2-core VM
  (2026-12-05), the SSO hop reached about 90 per CPU-s after a 2-second
  warm-up and about 140 after 12 seconds or more. The default warm-up of
  12 seconds measures a server that has run for a while, as one in
  operation has.
- A pass with any failed request shows its errors in place of its numbers.
- Both benchmark services are registered with ES256 ID tokens
  (\`id_token_signed_response_alg\`), as docs/deployment.md recommends for a
  service whose library verifies ES256: an ES256 signature costs about a
  fifth of the CPU of an RS256 one. A service that keeps Propusk's default,
  RS256, costs more per response with an ID token than these results show.
- The load generator (undici, keep-alive, one connection per virtual user),
  PostgreSQL and Redis run on the same cores as the server, so wall-clock
  throughput is lower than the server alone could reach. They also take
  cores away from the server in the middle of its requests, and that costs
  server CPU too. On a 2-core VM (2026-12-05), Propusk with two workers made
  about 30% fewer SSO hops and 20% fewer userinfo requests per CPU-s than
  with one. So the server runs half as many workers as the machine has
  cores, unless \`--workers\` says otherwise, and the bare oidc-provider runs
  as one process. A node in production has its cores to itself and runs one
  worker per core.`;

function passRow(label: string, result: ScenarioResult | undefined): string[] {
  if (result === undefined) return [label, 'not run', '', '', ''];
  if (result.setupError !== undefined) return [label, `set-up failed: ${cell(result.setupError)}`, '', '', ''];
  const errors = errorCell(result.max);
  if (errors !== undefined || result.max === undefined) return [label, errors ?? 'not run', '', '', ''];
  return [
    label,
    formatNumber(result.max.throughput),
    formatMilliseconds(stepQuantile(result.max, 0.5)),
    formatMilliseconds(stepQuantile(result.max, 0.99)),
    `**${formatNumber(validRate(result))}**`,
  ];
}

function ceilingsSection(ceilings: CeilingRun): string {
  const parts = ['## Ceilings measured in the same run', ''];
  if (ceilings.argon2 !== undefined) {
    const rows = ceilings.argon2.modes.map((mode) => [mode.label, String(mode.hashes), formatNumber(mode.cpuSeconds), formatNumber(mode.perCpuSecond)]);
    parts.push(
      `argon2id at Propusk's parameters (@node-rs/argon2, PASSWORD_HASH_PARAMETERS), alone in a child process. The ceiling is the best mode: **${formatNumber(ceilings.argon2.perCpuSecond)} hashes per CPU-s**.`,
      '',
      table(['mode', 'hashes', 'CPU-s', 'per CPU-s'], rows),
      '',
    );
  }
  const header = ['server and scenario', 'per second', 'p50', 'p99', 'per CPU-s'];
  const rows = [passRow('trivial node:http server, GET /', ceilings.trivial), ...ceilings.bare.map((result) => passRow(`bare oidc-provider, ${result.scenario.name}`, result))];
  parts.push(
    'The trivial server returns "ok" for every request. Bare oidc-provider runs with its in-memory adapter, the same routes, PKCE, token formats and ES256 ID tokens as Propusk, and one client of each kind. Its interaction signs a new account in without a page, so it has no password login.',
    '',
    table(header, rows),
  );
  if (ceilings.errors.length > 0) parts.push('', ...ceilings.errors.map((error) => `- Failed: ${cell(error)}`));
  return parts.join('\n');
}

function sessionMemorySection(memory: SessionMemory | undefined): string {
  const title = '## Redis memory per idle session';
  if (memory === undefined) {
    return `${title}\n\nNot measured: scripts/measure-session-memory.ts is not in this checkout.`;
  }
  const bytes = memory.bytesPerSession;
  const verdict = bytes === undefined ? 'no number found in its output' : `${formatNumber(bytes)} bytes per session, target ≤ ${SESSION_MEMORY_TARGET_BYTES} bytes: ${bytes <= SESSION_MEMORY_TARGET_BYTES ? 'met' : `**missed** by ${formatNumber(bytes - SESSION_MEMORY_TARGET_BYTES)} bytes`}`;
  return [title, '', `\`${memory.command}\`: ${verdict}.`, '', '```', memory.output, '```'].join('\n');
}

export function renderReport(run: BenchRun): string {
  return [
    '# Benchmarks',
    '',
    `\`${run.command.split(' -- ')[0]}\` (bench/main.ts on Node.js ${run.machine.node}) writes this page, so run it again rather than editing the page. It drives a real Propusk over loopback and compares each result with the targets and with ceilings measured in the same run.`,
    '',
    TARGETS,
    '',
    runSection(run),
    '',
    HOW_TO_READ,
    '',
    run.ceilings === undefined ? '## Ceilings\n\nNot measured in this run (--no-ceilings).' : ceilingsSection(run.ceilings),
    '',
    ...run.stores.flatMap((store) => [storeSection(store, run.ceilings), '']),
    sessionMemorySection(run.sessionMemory),
    '',
  ].join('\n');
}

export async function writeReport(file: string, run: BenchRun): Promise<void> {
  await writeFile(file, renderReport(run));
}
