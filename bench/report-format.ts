// Number and table formatting for the markdown report.
import { ITERATION, quantile } from './load.js';
import type { PassResult } from './measure.js';

/** Format a number with thousands separators and up to two decimals, fewer for larger numbers. NaN becomes "—". */
export function formatNumber(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function formatPercent(share: number | undefined): string {
  return share === undefined || !Number.isFinite(share) ? '—' : `${Math.round(share * 100)}%`;
}

export function formatMilliseconds(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '—' : `${formatNumber(value)} ms`;
}

/** Return the q-quantile latency in milliseconds of a step, or of whole iterations, in a pass. */
export function stepQuantile(pass: PassResult | undefined, q: number, step: string = ITERATION): number | undefined {
  const samples = pass?.latencies.get(step);
  return samples === undefined ? undefined : quantile(samples, q);
}

/** Render a markdown table. Cells must not contain "|" or line breaks. */
export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Text safe for a table cell: no pipes or line breaks, and at most 200 characters. */
export function cell(text: string): string {
  const flat = text.replace(/\|/g, '/').replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

/** Describe the errors of a pass in one cell, or return undefined when it had none. */
export function errorCell(pass: PassResult | undefined): string | undefined {
  if (pass === undefined || pass.errors === 0) return undefined;
  return cell(`${pass.errors} errors of ${pass.errors + pass.iterations}: ${pass.errorSamples.join('; ')}`);
}

/** "reached" or "missed by N%" for a value that must be at least `target`. */
export function atLeast(value: number, target: number): string {
  if (!Number.isFinite(value)) return 'not measured';
  return value >= target ? `met (${formatPercent(value / target)})` : `**missed** by ${formatPercent(1 - value / target)}`;
}

/** "met" or "missed by N ms" for a value that must be at most `target`. */
export function atMost(value: number | undefined, target: number, unit = 'ms'): string {
  if (value === undefined || !Number.isFinite(value)) return 'not measured';
  return value <= target ? 'met' : `**missed** by ${formatNumber(value - target)} ${unit} (${formatNumber(value / target)}× the limit)`;
}
