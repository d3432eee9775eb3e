/**
 * Query parameters whose values are secrets or personal data: authorization
 * codes, tokens, login hints (a phone, e-mail or СНИЛС typed by the person).
 */
const SENSITIVE_PARAMS = new Set([
  'code',
  'code_verifier',
  'state',
  'nonce',
  'id_token_hint',
  'login_hint',
  'logout_hint',
  'request',
  'id_token',
  'client_assertion',
  'assertion',
  'token',
  'refresh_token',
  'access_token',
  'client_secret',
  'password',
]);

/** Replace the values of sensitive query parameters in a request URL. */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) {
    return url;
  }
  const params = new URLSearchParams(url.slice(queryStart + 1));
  for (const name of [...params.keys()]) {
    if (SENSITIVE_PARAMS.has(name.toLowerCase())) {
      params.set(name, '[redacted]');
    }
  }
  return `${url.slice(0, queryStart)}?${params.toString()}`;
}
