// The sections of one store: throughput and latency per scenario, the
// targets with how far each is missed, and the profiles of the misses.
import { STEPS } from './browser-flow.js';
import type { ScenarioResult } from './measure.js';
import type { ProfileSummary } from './profile.js';
import { atLeast, atMost, cell, errorCell, formatMilliseconds, formatNumber, formatPercent, stepQuantile, table } from './report-format.js';
import type { CeilingRun, StoreRun } from './run-record.js';
import type { ScenarioName } from './scenarios/index.js';
import { LATENCY_TARGETS, LOGIN_SHARE_OF_ARGON2, PER_CPU_SECOND_TARGETS } from './targets.js';

function bareResult(ceilings: CeilingRun | undefined, name: ScenarioName): ScenarioResult | undefined {
  return ceilings?.bare.find((result) => result.scenario.name === name);
}

/** Return the per-CPU-second rate of a pass without errors, or NaN when it had errors or did not run. */
export function validRate(result: ScenarioResult | undefined): number {
  const pass = result?.max;
  return pass === undefined || pass.errors > 0 ? Number.NaN : pass.perCpuSecond;
}

function resultRow(result: ScenarioResult, ceilings: CeilingRun | undefined): string[] {
  const name = `${result.scenario.name}`;
  if (result.setupError !== undefined) {
    return [name, '—', `set-up failed: ${cell(result.setupError)}`, '', '', '', '', '', '', ''];
  }
  const pass = result.max;
  const errors = errorCell(pass);
  if (pass === undefined || errors !== undefined) {
    return [name, String(pass?.concurrency ?? '—'), errors ?? 'not run', '', '', '', '', '', '', ''];
  }
  const trivial = validRate(ceilings?.trivial);
  const bare = validRate(bareResult(ceilings, result.scenario.name));
  return [
    name,
    String(pass.concurrency),
    formatNumber(pass.throughput),
    formatMilliseconds(stepQuantile(pass, 0.5)),
    formatMilliseconds(stepQuantile(pass, 0.99)),
    formatNumber(pass.serverCpuSeconds),
    `**${formatNumber(pass.perCpuSecond)}**`,
    formatPercent(pass.perCpuSecond / bare),
    formatNumber(trivial / pass.perCpuSecond),
    partialP99(result),
  ];
}

/** Format the p99 at 70% load, marked when many starts were late, because then the pass ran below its rate. */
function partialP99(result: ScenarioResult): string {
  const partial = result.partial;
  const p99 = formatMilliseconds(stepQuantile(partial, 0.99));
  if (partial === undefined || partial.lateStarts <= 0.01 * (partial.iterations + partial.errors)) return p99;
  return `${p99} (${formatPercent(partial.lateStarts / (partial.iterations + partial.errors))} started late)`;
}

function resultsTable(run: StoreRun, ceilings: CeilingRun | undefined): string {
  const header = ['scenario', 'users', 'per second', 'p50', 'p99', 'server CPU-s', 'per CPU-s', 'of bare oidc-provider', 'trivial requests of CPU', 'p99 at 70%'];
  return table(header, run.results.map((result) => resultRow(result, ceilings)));
}

function rateTargetRows(run: StoreRun, ceilings: CeilingRun | undefined): string[][] {
  const rows: string[][] = [];
  for (const result of run.results) {
    const target = PER_CPU_SECOND_TARGETS[result.scenario.name];
    if (target === undefined) continue;
    const rate = validRate(result);
    const bare = bareResult(ceilings, result.scenario.name);
    const bareRate = bare === undefined ? undefined : validRate(bare);
    // The bare provider's rate on the same machine shows how far the machine itself is from the target.
    const bareCell = bareRate === undefined || !Number.isFinite(bareRate) ? '—' : `${formatNumber(bareRate)} (${formatPercent(bareRate / target)} of the target)`;
    rows.push([result.scenario.name, `≥ ${formatNumber(target)} per CPU-s`, formatNumber(rate), atLeast(rate, target), bareCell]);
    const argon2 = ceilings?.argon2?.perCpuSecond;
    if (result.scenario.name === 'password-login' && argon2 !== undefined) {
      const share = rate / argon2;
      rows.push([result.scenario.name, `≥ ${formatPercent(LOGIN_SHARE_OF_ARGON2)} of argon2id ceiling`, formatPercent(share), atLeast(share, LOGIN_SHARE_OF_ARGON2), '—']);
    }
  }
  return rows;
}

function latencyTargetRows(run: StoreRun): string[][] {
  return LATENCY_TARGETS.flatMap((target) => {
    const result = run.results.find((candidate) => candidate.scenario.name === target.scenario);
    if (result === undefined) return [];
    const p99 = stepQuantile(result.partial, 0.99, target.step);
    const rate = result.partial?.rate;
    const requirement = `p99 of ${target.step} at ${rate === undefined ? '70% of max' : `${formatNumber(rate)}/s (70% of max)`}`;
    return [[target.scenario, `${requirement} ≤ ${target.p99Milliseconds} ms`, formatMilliseconds(p99), atMost(p99, target.p99Milliseconds), '—']];
  });
}

/** Tabulate the latency of each step of the password login, which shows where a login spends its time. */
function loginSteps(run: StoreRun): string {
  const result = run.results.find((candidate) => candidate.scenario.name === 'password-login');
  if (result?.max === undefined || result.max.errors > 0) return '';
  const steps = Object.values(STEPS).filter((step) => result.max?.latencies.has(step));
  const rows = steps.map((step) => [
    step,
    String(result.max?.latencies.get(step)?.length ?? 0),
    formatMilliseconds(stepQuantile(result.max, 0.5, step)),
    formatMilliseconds(stepQuantile(result.max, 0.99, step)),
    formatMilliseconds(stepQuantile(result.partial, 0.5, step)),
    formatMilliseconds(stepQuantile(result.partial, 0.99, step)),
  ]);
  return `Steps of the password login:\n\n${table(['step', 'requests', 'p50 at max', 'p99 at max', 'p50 at 70%', 'p99 at 70%'], rows)}`;
}

function profileSection(name: string, summary: ProfileSummary): string {
  const rows = (entries: ProfileSummary['areas']) => entries.map((entry) => [cell(entry.name), formatMilliseconds(entry.selfMs), formatPercent(entry.share)]);
  const top = summary.areas.slice(0, 3).map((entry) => `${entry.name} ${formatPercent(entry.share)}`);
  return [
    `#### Profile of ${name}`,
    '',
    `The largest areas of self time: ${top.join(', ')}.`,
    '',
    `Self time in the server's processes during a profiled pass of the same scenario, ${formatMilliseconds(summary.busyMs)} in all. V8 samples wall time outside the idle event loop, so a synchronous call that waits (an SQLite write that syncs the disk, a thread that waits for a core on a busy machine) counts as self time of its caller. The password hash threads write no profile, so argon2id time is missing here.`,
    '',
    table(['area', 'self time', 'share'], rows(summary.areas.slice(0, 8))),
    '',
    table(['function', 'self time', 'share'], rows(summary.functions)),
  ].join('\n');
}

/** Load and headroom of the sizing table in docs/deployment.md: 1,000 logins per minute with 50% headroom. */
const SIZING_LOGINS_PER_SECOND = 1000 / 60;
const SIZING_HEADROOM = 0.5;

/** Work out the CPUs for 1,000 password logins per minute at the measured rate, for the sizing table of the deployment guide. */
function sizingLine(run: StoreRun): string {
  const rate = validRate(run.results.find((result) => result.scenario.name === 'password-login'));
  if (!Number.isFinite(rate) || rate <= 0) return '';
  const cpus = (SIZING_LOGINS_PER_SECOND / rate) * (1 + SIZING_HEADROOM);
  return `Sizing: at ${formatNumber(rate)} password logins per CPU-second, 1,000 logins per minute (16.7 per second) need ${formatNumber(cpus)} CPUs with ${formatPercent(SIZING_HEADROOM)} headroom.`;
}

/** Split the server CPU of one password login into the argon2id hash, at the ceiling's rate, and the rest. */
function loginCpuLine(run: StoreRun, ceilings: CeilingRun | undefined): string {
  const rate = validRate(run.results.find((result) => result.scenario.name === 'password-login'));
  const argon2 = ceilings?.argon2?.perCpuSecond;
  if (!Number.isFinite(rate) || rate <= 0 || argon2 === undefined) return '';
  const total = 1000 / rate;
  const hash = 1000 / argon2;
  return `Server CPU per password login: ${formatMilliseconds(total)}. The argon2id hash takes about ${formatMilliseconds(hash)} of it at the ceiling's rate, so the rest of the login costs about ${formatMilliseconds(total - hash)}.`;
}

/** Render the whole section of one store. */
export function storeSection(run: StoreRun, ceilings: CeilingRun | undefined): string {
  const parts = [`## Propusk on ${run.label}`, ''];
  if (run.error !== undefined) {
    return [...parts, `The run failed: ${cell(run.error)}`].join('\n');
  }
  const processes = run.serverProcesses === undefined ? '' : ` It ran as ${run.serverProcesses} Node.js process(es): ${run.serverProcesses === 1 ? 'no cluster' : 'a cluster primary and its workers'}.`;
  parts.push(`Commands that started the server.${processes}`, '', '```sh', ...run.commands, '```', '', resultsTable(run, ceilings), '');
  const login = loginSteps(run);
  if (login !== '') parts.push(login, '');
  parts.push('### Targets', '', table(['scenario', 'target', 'measured', 'result', 'bare oidc-provider here'], [...rateTargetRows(run, ceilings), ...latencyTargetRows(run)]), '');
  for (const line of [loginCpuLine(run, ceilings), sizingLine(run)]) {
    if (line !== '') parts.push(line, '');
  }
  for (const profile of run.profiles) {
    if (profile.summary !== undefined) {
      parts.push(profileSection(profile.scenario.name, profile.summary), '');
    } else {
      parts.push(`#### Profile of ${profile.scenario.name}`, '', `No profile: ${cell(profile.error ?? 'unknown reason')}`, '');
    }
  }
  return parts.join('\n');
}
