import type { KoaContextWithOIDC } from 'oidc-provider';
import type { MessageKey } from '../i18n/catalogues/ru.js';
import { negotiateLocale } from '../i18n/locales.js';
import { translator } from '../i18n/translate.js';
import { cspNonceOf } from '../server/security-headers.js';
import { waitText } from '../throttling/wait-text.js';
import type { PageContext } from '../ui/layout.js';
import { escapeHtml } from '../ui/html.js';
import { errorPage } from '../ui/pages/error.js';
import { logoutDonePage, logoutPage } from '../ui/pages/logout.js';
import { freshLogoutUrl, selectLogoutReturn, type LogoutReturnParams } from './logout-return.js';
import { unwrapUnavailable } from './storage-unavailable.js';

const ERROR_MESSAGES: Record<string, MessageKey> = {
  invalid_client: 'error.invalid_client',
  invalid_redirect_uri: 'error.invalid_redirect_uri',
  invalid_request: 'error.invalid_request',
  invalid_request_uri: 'error.invalid_request',
  invalid_request_object: 'error.invalid_request',
  unsupported_response_type: 'error.invalid_request',
  invalid_scope: 'error.invalid_request',
  unauthorized_client: 'error.invalid_request',
  session_not_found: 'error.interaction_expired',
};

function pageContext(ctx: KoaContextWithOIDC, demo: boolean, uiLocales = ctx.oidc?.params?.ui_locales as string | undefined): PageContext {
  const locale = negotiateLocale(uiLocales, ctx.get('accept-language'));
  return { locale, t: translator(locale), demo, nonce: cspNonceOf(ctx.req) };
}

/**
 * Errors oidc-provider cannot send back to the service (an unknown client or
 * redirect_uri among them) become a page. The page never shows the error
 * description: it may echo request input, and the log has it.
 */
export function createRenderError(demo: boolean) {
  return async (ctx: KoaContextWithOIDC, out: { error: string }, error?: unknown): Promise<void> => {
    const route = ctx.oidc?.route;
    // The confirmation's own parameters are only xsrf and logout, so its page language comes from the carried ui_locales.
    const returnParams = route === 'end_session_confirm' ? selectLogoutReturn(ctx.oidc.body) : {};
    const page = pageContext(ctx, demo, returnParams.ui_locales);
    const requestId = ctx.get('x-request-id') || null;
    ctx.type = 'html';
    const unavailable = unwrapUnavailable(error);
    if (unavailable !== undefined) {
      const params = { wait: waitText(page.t, page.locale, unavailable.retryAfterSeconds) };
      ctx.body = errorPage(page, { messageKey: 'error.temporarily_unavailable', requestId, params });
      return;
    }
    if (route === 'end_session_confirm' || route === 'end_session') {
      logoutError(ctx, page, requestId, route, returnParams);
      return;
    }
    ctx.body = errorPage(page, { messageKey: ERROR_MESSAGES[out.error] ?? 'error.generic', requestId });
  };
}

/**
 * Render a failed sign-out. The confirmation fails when its form token is no longer
 * the session's, because the sign-out page was opened again (in another tab,
 * say) or the sign-out already finished there. With a signed-in person in the
 * request, the page states that the person is still signed in. Without one it
 * claims neither: a cross-site POST arrives without the SameSite=Lax session
 * cookie, so a page reporting the sign-out as done would be false for a person
 * still signed in. Both link to a fresh sign-out page, which signs out or,
 * without a session, ends at the signed-out page. For a stale confirmation the
 * link carries the service's return parameters that the sign-out page posted
 * along, so the fresh sign-out still ends at the service. A service's invalid
 * request (an unregistered post_logout_redirect_uri, a foreign id_token_hint)
 * gets the link without them, so the person can still sign out of Propusk itself.
 */
function logoutError(
  ctx: KoaContextWithOIDC,
  page: PageContext,
  requestId: string | null,
  route: 'end_session_confirm' | 'end_session',
  returnParams: LogoutReturnParams,
): void {
  let messageKey: MessageKey = 'error.invalid_logout_request';
  let href = ctx.oidc.urlFor('end_session');
  if (route === 'end_session_confirm') {
    messageKey = ctx.oidc.session?.accountId === undefined ? 'error.logout_stale' : 'error.logout_stale_signed_in';
    href = freshLogoutUrl(href, returnParams);
  }
  ctx.body = errorPage(page, { messageKey, requestId, next: { href, labelKey: 'error.logout_again' } });
}

/** Select the return parameters of a sign-out request that oidc-provider accepted, for its confirmation form. */
function acceptedLogoutReturn(ctx: KoaContextWithOIDC): LogoutReturnParams {
  const { params } = ctx.oidc;
  return selectLogoutReturn({
    // With an id_token_hint alone the client comes from the token's audience.
    client_id: ctx.oidc.client?.clientId,
    post_logout_redirect_uri: params?.post_logout_redirect_uri,
    state: params?.state,
    ui_locales: params?.ui_locales,
  });
}

export function createLogoutSource(demo: boolean) {
  return async (ctx: KoaContextWithOIDC, form: string): Promise<void> => {
    // Sign out without asking only when the hint names the person signed in
    // here: any other valid ID token (an attacker's own, say) must not be
    // able to end this browser's session from another site.
    const hint = ctx.oidc.entities.IdTokenHint as { payload?: { sub?: unknown } } | undefined;
    const sessionAccount = ctx.oidc.session?.accountId;
    const autoSubmit = sessionAccount !== undefined && hint?.payload?.sub === sessionAccount;
    ctx.type = 'html';
    ctx.body = logoutPage(pageContext(ctx, demo), { providerForm: form, formId: 'op.logoutForm', autoSubmit, returnParams: acceptedLogoutReturn(ctx) });
  };
}

/**
 * Without a signed-in person, oidc-provider returns its own form_post page
 * for the sign-out page, which submits itself by script and is English for a
 * browser without JavaScript. Replace it with Propusk's sign-out page, which
 * submits the same form (its token and `logout=yes`) and keeps the button
 * for such a browser.
 */
export function createAnonymousLogoutPage(demo: boolean) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<unknown>): Promise<void> => {
    await next();
    if (ctx.oidc?.route !== 'end_session' || ctx.status !== 200 || ctx.oidc.session?.accountId !== undefined) {
      return;
    }
    const secret = (ctx.oidc.session?.state as { secret?: unknown } | undefined)?.secret;
    if (typeof secret !== 'string') {
      return;
    }
    const formId = 'op.logoutForm';
    const form = `<form id="${formId}" method="post" action="${escapeHtml(ctx.oidc.urlFor('end_session_confirm'))}"><input type="hidden" name="xsrf" value="${escapeHtml(secret)}"/></form>`;
    ctx.type = 'html';
    ctx.body = logoutPage(pageContext(ctx, demo), { providerForm: form, formId, autoSubmit: true, returnParams: acceptedLogoutReturn(ctx) });
  };
}

/**
 * Replace Koa's plain-text "Not Found" for a path or method the provider has
 * no route for (a mistyped /oidc/ address, PUT on the end-session endpoint)
 * with Propusk's error page, in the person's language.
 */
export function createNotFoundPage(demo: boolean) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<unknown>): Promise<void> => {
    await next();
    if (ctx.status !== 404 || ctx.body !== undefined) {
      return;
    }
    // Set explicitly: Koa turns an implicit 404 into 200 once a body is set.
    ctx.status = 404;
    ctx.type = 'html';
    ctx.body = errorPage(pageContext(ctx, demo), { messageKey: 'error.not_found', requestId: null });
  };
}

export function createPostLogoutSuccessSource(demo: boolean) {
  return async (ctx: KoaContextWithOIDC): Promise<void> => {
    ctx.type = 'html';
    ctx.body = logoutDonePage(pageContext(ctx, demo));
  };
}
