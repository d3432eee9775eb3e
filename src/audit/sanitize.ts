import { isIP } from 'node:net';
import { canonicalDetails } from './canonical.js';
import type { AuditEventsTable } from '../storage/schema.js';
import type { AuditEvent, AuditEventType } from './events.js';

/** The columns of a record that come from the event; the appender adds seq, time and hashes. */
export type AuditEntry = Omit<AuditEventsTable, 'seq' | 'occurred_at' | 'prev_hash' | 'hash' | 'type'> & { type: AuditEventType };

/** Maximum user-agent length kept. Common browsers send 100–200 characters (an estimate), so a longer value is padding. */
export const MAX_USER_AGENT_LENGTH = 256;
/** Request ids are UUIDs, client and person ids are short keys; anything longer is cut. */
const MAX_ID_LENGTH = 128;
const MAX_DETAIL_KEYS = 16;
const MAX_DETAIL_STRING_LENGTH = 200;
const DETAIL_KEY = /^[A-Za-z][A-Za-z0-9_]{0,39}$/;

// Control characters would let a value forge extra lines in a terminal or a log viewer.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;

function clean(value: string | null | undefined, maxLength: number): string | null {
  if (value === null || value === undefined) {
    return null;
  }
  const text = value.replace(CONTROL_CHARACTERS, '').trim().slice(0, maxLength);
  return text === '' ? null : text;
}

/** Trim the address, and return an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, as dual-stack sockets report IPv4 clients) as IPv4. */
function normalizeIp(value: string | null | undefined): string | null {
  const ip = clean(value, 64);
  if (ip === null) {
    return null;
  }
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  return mapped !== undefined && isIP(mapped) === 4 ? mapped : ip;
}

/** Details limited to short keys and short primitive values; the names of anything dropped are returned. */
function cleanDetails(details: AuditEvent['details']): { text: string; dropped: string[] } {
  const kept: Record<string, string | number | boolean | null> = {};
  const dropped: string[] = [];
  for (const [key, value] of Object.entries(details ?? {})) {
    if (!DETAIL_KEY.test(key) || Object.keys(kept).length >= MAX_DETAIL_KEYS) {
      dropped.push(key.slice(0, 40));
    } else if (typeof value === 'string') {
      kept[key] = value.replace(CONTROL_CHARACTERS, '').slice(0, MAX_DETAIL_STRING_LENGTH);
    } else if (typeof value === 'number') {
      kept[key] = Number.isFinite(value) ? value : null;
    } else {
      kept[key] = value;
    }
  }
  return { text: canonicalDetails(kept), dropped };
}

/** Turn an event into the stored columns: trimmed, truncated, without control characters. */
export function toAuditEntry(event: AuditEvent): { entry: AuditEntry; droppedDetails: string[] } {
  const details = cleanDetails(event.details);
  const context = event.context ?? {};
  return {
    entry: {
      type: event.type,
      person_id: clean(event.personId, MAX_ID_LENGTH),
      client_id: clean(event.clientId, MAX_ID_LENGTH),
      ip: normalizeIp(context.ip),
      user_agent: clean(context.userAgent, MAX_USER_AGENT_LENGTH),
      request_id: clean(context.requestId, MAX_ID_LENGTH),
      details: details.text,
    },
    droppedDetails: details.dropped,
  };
}
