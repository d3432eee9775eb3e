import type { Sealer } from '../keys/sealer.js';
import type { OrganizationInput, PersonInput, RoleInput, ServiceInput } from '../storage/types.js';
import type { ParsedIdentifier } from './fields.js';
import { validIdentifiers } from './file-rules.js';
import type { OrganizationRecord, PersonRecord, RoleRecord, ServiceRecord } from './format.js';
import type { ValidatedImport } from './validate.js';

/** A person ready to write: repository inputs plus the place in the file for error messages. */
export interface PlannedPerson {
  index: number;
  /** The person's fields; the status is not in the file, so a stored status is kept. */
  person: Omit<PersonInput, 'status'>;
  identifiers: ParsedIdentifier[];
  roles: RoleInput[];
  /** External ids of the children, from the file or the database. */
  children: string[];
  /** Hash of `initial_password`, stored only if the person still has no password. */
  passwordHash: string | null;
}

/** Everything one import writes, in repository form; secrets are already sealed and passwords hashed. */
export interface ImportPlan {
  organizations: OrganizationInput[];
  services: ServiceInput[];
  people: PlannedPerson[];
}

export function buildPlan(validated: ValidatedImport, sealer: Sealer, passwordHashes: ReadonlyMap<string, string>): ImportPlan {
  return {
    organizations: validated.organizations.map(({ record }) => toOrganizationInput(record)),
    services: validated.services.map(({ record }) => toServiceInput(record, sealer)),
    people: validated.people.map(({ index, record }) => toPlannedPerson(index, record, passwordHashes)),
  };
}

function toOrganizationInput(record: OrganizationRecord): OrganizationInput {
  return {
    id: record.id,
    kind: record.kind,
    name: record.name,
    shortName: record.short_name,
    region: record.region,
  };
}

function toServiceInput(record: ServiceRecord, sealer: Sealer): ServiceInput {
  return {
    clientId: record.client_id,
    clientSecretEncrypted: record.client_secret === null ? null : sealer.seal('client-secrets', record.client_secret),
    displayName: record.display_name,
    homeUrl: record.home_url,
    redirectUris: record.redirect_uris,
    postLogoutRedirectUris: record.post_logout_redirect_uris,
    grantTypes: record.grant_types,
    acceptedRoleKinds: record.accepted_role_kinds,
    backchannelLogoutUri: record.backchannel_logout_uri,
    idTokenSignedResponseAlg: record.id_token_signed_response_alg,
  };
}

function toPlannedPerson(index: number, record: PersonRecord, passwordHashes: ReadonlyMap<string, string>): PlannedPerson {
  return {
    index,
    person: {
      externalId: record.id,
      familyName: record.family_name,
      givenName: record.given_name,
      middleName: record.middle_name,
      birthdate: record.birthdate,
    },
    identifiers: validIdentifiers(record),
    roles: record.roles.map(toRoleInput),
    children: record.children,
    passwordHash: passwordHashes.get(record.id) ?? null,
  };
}

function toRoleInput(role: RoleRecord): RoleInput {
  return {
    kind: role.kind,
    organizationId: role.organization,
    className: role.class,
    position: role.position,
  };
}
