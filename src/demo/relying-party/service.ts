/** One school service played by the demo relying party. Each service is a separate OIDC client. */
export interface DemoService {
  clientId: string;
  clientSecret: string;
  displayName: string;
  displayNameEn: string;
  /** URL path segment without slashes, e.g. `dnevnik`. */
  path: string;
}

export interface DemoRedirectUris {
  redirectUri: string;
  postLogoutRedirectUri: string;
  homeUrl: string;
}

/**
 * Returns the URIs to register at Propusk for the service at `path`.
 * `rpBase` is the demo relying party's origin, e.g. `http://localhost:3001`.
 */
export function demoRedirectUris(rpBase: string, path: string): DemoRedirectUris {
  const homeUrl = `${rpBase.replace(/\/+$/, '')}/${path}/`;
  return { redirectUri: `${homeUrl}callback`, postLogoutRedirectUri: homeUrl, homeUrl };
}
