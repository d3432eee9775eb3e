import type { Generated } from 'kysely';
import type { IdentifierKind, IdTokenSigningAlgorithm, KeyStatus, KeyUse, OrganizationKind, PersonStatus, RoleKind } from './types.js';

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

/** A login identifier, encrypted: see src/keys/identifier-cipher.ts. */
export interface IdentifiersTable {
  id: Generated<number>;
  person_id: string;
  kind: IdentifierKind;
  /** HMAC-SHA-256 of the kind and normalised value, base64url: the lookup and uniqueness key. */
  value_hmac: string;
  /** The normalised value, AES-256-GCM under data key `key_version`. */
  value_encrypted: string;
  /** The display form, encrypted like the value, or null where the normalised form is shown. */
  display_encrypted: string | null;
  /** Version of the data key (data_keys.version) that encrypted both columns. */
  key_version: number;
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
  id_token_signed_response_alg: IdTokenSigningAlgorithm;
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

/** One security event; rows are only inserted, and deleted by retention from the oldest end. */
export interface AuditEventsTable {
  seq: number;
  occurred_at: number;
  type: string;
  person_id: string | null;
  client_id: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  /** JSON object with sorted keys, hashed exactly as stored. */
  details: string;
  prev_hash: string;
  hash: string;
}

/** The single head row of the audit hash chain (id 1): the last record and the retention anchor. */
export interface AuditChainTable {
  id: number;
  last_seq: number;
  last_hash: string;
  anchor_seq: number;
  anchor_hash: string;
}

/** One back-channel logout to deliver to one service for one ended session. */
export interface BackchannelLogoutsTable {
  id: Generated<number>;
  client_id: string;
  sub: string;
  sid: string;
  reason: 'logout' | 'expired' | 'revoked';
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  /** Epoch ms when the row is next due; while a worker holds it, the end of the lease. */
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

/** A signed-in single sign-on session: when its person authenticated and when its browser was last seen. */
export interface SessionActivityTable {
  session_uid: string;
  person_id: string;
  authenticated_at: number;
  last_active_at: number;
  /** 1 for a «Чужой компьютер» session, which has the shorter lifetime. */
  shared_device: 0 | 1;
  /** Epoch ms of the end of the absolute lifetime. */
  expires_at: number;
}

/** A key that encrypts identifiers; the highest version is current. */
export interface DataKeysTable {
  version: number;
  /** 32 random bytes, base64url, sealed with the master key (purpose `data-keys`). */
  material_encrypted: string;
  created_at: number;
}

/** Data migrations already run: steps that need the master key, after the schema migrations. */
export interface DataMigrationsTable {
  name: string;
  applied_at: number;
}

/** A failed-attempt counter of the throttling; the key holds an HMAC, never an identifier. */
export interface ThrottleCountersTable {
  counter_key: string;
  failures: number;
  blocked_until: number;
  previous_blocked_until: number;
  expires_at: number;
  last_attempt: string;
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
  audit_events: AuditEventsTable;
  audit_chain: AuditChainTable;
  backchannel_logouts: BackchannelLogoutsTable;
  session_activity: SessionActivityTable;
  data_keys: DataKeysTable;
  data_migrations: DataMigrationsTable;
  throttle_counters: ThrottleCountersTable;
}
