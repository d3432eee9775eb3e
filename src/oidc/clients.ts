import type { Kysely } from 'kysely';
import type { Config } from '../config/load.js';
import { CLIENT_ID_PATTERN } from '../importer/format.js';
import type { Sealer } from '../keys/sealer.js';
import { ROLE_KINDS, type RoleKind } from '../roles/kinds.js';
import type { DatabaseSchema } from '../storage/schema.js';
import { findService } from '../storage/services.js';
import type { Service } from '../storage/types.js';
import { ACCOUNT_CLIENT_ID } from './scopes.js';
import { createServiceCache } from './service-cache.js';

/** Propusk's data about a service beyond its OAuth metadata. */
export interface ServiceProfile {
  clientId: string;
  displayName: string;
  homeUrl: string;
  acceptedRoleKinds: readonly RoleKind[];
}

export interface ClientDirectory {
  /** OAuth client metadata for oidc-provider, or undefined for an unknown client. */
  metadata(clientId: string): Promise<Record<string, unknown> | undefined>;
  profile(clientId: string): Promise<ServiceProfile | undefined>;
}

/** A service's OAuth metadata and profile, derived once per cache entry. */
interface DirectoryEntry {
  metadata: Record<string, unknown>;
  profile: ServiceProfile;
}

/**
 * Services come from the database through a short per-process cache (see
 * SERVICE_CACHE_TTL_MS), so an import takes effect on every node within
 * seconds and without a restart. Propusk's own home page is one built-in
 * public client.
 */
export function createClientDirectory(db: Kysely<DatabaseSchema>, sealer: Sealer, config: Config): ClientDirectory {
  const accountHome = `${config.issuer}/`;
  const accountClient = {
    client_id: ACCOUNT_CLIENT_ID,
    client_name: 'Пропуск',
    client_uri: accountHome,
    redirect_uris: [accountHome],
    post_logout_redirect_uris: [accountHome],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  };
  const accountProfile: ServiceProfile = { clientId: ACCOUNT_CLIENT_ID, displayName: 'Пропуск', homeUrl: accountHome, acceptedRoleKinds: ROLE_KINDS };
  const cache = createServiceCache(async (clientId): Promise<DirectoryEntry | undefined> => {
    // Imports accept only ids of this form, so any other id needs no database read.
    if (!CLIENT_ID_PATTERN.test(clientId)) return undefined;
    const service = await findService(db, clientId);
    return service === undefined ? undefined : { metadata: clientMetadata(service, sealer), profile: serviceProfile(service) };
  });

  return {
    async metadata(clientId) {
      return clientId === ACCOUNT_CLIENT_ID ? accountClient : (await cache.get(clientId))?.metadata;
    },
    async profile(clientId) {
      return clientId === ACCOUNT_CLIENT_ID ? accountProfile : (await cache.get(clientId))?.profile;
    },
  };
}

function clientMetadata(service: Service, sealer: Sealer): Record<string, unknown> {
  const secret = service.clientSecretEncrypted === null ? undefined : sealer.open('client-secrets', service.clientSecretEncrypted);
  return {
    client_id: service.clientId,
    client_name: service.displayName,
    client_uri: service.homeUrl,
    redirect_uris: service.redirectUris,
    post_logout_redirect_uris: service.postLogoutRedirectUris,
    grant_types: service.grantTypes,
    response_types: service.grantTypes.includes('authorization_code') ? ['code'] : [],
    // Every logout token carries sid, and session_required makes
    // oidc-provider put the matching sid into the service's ID tokens.
    ...(service.backchannelLogoutUri === null
      ? {}
      : { backchannel_logout_uri: service.backchannelLogoutUri, backchannel_logout_session_required: true }),
    // oidc-provider signs ID tokens and logout tokens with this algorithm,
    // using the first key of the JWKS that has it (the current one).
    // NOTE: it also verifies an id_token_hint with it, so after a change an
    // ID token issued before no longer works as the hint of a logout.
    id_token_signed_response_alg: service.idTokenSignedResponseAlg,
    ...(secret === undefined
      ? { token_endpoint_auth_method: 'none' }
      : { client_secret: secret, token_endpoint_auth_method: 'client_secret_basic' }),
  };
}

function serviceProfile(service: Service): ServiceProfile {
  return {
    clientId: service.clientId,
    displayName: service.displayName,
    homeUrl: service.homeUrl,
    acceptedRoleKinds: service.acceptedRoleKinds as RoleKind[],
  };
}
