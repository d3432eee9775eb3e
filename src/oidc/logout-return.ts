/**
 * The parameters that send a person back to the service after a sign-out.
 * The sign-out page posts them along with its confirmation form, and
 * oidc-provider 9's end_session_confirm keeps only `xsrf` and `logout` of its
 * body (lib/actions/end_session.js), so it ignores them. When that confirmation
 * is stale, the error page links to a fresh sign-out page with them. A forged
 * POST can set any value, so they are untrusted there. The fresh GET checks
 * post_logout_redirect_uri against the service's registration again, and the
 * values only ever form the query string of Propusk's own end-session URL.
 */
export type LogoutReturnParams = {
  client_id?: string;
  post_logout_redirect_uri?: string;
  state?: string;
  ui_locales?: string;
};

/** Maximum length of a carried value once percent-encoded, so that a forged form cannot make the fresh link's URL too long to open. */
const MAX_ENCODED_LENGTH = 2048;

/** Language tags separated by spaces, as `ui_locales` lists them. */
const UI_LOCALES_PATTERN = /^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*(?: [A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*)*$/;

function singleText(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' && encodeURIComponent(value).length <= MAX_ENCODED_LENGTH ? value : undefined;
}

function isHttpUrl(value: string): boolean {
  const url = URL.parse(value);
  return url !== null && (url.protocol === 'https:' || url.protocol === 'http:');
}

/**
 * Select the return parameters from `source`, dropping any value that is
 * missing, repeated (an array), too long or malformed. post_logout_redirect_uri
 * counts only with a client_id and state only with post_logout_redirect_uri,
 * because oidc-provider uses them only in that case.
 */
export function selectLogoutReturn(source: Record<string, unknown> | undefined): LogoutReturnParams {
  const selected: LogoutReturnParams = {};
  const clientId = singleText(source?.client_id);
  const postLogoutRedirectUri = singleText(source?.post_logout_redirect_uri);
  const state = singleText(source?.state);
  const uiLocales = singleText(source?.ui_locales);
  if (clientId !== undefined) {
    selected.client_id = clientId;
    if (postLogoutRedirectUri !== undefined && isHttpUrl(postLogoutRedirectUri)) {
      selected.post_logout_redirect_uri = postLogoutRedirectUri;
      if (state !== undefined) {
        selected.state = state;
      }
    }
  }
  if (uiLocales !== undefined && UI_LOCALES_PATTERN.test(uiLocales)) {
    selected.ui_locales = uiLocales;
  }
  return selected;
}

/** Build the end-session URL with the return parameters as its query string. */
export function freshLogoutUrl(endSessionUrl: string, params: LogoutReturnParams): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) {
      query.set(name, value);
    }
  }
  return query.size === 0 ? endSessionUrl : `${endSessionUrl}?${query.toString()}`;
}
