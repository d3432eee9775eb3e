import type { Role, RoleKind } from './kinds.js';

export type RoleDecision =
  | { outcome: 'unavailable' }
  | { outcome: 'use'; role: Role }
  | { outcome: 'ask'; roles: Role[] };

export interface RoleSelectionInput {
  roles: Role[];
  acceptedKinds: readonly RoleKind[];
  /** The active role of the single sign-on session, if one was chosen. */
  activeRoleId: string | null;
  /** True when the service asked for the chooser (`prompt=select_account`). */
  chooserRequested: boolean;
}

/** Roles of the person that a service accepts, in the person's order. */
export function acceptedRoles(roles: Role[], acceptedKinds: readonly RoleKind[]): Role[] {
  return roles.filter((role) => acceptedKinds.includes(role.kind));
}

/**
 * Decide which role a service gets. The session's active role is used when
 * the service accepts it; a single accepted role needs no question; anything
 * else, or an explicit request, shows the chooser.
 */
export function decideRole(input: RoleSelectionInput): RoleDecision {
  const candidates = acceptedRoles(input.roles, input.acceptedKinds);
  if (candidates.length === 0) {
    return { outcome: 'unavailable' };
  }
  if (input.chooserRequested) {
    return { outcome: 'ask', roles: candidates };
  }

  const active = candidates.find((role) => role.id === input.activeRoleId);
  if (active !== undefined) {
    return { outcome: 'use', role: active };
  }
  if (candidates.length === 1) {
    return { outcome: 'use', role: candidates[0] as Role };
  }
  return { outcome: 'ask', roles: candidates };
}
