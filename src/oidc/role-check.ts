import type { Kysely } from 'kysely';
import { loadRolesWithGrantRole } from '../roles/load.js';
import { decideRole, type RoleDecision } from '../roles/selection.js';
import type { DatabaseSchema } from '../storage/schema.js';
import type { SessionState } from '../storage/types.js';
import { bindGrantRole } from '../storage/grant-roles.js';
import { getSessionState, setActiveRole } from '../storage/session-state.js';
import type { ClientDirectory } from './clients.js';

export interface RoleSituation {
  decision: RoleDecision;
  /**
   * Role currently bound to the grant, if any. It is also null for a person
   * with no roles, whose decision is `unavailable` whatever the grant has.
   */
  boundRoleId: string | null;
}

/** Work out which role a service should get in this session, and what the grant has now. */
export async function assessRole(
  db: Kysely<DatabaseSchema>,
  clients: ClientDirectory,
  input: {
    personId: string;
    clientId: string;
    sessionUid: string;
    grantId: string | undefined;
    chooserRequested: boolean;
    /** The session's state when the request has read it already (see RequestFacts); otherwise it is read here. */
    knownSessionState?: { state: SessionState | undefined } | undefined;
  },
): Promise<RoleSituation> {
  const [profile, { roles, grantRoleId }, state] = await Promise.all([
    clients.profile(input.clientId),
    loadRolesWithGrantRole(db, input.personId, input.grantId),
    input.knownSessionState === undefined ? getSessionState(db, input.sessionUid) : input.knownSessionState.state,
  ]);

  const decision = decideRole({
    roles,
    acceptedKinds: profile?.acceptedRoleKinds ?? [],
    activeRoleId: state?.personId === input.personId ? state.activeRoleId : null,
    chooserRequested: input.chooserRequested,
  });
  return { decision, boundRoleId: grantRoleId };
}

/**
 * True when the authorization request must stop at the role step: the service
 * accepts none of the roles, the grant has no role yet, or the role it has is
 * no longer the one this session should use.
 */
export function roleStepNeeded(situation: RoleSituation): boolean {
  const { decision, boundRoleId } = situation;
  switch (decision.outcome) {
    case 'unavailable':
      return true;
    case 'use':
      return boundRoleId !== decision.role.id;
    case 'ask':
      return boundRoleId === null || !decision.roles.some((role) => role.id === boundRoleId);
  }
}

/** How long a grant's role and a session's active role are kept, in milliseconds. */
export interface RoleBindingLifetimes {
  grantRoleMs: number;
  sessionMs: number;
}

/**
 * Bind a role to a grant and make it the session's active role, in one
 * transaction. The grant must be the one the service's tokens come from.
 *
 * TODO: this transaction syncs the SQLite WAL once per login, although both
 * writes hold short-lived state that decision 18 lets other commits leave
 * unsynced (docs/decisions/0018-sync-only-what-must-survive.md). SQLite
 * cannot change `synchronous` inside a transaction, and the driver cannot
 * tell a lazy transaction before its BEGIN.
 */
export async function bindRole(
  db: Kysely<DatabaseSchema>,
  lifetimes: RoleBindingLifetimes,
  binding: { grantId: string; sessionUid: string; personId: string; clientId: string; roleId: string },
): Promise<void> {
  const now = Date.now();
  await db.transaction().execute(async (trx) => {
    await bindGrantRole(trx, {
      grantId: binding.grantId,
      personId: binding.personId,
      clientId: binding.clientId,
      roleId: binding.roleId,
      expiresAt: now + lifetimes.grantRoleMs,
    });
    await setActiveRole(trx, binding.sessionUid, binding.personId, binding.roleId, now + lifetimes.sessionMs);
  });
}
