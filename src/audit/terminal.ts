import type { AuditRecord } from './query.js';
import { describeUserAgent } from './user-agent.js';
import type { ChainVerification } from './verify.js';

/** `2026-03-01 09:00:00Z`: UTC, to the second, sortable. */
function utcTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

/** Quote a value that has spaces, quotes or is empty, so `key=value` pairs stay readable. */
function quoted(value: string): string {
  return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
}

/** Format a record as one terminal line: time, number, type, then `key=value` pairs of what is known. */
export function formatRecordLine(record: AuditRecord): string {
  const pairs: Array<[string, string | undefined]> = [
    ['person', record.personExternalId ?? undefined],
    ['personId', record.personId ?? undefined],
    ['client', record.clientId ?? undefined],
    ['ip', record.ip ?? undefined],
    ['device', describeUserAgent(record.userAgent)],
    ['request', record.requestId ?? undefined],
    ...Object.entries(record.details).map(([key, value]): [string, string] => [key, String(value)]),
  ];
  const fields = pairs.filter((pair): pair is [string, string] => pair[1] !== undefined).map(([key, value]) => `${key}=${quoted(value)}`);
  return [utcTime(record.occurredAt), `#${record.seq}`, record.type.padEnd(16), ...fields].join('  ');
}

/** Format a record as one JSON Lines line, with the time also as an ISO string. */
export function formatRecordJson(record: AuditRecord): string {
  return JSON.stringify({ ...record, time: new Date(record.occurredAt).toISOString() });
}

/** Describe a verification result for an operator: what was checked, or where the chain breaks and what to do. */
export function formatVerification(result: ChainVerification): string {
  if (result.ok) {
    const span = result.records === 0 ? 'no records stored' : `records ${result.anchorSeq + 1} to ${result.lastSeq}`;
    const retention = result.anchorSeq === 0 ? 'none removed by retention' : `records up to ${result.anchorSeq} removed by retention`;
    return [
      `Audit chain intact: ${result.records} records checked (${span}; ${retention}).`,
      `Head hash: ${result.lastHash}`,
      'Keep the head hash outside the database: if `propusk audit --json` later shows another hash for that record, the chain was rewritten.',
    ].join('\n');
  }
  const where = result.seq === null ? '' : ` at record ${result.seq}`;
  return [
    `Audit chain BROKEN${where}: ${result.problem}.`,
    `Records that verified before the damage: ${result.records}.`,
    'Keep this database unchanged for investigation, and compare it with a backup to find what was altered.',
  ].join('\n');
}
