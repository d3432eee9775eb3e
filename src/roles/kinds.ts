/** The kinds of role a person can hold. Roles come from the school records only. */
export const ROLE_KINDS = ['student', 'parent', 'teacher', 'staff', 'admin'] as const;
export type RoleKind = (typeof ROLE_KINDS)[number];

/** Positions of school staff; stored and sent in claims as these codes. */
export const STAFF_POSITIONS = ['deputy_head', 'director', 'administrator'] as const;
export type StaffPosition = (typeof STAFF_POSITIONS)[number];

export function isRoleKind(value: string): value is RoleKind {
  return (ROLE_KINDS as readonly string[]).includes(value);
}

export interface OrganizationRef {
  id: string;
  name: string;
  shortName: string | null;
}

export interface ChildRef {
  personId: string;
  familyName: string;
  givenName: string;
  middleName: string | null;
  organization: OrganizationRef | null;
  className: string | null;
}

/** A role as the login flow and the claims see it, with what it is bound to. */
export interface Role {
  id: string;
  kind: RoleKind;
  organization: OrganizationRef | null;
  className: string | null;
  position: StaffPosition | null;
  /** Only for `parent`: the children the role covers. */
  children: ChildRef[];
}
