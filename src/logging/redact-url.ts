import { REDACTION_CENSOR } from './redact-secrets.js';

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

/**
 * Replace the values of sensitive query parameters in a request URL with
 * REDACTION_CENSOR, as in the other fields of a log line. The censor is
 * written as it is, not percent-encoded, so that it reads the same in both.
 */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) {
    return url;
  }
  const pairs: string[] = [];
  for (const [name, value] of new URLSearchParams(url.slice(queryStart + 1))) {
    const loggedValue = SENSITIVE_PARAMS.has(name.toLowerCase()) ? REDACTION_CENSOR : encodeURIComponent(value);
    pairs.push(`${encodeURIComponent(name)}=${loggedValue}`);
  }
  return `${url.slice(0, queryStart)}?${pairs.join('&')}`;
}
