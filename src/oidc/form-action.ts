import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import { allowFormRedirect } from '../server/security-headers.js';

/**
 * Return the service addresses that a page of this provider response may send
 * a form to, directly or through redirects. These are the redirect_uri of an
 * authorization request, where the form_post page posts, and the
 * post_logout_redirect_uri of a logout, where the logout confirmation
 * redirects. Each is returned only when the request's client has it
 * registered, so request input alone adds nothing.
 */
function registeredFormTargets(ctx: KoaContextWithOIDC): string[] {
  const client = ctx.oidc?.client;
  const params = ctx.oidc?.params;
  if (client === undefined || params === undefined) {
    return [];
  }
  const targets: string[] = [];
  const { redirect_uri: redirectUri, post_logout_redirect_uri: postLogoutRedirectUri } = params;
  if (typeof redirectUri === 'string' && client.redirectUriAllowed(redirectUri)) {
    targets.push(redirectUri);
  }
  if (typeof postLogoutRedirectUri === 'string' && client.postLogoutRedirectUriAllowed(postLogoutRedirectUri)) {
    targets.push(postLogoutRedirectUri);
  }
  return targets;
}

/**
 * Widen the form-action directive of the provider's HTML responses (the
 * form_post page, the logout page) by the origin of the service they send the
 * browser to. The middleware runs after the provider's router, when the
 * request's client and parameters are known and the response is not yet sent.
 */
export function installFormActionPolicy(provider: Provider): void {
  provider.use(async (ctx, next) => {
    await next();
    if (!ctx.response.is('html')) {
      return;
    }
    for (const target of registeredFormTargets(ctx as KoaContextWithOIDC)) {
      allowFormRedirect(ctx.res, target);
    }
  });
}
