import { createHash } from 'node:crypto';
import type { AuditEventsTable } from '../storage/schema.js';

/** Tag of the serialisation below. A changed layout needs a new tag, and verification must keep reading this one for old records. */
const FORMAT = 'propusk-audit-v1';

/**
 * Serialise a record for hashing: a JSON array with every field in a fixed
 * order. JSON string escaping keeps field boundaries unambiguous, and
 * `details` is hashed exactly as stored, so no re-encoding can change it.
 */
export function canonicalRecord(row: Omit<AuditEventsTable, 'hash'>): string {
  return JSON.stringify([
    FORMAT,
    row.seq,
    row.occurred_at,
    row.type,
    row.person_id,
    row.client_id,
    row.ip,
    row.user_agent,
    row.request_id,
    row.details,
    row.prev_hash,
  ]);
}

/** SHA-256 of the canonical serialisation, in lower-case hex. */
export function hashRecord(row: Omit<AuditEventsTable, 'hash'>): string {
  return createHash('sha256').update(canonicalRecord(row), 'utf8').digest('hex');
}

/** JSON text of `details` with sorted keys, so equal details always serialise, and hash, alike. */
export function canonicalDetails(details: Record<string, string | number | boolean | null>): string {
  const sorted = Object.keys(details)
    .sort()
    .map((key) => [key, details[key]] as const);
  return JSON.stringify(Object.fromEntries(sorted));
}
