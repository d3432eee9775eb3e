/** Return the path of a request URL (`/oidc/auth?x=1` → `/oidc/auth`): the request target without its query. */
export function requestPath(url: string): string {
  const queryStart = url.indexOf('?');
  return queryStart === -1 ? url : url.slice(0, queryStart);
}
