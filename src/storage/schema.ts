import type { Generated } from 'kysely';
import type { IdentifierKind, KeyStatus, KeyUse, OrganizationKind, PersonStatus, RoleKind } from './types.js';

/*
 * Row shapes as both databases store them: timestamps are epoch milliseconds
 * in bigint columns, flags are integer 0/1 and JSON columns are text.
 */

export interface OrganizationsTable {
  id: string;
  kind: OrganizationKind;
  name: string;
  short_name: string | null;
  region: string;
  created_at: number;
  updated_at: number;
}

export interface PeopleTable {
  id: string;
  external_id: string;
  family_name: string;
  given_name: string;
  middle_name: string | null;
  birthdate: string | null;
  password_hash: string | null;
  status: PersonStatus;
  created_at: number;
  updated_at: number;
}

export interface IdentifiersTable {
  id: Generated<number>;
  person_id: string;
  kind: IdentifierKind;
  value: string;
  display: string | null;
  verified: 0 | 1;
  created_at: number;
}

export interface RolesTable {
  id: string;
  person_id: string;
  kind: RoleKind;
  organization_id: string | null;
  class_name: string | null;
  position: string | null;
  created_at: number;
}

export interface ParentLinksTable {
  parent_id: string;
  child_id: string;
  created_at: number;
}

export interface ServicesTable {
  client_id: string;
  client_secret_encrypted: string | null;
  display_name: string;
  home_url: string;
  /** JSON array of strings. */
  redirect_uris: string;
  /** JSON array of strings. */
  post_logout_redirect_uris: string;
  /** JSON array of strings. */
  grant_types: string;
  /** JSON array of role kinds. */
  accepted_role_kinds: string;
  backchannel_logout_uri: string | null;
  created_at: number;
  updated_at: number;
}

export interface KeysTable {
  kid: string;
  use: KeyUse;
  alg: string | null;
  material_encrypted: string;
  status: KeyStatus;
  created_at: number;
}

export interface OidcPayloadsTable {
  model: string;
  id: string;
  /** JSON object written by oidc-provider. */
  payload: string;
  grant_id: string | null;
  user_code: string | null;
  uid: string | null;
  expires_at: number | null;
  consumed_at: number | null;
}

export interface SessionStateTable {
  session_uid: string;
  person_id: string;
  active_role_id: string | null;
  expires_at: number;
}

export interface GrantRolesTable {
  grant_id: string;
  person_id: string;
  client_id: string;
  role_id: string;
  expires_at: number | null;
}

export interface DatabaseSchema {
  organizations: OrganizationsTable;
  people: PeopleTable;
  identifiers: IdentifiersTable;
  roles: RolesTable;
  parent_links: ParentLinksTable;
  services: ServicesTable;
  keys: KeysTable;
  oidc_payloads: OidcPayloadsTable;
  session_state: SessionStateTable;
  grant_roles: GrantRolesTable;
}
