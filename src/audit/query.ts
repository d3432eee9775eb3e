import type { Kysely } from 'kysely';
import type { AuditEventsTable, DatabaseSchema } from '../storage/schema.js';
import type { AuditEventType } from './events.js';

type Db = Kysely<DatabaseSchema>;

/** A stored audit record, as the CLI and the home page read it. */
export interface AuditRecord {
  seq: number;
  /** Epoch milliseconds, UTC. */
  occurredAt: number;
  type: AuditEventType;
  personId: string | null;
  /** The person's id in the school records, when the person still exists. */
  personExternalId: string | null;
  clientId: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  details: Record<string, string | number | boolean | null>;
  hash: string;
}

export interface AuditFilter {
  personId?: string;
  types?: readonly AuditEventType[];
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, exclusive. */
  until?: number;
  limit: number;
}

function toRecord(row: AuditEventsTable & { external_id: string | null }): AuditRecord {
  return {
    seq: row.seq,
    occurredAt: row.occurred_at,
    type: row.type as AuditEventType,
    personId: row.person_id,
    personExternalId: row.external_id,
    clientId: row.client_id,
    ip: row.ip,
    userAgent: row.user_agent,
    requestId: row.request_id,
    details: JSON.parse(row.details) as AuditRecord['details'],
    hash: row.hash,
  };
}

/** Return the records that match the filter, newest first. */
export async function listAuditRecords(db: Db, filter: AuditFilter): Promise<AuditRecord[]> {
  let query = db
    .selectFrom('audit_events')
    .leftJoin('people', 'people.id', 'audit_events.person_id')
    .selectAll('audit_events')
    .select('people.external_id');
  if (filter.personId !== undefined) {
    query = query.where('audit_events.person_id', '=', filter.personId);
  }
  if (filter.types !== undefined && filter.types.length > 0) {
    query = query.where('audit_events.type', 'in', [...filter.types]);
  }
  if (filter.since !== undefined) {
    query = query.where('audit_events.occurred_at', '>=', filter.since);
  }
  if (filter.until !== undefined) {
    query = query.where('audit_events.occurred_at', '<', filter.until);
  }
  const rows = await query.orderBy('audit_events.seq', 'desc').limit(filter.limit).execute();
  return rows.map(toRecord);
}
