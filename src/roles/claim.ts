import { translator } from '../i18n/translate.js';
import type { Role } from './kinds.js';
import { childName, roleLabel } from './labels.js';

/** The `role` claim: the active role, as a service reads it. */
export interface RoleClaim {
  id: string;
  kind: Role['kind'];
  label: string;
  organization: { id: string; name: string } | null;
  class?: string;
  position?: string;
  children?: Array<{ sub: string; name: string; organization: { id: string; name: string } | null; class: string | null }>;
}

const russian = translator('ru');

/** Claims carry Russian labels: the services show them to Russian-speaking people. */
export function toRoleClaim(role: Role): RoleClaim {
  const claim: RoleClaim = {
    id: role.id,
    kind: role.kind,
    label: roleLabel(role, russian),
    organization: role.organization === null ? null : { id: role.organization.id, name: role.organization.name },
  };
  if (role.className !== null) {
    claim.class = role.className;
  }
  if (role.position !== null) {
    claim.position = role.position;
  }
  if (role.kind === 'parent') {
    claim.children = role.children.map((child) => ({
      sub: child.personId,
      name: childName(child),
      organization: child.organization === null ? null : { id: child.organization.id, name: child.organization.name },
      class: child.className,
    }));
  }
  return claim;
}
