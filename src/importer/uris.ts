/** Loopback host names: plain http to them stays on the user's own machine. */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Return why `value` cannot be a redirect, post-logout redirect or
 * back-channel logout URI, or undefined when it can. The URI must be absolute
 * and without a fragment (OAuth 2.0, RFC 6749 section 3.1.2, and Back-Channel
 * Logout 1.0 section 2.2), and it must use https unless it points
 * at a loopback host, where http is allowed for local development.
 */
export function redirectUriProblem(value: string): string | undefined {
  const url = URL.parse(value);
  if (url === null) {
    return 'must be an absolute URI';
  }
  if (value.includes('#')) {
    return 'must not contain a fragment (#)';
  }
  if (url.username !== '' || url.password !== '') {
    return 'must not contain a user name or password';
  }
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
  return secure ? undefined : 'must use https (http is allowed only for localhost, 127.0.0.1 and [::1])';
}

/** Return why `value` cannot be a service's home page URL, or undefined when it can. */
export function homeUrlProblem(value: string): string | undefined {
  const url = URL.parse(value);
  if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    return 'must be an absolute http or https URL';
  }
  if (url.username !== '' || url.password !== '') {
    return 'must not contain a user name or password';
  }
  return undefined;
}
