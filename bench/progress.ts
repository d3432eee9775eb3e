// One line per finished step on the console, so a long run shows where it is.
import { formatMilliseconds, formatNumber, stepQuantile } from './report-format.js';
import type { ScenarioResult } from './measure.js';

export function progress(message: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

export function summarise(result: ScenarioResult): string {
  const name = `${result.target}: ${result.scenario.name}`;
  if (result.setupError !== undefined) return `${name}: set-up failed: ${result.setupError}`;
  const pass = result.max;
  if (pass === undefined) return `${name}: not run`;
  if (pass.errors > 0) return `${name}: ${pass.errors} errors, e.g. ${pass.errorSamples[0] ?? ''}`;
  const partial = result.partial === undefined ? '' : `, p99 at 70% ${formatMilliseconds(stepQuantile(result.partial, 0.99))}`;
  return `${name}: ${formatNumber(pass.throughput)}/s, p99 ${formatMilliseconds(stepQuantile(pass, 0.99))}, ${formatNumber(pass.perCpuSecond)} per CPU-s${partial}`;
}
