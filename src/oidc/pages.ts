import type { KoaContextWithOIDC } from 'oidc-provider';
import type { MessageKey } from '../i18n/catalogues/ru.js';
import { negotiateLocale } from '../i18n/locales.js';
import { translator } from '../i18n/translate.js';
import { cspNonceOf } from '../server/security-headers.js';
import { waitText } from '../throttling/wait-text.js';
import type { PageContext } from '../ui/layout.js';
import { errorPage } from '../ui/pages/error.js';
import { logoutDonePage, logoutPage } from '../ui/pages/logout.js';
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

function pageContext(ctx: KoaContextWithOIDC, demo: boolean): PageContext {
  const uiLocales = (ctx.oidc?.params?.ui_locales as string | undefined) ?? undefined;
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
    const page = pageContext(ctx, demo);
    const requestId = ctx.get('x-request-id') || null;
    ctx.type = 'html';
    const unavailable = unwrapUnavailable(error);
    if (unavailable !== undefined) {
      const params = { wait: waitText(page.t, page.locale, unavailable.retryAfterSeconds) };
      ctx.body = errorPage(page, { messageKey: 'error.temporarily_unavailable', requestId, params });
      return;
    }
    ctx.body = errorPage(page, { messageKey: ERROR_MESSAGES[out.error] ?? 'error.generic', requestId });
  };
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
    ctx.body = logoutPage(pageContext(ctx, demo), { providerForm: form, formId: 'op.logoutForm', autoSubmit });
  };
}

export function createPostLogoutSuccessSource(demo: boolean) {
  return async (ctx: KoaContextWithOIDC): Promise<void> => {
    ctx.type = 'html';
    ctx.body = logoutDonePage(pageContext(ctx, demo));
  };
}
