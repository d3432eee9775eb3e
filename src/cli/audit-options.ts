import { parseArgs } from 'node:util';
import { AUDIT_EVENT_TYPES, isAuditEventType } from '../audit/event-types.js';
import type { AuditEventType } from '../audit/events.js';
import { InputError } from '../errors/index.js';

export interface AuditListOptions {
  /** External id or id, as typed; resolved against the people table by the command. */
  person: string | undefined;
  types: AuditEventType[];
  since: number | undefined;
  until: number | undefined;
  limit: number;
  json: boolean;
}

export const DEFAULT_LIST_LIMIT = 50;
const MAX_LIST_LIMIT = 10_000;
const DAY_MS = 24 * 60 * 60 * 1000;

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
// A time without a zone would be read in the machine's local zone; requiring one avoids guessing.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Read `--since` or `--until`. A date is a whole UTC day: `--since` starts at
 * its first millisecond, `--until` includes its last. A date-time needs `Z` or
 * an offset and counts as given, `--until` inclusive. Returns epoch ms; the
 * `until` bound is exclusive.
 */
function parseBound(option: '--since' | '--until', value: string | undefined): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const ms = DATE_ONLY.test(value) || DATE_TIME.test(value) ? Date.parse(value) : Number.NaN;
  // Date.parse accepts 2026-02-30 as 2 March; the round trip catches it.
  if (Number.isNaN(ms) || (DATE_ONLY.test(value) && new Date(ms).toISOString().slice(0, 10) !== value)) {
    throw new InputError(`Invalid ${option} "${value}": use a date (2026-03-01, a UTC day) or a date-time with a zone (2026-03-01T09:00:00+03:00)`);
  }
  if (option === '--since') {
    return ms;
  }
  return DATE_ONLY.test(value) ? ms + DAY_MS : ms + 1;
}

function parseLimit(value: string | undefined): number {
  if (value === undefined) {
    return DEFAULT_LIST_LIMIT;
  }
  const limit = Number(value);
  if (!/^\d+$/.test(value) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new InputError(`Invalid --limit "${value}": use a whole number from 1 to ${MAX_LIST_LIMIT}`);
  }
  return limit;
}

function parseTypes(values: string[] | undefined): AuditEventType[] {
  const types = (values ?? []).flatMap((value) => value.split(',')).map((value) => value.trim()).filter((value) => value !== '');
  const unknown = types.filter((type) => !isAuditEventType(type));
  if (unknown.length > 0) {
    throw new InputError(`Unknown --type ${unknown.map((type) => `"${type}"`).join(', ')}: the types are ${AUDIT_EVENT_TYPES.join(', ')}`);
  }
  return types as AuditEventType[];
}

/** Parse the options of `propusk audit` (the listing). Throws InputError naming the bad option. */
export function parseAuditListOptions(args: string[]): AuditListOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        person: { type: 'string' },
        type: { type: 'string', multiple: true },
        since: { type: 'string' },
        until: { type: 'string' },
        limit: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new InputError(`${error instanceof Error ? error.message : String(error)}. Run \`propusk help\` for the audit options.`, { cause: error });
  }
  const { values } = parsed;
  const since = parseBound('--since', values.since);
  const until = parseBound('--until', values.until);
  if (since !== undefined && until !== undefined && since >= until) {
    throw new InputError(`--since ${values.since} is not before --until ${values.until}: nothing can match`);
  }
  return { person: values.person, types: parseTypes(values.type), since, until, limit: parseLimit(values.limit), json: values.json };
}
