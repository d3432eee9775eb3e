import { errors, type Configuration } from 'oidc-provider';
import type { Config } from '../config/load.js';
import type { LoadedKeys } from '../keys/keystore.js';
import { remainingSessionSeconds, sessionLifetimes } from '../sessions/lifetimes.js';
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

/**
 * Cookie names of oidc-provider. Over https the session cookie (Path=/) gets
 * the `__Host-` prefix, so the browser takes it only with Secure, Path=/ and no
 * Domain. The interaction and resume cookies are scoped to one interaction's
 * path, which `__Host-` forbids, so they get `__Secure-`.
 */
function providerCookieNames(secure: boolean): { session: string; interaction: string; resume: string } {
  const [hostPrefix, securePrefix] = secure ? ['__Host-', '__Secure-'] : ['', ''];
  return {
    session: `${hostPrefix}propusk-session`,
    interaction: `${securePrefix}propusk-interaction`,
    resume: `${securePrefix}propusk-resume`,
  };
}

/** Options of the session cookie (oidc-provider's `cookies.long`), also used when Propusk changes the session id itself. */
export function sessionCookieOptions(secure: boolean) {
  return { signed: true, httpOnly: true, sameSite: 'lax', secure } as const;
}

/** Build the whole oidc-provider configuration of Propusk, in one place. */
export function buildConfiguration(parts: ConfigurationParts): Configuration {
  const { config, keys } = parts;
  const secure = config.issuer.startsWith('https://');
  return {
    adapter: parts.adapter,
    findAccount: parts.findAccount,
    jwks: { keys: keys.jwks as NonNullable<Configuration['jwks']>['keys'] },
    cookies: {
      keys: keys.cookieKeys,
      names: providerCookieNames(secure),
      long: sessionCookieOptions(secure),
      short: { signed: true, httpOnly: true, sameSite: 'lax', secure },
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
      // Accepts backchannel_logout_uri in client metadata and advertises it in
      // discovery. Delivery goes through Propusk's queue (backchannel-logout.ts).
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: createLogoutSource(config.demo),
        postLogoutSuccessSource: createPostLogoutSuccessSource(config.demo),
      },
      // A service may revoke only its own tokens. Another service's token gets invalid_request;
      // a public client, which cannot prove who it is, gets the plain 200 of RFC 7009.
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => {
          if (token.clientId === client.clientId) {
            return true;
          }
          if (client.clientAuthMethod === 'none') {
            return false;
          }
          throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
        },
      },
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
      // Counted from the login, so that saving the session on each request does not extend it.
      Session: (_ctx, session) => remainingSessionSeconds(sessionLifetimes(config), session, Date.now()),
    },
  };
}
