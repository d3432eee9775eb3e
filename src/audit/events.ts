/**
 * Typed security events. Each names what happened; the audit log adds the
 * time (UTC), and the request context supplies IP, user agent and request id.
 * No event ever carries a secret: identifiers appear only as their kind.
 */
export type AuditEventType =
  | 'login.succeeded'
  | 'login.failed'
  | 'login.throttled'
  /** A service presented a wrong client secret or an unknown client id at the token, introspection, revocation or pushed authorization endpoint. */
  | 'client.authentication_failed'
  /** An authorization request ended with access_denied instead of a code, because the service accepts none of the person's roles. */
  | 'authorization.denied'
  | 'logout'
  | 'role.switched'
  | 'session.revoked'
  | 'password.changed'
  | 'person.blocked'
  | 'person.unblocked'
  | 'import.completed'
  | 'keys.rotated'
  | 'admin.action'
  /** Written by retention: records up to `throughSeq` were removed, the last of them had hash `anchorHash`. */
  | 'audit.pruned';

export interface AuditContext {
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
}

export interface AuditEvent {
  type: AuditEventType;
  /** The person the event is about, when known. */
  personId?: string | null;
  clientId?: string | null;
  /** Small structured details: an identifier kind, a reason code, counts. Never a secret or a raw identifier. */
  details?: Record<string, string | number | boolean | null>;
  context?: AuditContext;
}

export interface AuditLog {
  record(event: AuditEvent): Promise<void>;
}
