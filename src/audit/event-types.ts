import type { AuditEventType } from './events.js';

// Typed as a Record over the union, so the compiler rejects this table when a
// type is added to AuditEventType but not here: the CLI's list cannot fall behind.
const KNOWN: Record<AuditEventType, true> = {
  'login.succeeded': true,
  'login.failed': true,
  'login.throttled': true,
  'client.authentication_failed': true,
  'authorization.denied': true,
  logout: true,
  'role.switched': true,
  'session.revoked': true,
  'password.changed': true,
  'person.blocked': true,
  'person.unblocked': true,
  'import.completed': true,
  'keys.rotated': true,
  'admin.action': true,
  'audit.pruned': true,
};

/** Every audit event type, for checking operator input. */
export const AUDIT_EVENT_TYPES = Object.keys(KNOWN) as AuditEventType[];

export function isAuditEventType(value: string): value is AuditEventType {
  return Object.hasOwn(KNOWN, value);
}
