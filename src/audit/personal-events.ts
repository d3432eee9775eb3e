import type { Kysely } from 'kysely';
import { isRoleKind, type RoleKind } from '../roles/kinds.js';
import type { DatabaseSchema } from '../storage/schema.js';
import { listAuditRecords } from './query.js';
import { describeUserAgent } from './user-agent.js';

/** Event types shown to a person about their own account on the home page. */
export const PERSONAL_EVENT_TYPES = ['login.succeeded', 'role.switched', 'password.changed', 'session.revoked'] as const;
export type PersonalEventType = (typeof PERSONAL_EVENT_TYPES)[number];

export const PERSONAL_EVENT_LIMIT = 10;

export interface PersonalEvent {
  /** Epoch milliseconds, UTC. */
  occurredAt: number;
  type: PersonalEventType;
  ip: string | null;
  /** "Chrome, Linux", or undefined when the user agent has nothing recognisable. */
  device: string | undefined;
  /** For `role.switched`: the role kind switched to. */
  roleKind: RoleKind | null;
}

/** Return the person's most recent events of PERSONAL_EVENT_TYPES, newest first. */
export async function recentPersonalEvents(db: Kysely<DatabaseSchema>, personId: string): Promise<PersonalEvent[]> {
  const records = await listAuditRecords(db, { personId, types: PERSONAL_EVENT_TYPES, limit: PERSONAL_EVENT_LIMIT });
  return records.map((record) => {
    const roleKind = record.details.roleKind;
    return {
      occurredAt: record.occurredAt,
      type: record.type as PersonalEventType,
      ip: record.ip,
      device: describeUserAgent(record.userAgent),
      roleKind: typeof roleKind === 'string' && isRoleKind(roleKind) ? roleKind : null,
    };
  });
}
