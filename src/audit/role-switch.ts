import type { Kysely } from 'kysely';
import type { Role } from '../roles/kinds.js';
import { loadRoles } from '../roles/load.js';
import type { DatabaseSchema } from '../storage/schema.js';
import type { AuditContext, AuditLog } from './events.js';

export interface RoleChange {
  personId: string;
  /** The service whose role step made the change, or null for the home page. */
  clientId: string | null;
  /** The session's active role before the change; null when it had none yet. */
  previousRoleId: string | null;
  role: Pick<Role, 'id' | 'kind'>;
  context: AuditContext;
}

/**
 * Record `role.switched` when the session's active role changes from one
 * role to another. The first role of a fresh session is part of signing in,
 * not a switch, so it is not recorded.
 */
export async function recordRoleSwitch(audit: AuditLog, db: Kysely<DatabaseSchema>, change: RoleChange): Promise<void> {
  if (change.previousRoleId === null || change.previousRoleId === change.role.id) {
    return;
  }
  const previous = (await loadRoles(db, change.personId)).find((role) => role.id === change.previousRoleId);
  await audit.record({
    type: 'role.switched',
    personId: change.personId,
    clientId: change.clientId,
    details: { roleKind: change.role.kind, previousRoleKind: previous?.kind ?? null },
    context: change.context,
  });
}
