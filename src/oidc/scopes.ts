/**
 * Scopes and the claims each one releases. `roles` is Propusk's own scope:
 * `role` is the session's active role for this service, `roles` every role
 * of the person that the service accepts.
 */
export const CLAIMS_BY_SCOPE = {
  openid: ['sub'],
  profile: ['family_name', 'given_name', 'middle_name', 'name', 'birthdate'],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
  roles: ['role', 'roles'],
} as const;

/**
 * `offline_access` is not offered: every refresh token ends with the single
 * sign-on session (logout, idle and absolute lifetimes), so logging out of
 * Propusk always ends the services' access too.
 */
export const SCOPES = ['openid', ...Object.keys(CLAIMS_BY_SCOPE).filter((s) => s !== 'openid')];

/** Route prefix of the protocol endpoints; discovery stays at the issuer root. */
export const OIDC_PREFIX = '/oidc';

export const ROUTES = {
  authorization: `${OIDC_PREFIX}/auth`,
  backchannel_authentication: `${OIDC_PREFIX}/backchannel`,
  code_verification: `${OIDC_PREFIX}/device`,
  device_authorization: `${OIDC_PREFIX}/device/auth`,
  end_session: `${OIDC_PREFIX}/session/end`,
  introspection: `${OIDC_PREFIX}/token/introspection`,
  jwks: `${OIDC_PREFIX}/jwks`,
  pushed_authorization_request: `${OIDC_PREFIX}/request`,
  registration: `${OIDC_PREFIX}/reg`,
  revocation: `${OIDC_PREFIX}/token/revocation`,
  token: `${OIDC_PREFIX}/token`,
  userinfo: `${OIDC_PREFIX}/me`,
  challenge: `${OIDC_PREFIX}/challenge`,
};

/** The client that Propusk's own home page uses to sign a person in. */
export const ACCOUNT_CLIENT_ID = 'propusk-account';
