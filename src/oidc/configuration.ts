import type { Configuration } from 'oidc-provider';
import type { Config } from '../config/load.js';
import type { LoadedKeys } from '../keys/keystore.js';
import type { ClientDirectory } from './clients.js';
import { loadOrCreateGrant } from './grants.js';
import { createLogoutSource, createPostLogoutSuccessSource, createRenderError } from './pages.js';
import { CLAIMS_BY_SCOPE, ROUTES, SCOPES } from './scopes.js';

export interface ConfigurationParts {
  config: Config;
  keys: LoadedKeys;
  adapter: Configuration['adapter'];
  findAccount: Configuration['findAccount'];
  policy: NonNullable<Configuration['interactions']>['policy'];
  clients: ClientDirectory;
}

const AUTHORIZATION_CODE_TTL = 60;
const INTERACTION_TTL = 15 * 60;
const ID_TOKEN_TTL = 3600;

/** Build the whole oidc-provider configuration of Propusk, in one place. */
export function buildConfiguration(parts: ConfigurationParts): Configuration {
  const { config, keys } = parts;
  return {
    adapter: parts.adapter,
    findAccount: parts.findAccount,
    jwks: { keys: keys.jwks as NonNullable<Configuration['jwks']>['keys'] },
    cookies: {
      keys: keys.cookieKeys,
      long: { signed: true, httpOnly: true, sameSite: 'lax' },
      short: { signed: true, httpOnly: true, sameSite: 'lax' },
    },
    claims: Object.fromEntries(Object.entries(CLAIMS_BY_SCOPE).map(([scope, claims]) => [scope, [...claims]])),
    scopes: SCOPES,
    // Claims released by scope go into the ID token too, so a service sees
    // the person and the active role without a userinfo call.
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    // Services authenticate with HTTP Basic; Propusk's own home page is public.
    clientAuthMethods: ['client_secret_basic', 'none'],
    pkce: { required: () => true },
    allowOmittingSingleRegisteredRedirectUri: false,
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: createLogoutSource(config.demo),
        postLogoutSuccessSource: createPostLogoutSuccessSource(config.demo),
      },
      revocation: { enabled: true },
      // A service may introspect only its own tokens.
      introspection: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      userinfo: { enabled: true },
      clientCredentials: { enabled: true },
    },
    routes: ROUTES,
    interactions: {
      policy: parts.policy,
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    loadExistingGrant: loadOrCreateGrant,
    // The school's own services get refresh tokens when registered with the
    // refresh_token grant, without the offline_access consent dance.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    renderError: createRenderError(config.demo),
    ttl: {
      AccessToken: config.accessTokenTtl,
      AuthorizationCode: AUTHORIZATION_CODE_TTL,
      ClientCredentials: config.accessTokenTtl,
      IdToken: ID_TOKEN_TTL,
      Interaction: INTERACTION_TTL,
      Grant: config.refreshTokenTtl,
      RefreshToken: config.refreshTokenTtl,
      Session: (_ctx, session) => (session.transient === true ? config.sharedDeviceSessionTtl : config.sessionTtl),
    },
  };
}
