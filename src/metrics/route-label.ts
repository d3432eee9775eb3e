import { ROUTES } from '../oidc/scopes.js';
import { requestPath } from '../server/request-path.js';

/** Label of requests that matched no route: 404s, probes for random paths. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * oidc-provider's endpoints, longest path first so that a nested endpoint
 * (`/oidc/token/introspection`) wins over its parent (`/oidc/token`).
 */
const PROVIDER_ENDPOINTS: ReadonlyArray<{ path: string; label: string }> = [
  ...Object.entries(ROUTES).map(([name, path]) => ({ path, label: `oidc:${name}` })),
  { path: '/.well-known/openid-configuration', label: 'oidc:discovery' },
  { path: '/.well-known', label: 'oidc:well_known_other' },
].sort((a, b) => b.path.length - a.path.length);

/**
 * Name the route of a request for the `route` label. Fastify routes give their
 * pattern (`/interaction/:uid/login`). oidc-provider's paths reach no Fastify
 * route, so they get the name of their endpoint from a fixed list. The raw URL
 * is never used, so ids in paths cannot multiply the label values.
 */
export function routeLabel(routePattern: string | undefined, url: string): string {
  if (routePattern !== undefined) {
    return routePattern;
  }
  // oidc-provider's router ignores the case of a path, so /oidc/TOKEN is the token endpoint too.
  const path = requestPath(url).toLowerCase();
  for (const endpoint of PROVIDER_ENDPOINTS) {
    if (path === endpoint.path || path.startsWith(`${endpoint.path}/`)) {
      return endpoint.label;
    }
  }
  return UNMATCHED_ROUTE;
}
