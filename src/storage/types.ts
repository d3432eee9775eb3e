/**
 * Domain types returned by the repositories. Field names are camelCase,
 * timestamps are epoch milliseconds, flags are booleans and JSON columns are
 * already parsed.
 */

export type OrganizationKind = 'school' | 'department';
export type PersonStatus = 'active' | 'blocked';
export type IdentifierKind = 'phone' | 'email' | 'snils';
export type RoleKind = 'student' | 'parent' | 'teacher' | 'staff' | 'admin';
/** JWS algorithm of a service's ID tokens and logout tokens. The keystore contains a signing key for each. */
export type IdTokenSigningAlgorithm = 'RS256' | 'ES256';
export type KeyUse = 'sig' | 'cookie';
/** `current` signs, `next` is staged (published and accepted, not yet signing), `previous` only verifies. */
export type KeyStatus = 'current' | 'next' | 'previous';

export interface Organization {
  /** Stable key from the school records, for example "school-1". */
  id: string;
  kind: OrganizationKind;
  name: string;
  shortName: string | null;
  region: string;
  createdAt: number;
  updatedAt: number;
}

export type OrganizationInput = Omit<Organization, 'createdAt' | 'updatedAt'>;

/** A person without the password hash, for lists shown to other people. */
export interface PersonProfile {
  /** UUID v4, used as the OIDC `sub`. */
  id: string;
  /** Id of the person in the school records. */
  externalId: string;
  familyName: string;
  givenName: string;
  middleName: string | null;
  /** Calendar date `YYYY-MM-DD`. */
  birthdate: string | null;
  status: PersonStatus;
  createdAt: number;
  updatedAt: number;
}

export interface Person extends PersonProfile {
  passwordHash: string | null;
}

export type PersonInput = Pick<
  PersonProfile,
  'externalId' | 'familyName' | 'givenName' | 'middleName' | 'birthdate' | 'status'
>;

export interface Identifier {
  id: number;
  personId: string;
  kind: IdentifierKind;
  /** Normalised form used for comparison (E.164 phone, lower-case e-mail, 11-digit СНИЛС). */
  value: string;
  /** E-mail as the person wrote it, or null where the normalised form is shown. */
  display: string | null;
  verified: boolean;
  createdAt: number;
}

export type IdentifierInput = Pick<Identifier, 'kind' | 'value' | 'display' | 'verified'>;

export interface RoleInput {
  kind: RoleKind;
  organizationId: string | null;
  /** Class of a student, for example "5 «А»". */
  className: string | null;
  /** Position of a staff member: завуч, директор, администратор. */
  position: string | null;
}

export interface Role extends RoleInput {
  /** Derived from the person and the role fields, so a re-import keeps it. */
  id: string;
  personId: string;
  organizationName: string | null;
  organizationShortName: string | null;
  createdAt: number;
}

export interface ChildWithStudentRoles {
  child: PersonProfile;
  /** Usually one, and empty when the school records list no class for the child. */
  studentRoles: Role[];
}

export interface ServiceInput {
  clientId: string;
  /** Encrypted client secret, or null for a public client. */
  clientSecretEncrypted: string | null;
  displayName: string;
  homeUrl: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: string[];
  acceptedRoleKinds: RoleKind[];
  backchannelLogoutUri: string | null;
  idTokenSignedResponseAlg: IdTokenSigningAlgorithm;
}

export interface Service extends ServiceInput {
  createdAt: number;
  updatedAt: number;
}

export interface StoredKeyInput {
  kid: string;
  use: KeyUse;
  /** RS256 or ES256 for signing keys, null for cookie keys. */
  alg: string | null;
  materialEncrypted: string;
  status: KeyStatus;
}

export interface StoredKey extends StoredKeyInput {
  createdAt: number;
}

export interface SessionState {
  sessionUid: string;
  personId: string;
  activeRoleId: string | null;
  expiresAt: number;
}

export interface GrantRole {
  grantId: string;
  personId: string;
  clientId: string;
  roleId: string;
  expiresAt: number | null;
}
