// Summary of V8 CPU profiles (`node --cpu-prof`): where the self time went,
// by function and by area (a src/ folder, a package, Node internals, GC).
//
// Usage: node --import tsx bench/profile.ts FILE.cpuprofile [TOP]
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from './child-process.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  selfMs: number;
  /** Share of the busy time: all samples except (idle). */
  share: number;
}

export interface ProfileSummary {
  busyMs: number;
  functions: SelfTime[];
  areas: SelfTime[];
}

/**
 * Time span of the samples to count, in microseconds of the monotonic clock.
 * V8 stamps profile samples with the same clock as process.hrtime on Linux
 * (CLOCK_MONOTONIC), so a span measured in the benchmark process selects the
 * same moments in the server's profiles.
 */
export interface ProfileWindow {
  fromMicros: number;
  toMicros: number;
}

/** Read the monotonic clock in microseconds, for a ProfileWindow. */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

function shortUrl(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  return path.startsWith(PROJECT_ROOT) ? path.slice(PROJECT_ROOT.length) : path;
}

function areaOf(frame: ProfileNode['callFrame']): string {
  const url = shortUrl(frame.url);
  if (url === '') return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  if (url.startsWith('node:')) return 'Node internals';
  const packageName = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (packageName !== undefined) return packageName;
  const sourceFolder = /^src\/([^/]+)/.exec(url)?.[1];
  return sourceFolder === undefined ? url : `src/${sourceFolder}`;
}

function functionOf(frame: ProfileNode['callFrame']): string {
  const url = shortUrl(frame.url);
  const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
  return url === '' ? name : `${name} ${url}:${frame.lineNumber + 1}`;
}

function ranked(totals: Map<string, number>, busyMicros: number, top: number): SelfTime[] {
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, micros]) => ({ name, selfMs: micros / 1000, share: busyMicros === 0 ? 0 : micros / busyMicros }));
}

/** Add the self time of one profile into the totals and return its busy microseconds. */
function accumulate(profile: CpuProfile, window: ProfileWindow | undefined, functions: Map<string, number>, areas: Map<string, number>): number {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const from = window?.fromMicros ?? -Infinity;
  const to = window?.toMicros ?? Infinity;
  let time = profile.startTime;
  let busy = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    time += delta;
    const node = nodes.get(id);
    if (node === undefined || time < from || time > to || node.callFrame.functionName === '(idle)') return;
    busy += delta;
    const name = functionOf(node.callFrame);
    functions.set(name, (functions.get(name) ?? 0) + delta);
    const area = areaOf(node.callFrame);
    areas.set(area, (areas.get(area) ?? 0) + delta);
  });
  return busy;
}

/** Summarise one or more profiles together (a server and its cluster workers). */
export function summariseProfiles(files: string[], options: { top?: number; window?: ProfileWindow } = {}): ProfileSummary {
  const functions = new Map<string, number>();
  const areas = new Map<string, number>();
  let busy = 0;
  for (const file of files) {
    busy += accumulate(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, options.window, functions, areas);
  }
  const top = options.top ?? 12;
  return { busyMs: busy / 1000, functions: ranked(functions, busy, top), areas: ranked(areas, busy, top) };
}

function printSummary(summary: ProfileSummary): void {
  const line = (entry: SelfTime) => `${(entry.share * 100).toFixed(1).padStart(5)}%  ${entry.selfMs.toFixed(0).padStart(7)} ms  ${entry.name}`;
  console.log(`busy time ${summary.busyMs.toFixed(0)} ms\n\nself time by area:`);
  summary.areas.forEach((entry) => console.log(line(entry)));
  console.log('\nself time by function:');
  summary.functions.forEach((entry) => console.log(line(entry)));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [file, top] = process.argv.slice(2);
  if (file === undefined) {
    console.error('Usage: node --import tsx bench/profile.ts FILE.cpuprofile [TOP]');
    process.exitCode = 1;
  } else {
    printSummary(summariseProfiles([file], { top: top === undefined ? 25 : Number(top) }));
  }
}
