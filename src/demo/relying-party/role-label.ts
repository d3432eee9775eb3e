// Turns the `role` and `roles` ID token claims into display text. Propusk
// sends each role as { kind, label, organization: { id, name } | null, ... }
// (RoleClaim in src/roles/claim.ts). The demo reads the claims as untrusted
// JSON and shows a value of any other shape as JSON.

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function organizationName(organization: unknown): string | undefined {
  return isRecord(organization) && typeof organization.name === 'string' ? organization.name : undefined;
}

/** Returns `label` if present, else "kind, organization name", else the value as JSON. */
export function describeRole(role: unknown): string | undefined {
  if (role === undefined || role === null) return undefined;
  if (typeof role === 'string') return role;
  if (!isRecord(role)) return JSON.stringify(role);
  if (typeof role.label === 'string' && role.label !== '') return role.label;
  if (typeof role.kind !== 'string') return JSON.stringify(role);

  const organization = organizationName(role.organization);
  return organization === undefined ? role.kind : `${role.kind}, ${organization}`;
}

export function describeRoles(roles: unknown): string[] {
  if (!Array.isArray(roles)) return [];
  return roles.map(describeRole).filter((label) => label !== undefined);
}
