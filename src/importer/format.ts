import { z } from 'zod';
import { SIGNING_ALGORITHMS } from '../keys/keystore.js';
import { ACCOUNT_CLIENT_ID } from '../oidc/scopes.js';
import { ROLE_KINDS, STAFF_POSITIONS, type RoleKind } from '../roles/kinds.js';
import type { IdTokenSigningAlgorithm, OrganizationKind } from '../storage/types.js';
import {
  MAX_CLIENT_SECRET_LENGTH,
  MAX_INITIAL_PASSWORD_LENGTH,
  MIN_CLIENT_SECRET_LENGTH,
  MIN_INITIAL_PASSWORD_LENGTH,
  emailField,
  externalId,
  homeUrl,
  optionalList,
  optionalText,
  phoneField,
  redirectUri,
  snilsField,
  text,
  uniqueList,
} from './fields.js';

/*
 * The import file: JSON with snake_case keys and three optional top-level
 * arrays. Each record is a strict object, so a misspelt key is reported
 * instead of being ignored. Rules that span several fields of a person or a
 * service, or several records, are in record-rules.ts, file-rules.ts and
 * database-rules.ts.
 */

export const ORGANIZATION_KINDS = ['school', 'department'] as const satisfies readonly OrganizationKind[];

/** Grant types a service may use; oidc-provider supports more, Propusk offers these. */
export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;

/** Algorithms a service may choose for its ID tokens: those of Propusk's signing keys, which storage must be able to hold. */
const ID_TOKEN_SIGNING_ALGORITHMS = SIGNING_ALGORITHMS satisfies readonly IdTokenSigningAlgorithm[];

/** Letters, digits, dot, dash and underscore: a client id appears in URLs and logs unescaped. */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export const organizationSchema = z.strictObject({
  id: externalId,
  kind: z.enum(ORGANIZATION_KINDS),
  name: text(300),
  short_name: optionalText(100),
  region: text(100),
});

export const serviceSchema = z.strictObject({
  client_id: z
    .string()
    .regex(CLIENT_ID_PATTERN, 'must be 1 to 100 Latin letters, digits, dots, dashes or underscores, starting with a letter or digit')
    .refine((value) => value !== ACCOUNT_CLIENT_ID, `"${ACCOUNT_CLIENT_ID}" is reserved for Propusk's own account pages`),
  client_secret: z
    .string()
    .min(MIN_CLIENT_SECRET_LENGTH, `must be at least ${MIN_CLIENT_SECRET_LENGTH} characters`)
    .max(MAX_CLIENT_SECRET_LENGTH, `must be at most ${MAX_CLIENT_SECRET_LENGTH} characters`)
    .nullish()
    .transform((value) => value ?? null),
  display_name: text(100),
  home_url: homeUrl,
  redirect_uris: uniqueList(redirectUri),
  post_logout_redirect_uris: optionalList(uniqueList(redirectUri)),
  backchannel_logout_uri: redirectUri.nullish().transform((value) => value ?? null),
  // RS256 when absent: the default of OpenID Connect Dynamic Client Registration 1.0.
  id_token_signed_response_alg: z
    .enum(ID_TOKEN_SIGNING_ALGORITHMS, `must be one of: ${ID_TOKEN_SIGNING_ALGORITHMS.join(', ')} (leave it out for RS256)`)
    .nullish()
    .transform((value): IdTokenSigningAlgorithm => value ?? 'RS256'),
  grant_types: uniqueList(z.enum(GRANT_TYPES)).refine((list) => list.length > 0, 'must list at least one grant type'),
  accepted_role_kinds: uniqueList(z.enum(ROLE_KINDS)).refine((list) => list.length > 0, 'must list at least one role kind'),
});

/** One role; which of organization, class and position a kind needs is checked here. */
export const roleSchema = z
  .strictObject({
    kind: z.enum(ROLE_KINDS),
    organization: externalId.nullish().transform((value) => value ?? null),
    class: optionalText(50),
    position: z
      .enum(STAFF_POSITIONS)
      .nullish()
      .transform((value) => value ?? null),
  })
  .superRefine((role, context) => {
    const requirement = ROLE_FIELDS[role.kind];
    for (const field of ['organization', 'class', 'position'] as const) {
      const rule = requirement[field];
      if (rule === 'required' && role[field] === null) {
        context.addIssue({ code: 'custom', path: [field], message: `is required for a ${role.kind} role` });
      }
      if (rule === 'forbidden' && role[field] !== null) {
        context.addIssue({ code: 'custom', path: [field], message: `is not allowed for a ${role.kind} role` });
      }
    }
  });

type FieldRule = 'required' | 'optional' | 'forbidden';

/** Role fields that each kind requires, allows or forbids. A parent's school is the children's, so the role has none. */
const ROLE_FIELDS: Record<RoleKind, Record<'organization' | 'class' | 'position', FieldRule>> = {
  student: { organization: 'required', class: 'required', position: 'forbidden' },
  teacher: { organization: 'required', class: 'forbidden', position: 'forbidden' },
  staff: { organization: 'required', class: 'forbidden', position: 'required' },
  admin: { organization: 'optional', class: 'forbidden', position: 'forbidden' },
  parent: { organization: 'forbidden', class: 'forbidden', position: 'forbidden' },
};

export const personSchema = z.strictObject({
  id: externalId,
  family_name: text(100),
  given_name: text(100),
  middle_name: optionalText(100),
  birthdate: z.iso
    .date('must be a date in the form YYYY-MM-DD')
    .nullish()
    .transform((value) => value ?? null),
  phone: phoneField,
  email: emailField,
  snils: snilsField,
  initial_password: z
    .string()
    .min(MIN_INITIAL_PASSWORD_LENGTH, `must be at least ${MIN_INITIAL_PASSWORD_LENGTH} characters`)
    .max(MAX_INITIAL_PASSWORD_LENGTH, `must be at most ${MAX_INITIAL_PASSWORD_LENGTH} characters`)
    .nullish()
    .transform((value) => value ?? null),
  roles: optionalList(z.array(roleSchema)),
  children: optionalList(z.array(externalId)),
});

/** The whole file; validate.ts parses it record by record to report every problem at once. */
export const importFileSchema = z.strictObject({
  organizations: z.array(organizationSchema).optional(),
  services: z.array(serviceSchema).optional(),
  people: z.array(personSchema).optional(),
});

export type OrganizationRecord = z.output<typeof organizationSchema>;
export type ServiceRecord = z.output<typeof serviceSchema>;
export type RoleRecord = z.output<typeof roleSchema>;
export type PersonRecord = z.output<typeof personSchema>;
export type ImportFile = z.input<typeof importFileSchema>;
