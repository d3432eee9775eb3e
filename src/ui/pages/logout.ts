import { html, raw } from '../html.js';
import { layout, type PageContext } from '../layout.js';

export interface LogoutPageModel {
  /** oidc-provider's own confirmation form; it carries its xsrf field. */
  providerForm: string;
  formId: string;
  /** Submit at once when the service proved who asks (a valid id_token_hint). */
  autoSubmit: boolean;
  /**
   * The service's return parameters (client_id, post_logout_redirect_uri,
   * state, ui_locales), posted along with the form so that an error page for a
   * stale confirmation can link to a fresh sign-out page that still returns
   * to the service.
   */
  returnParams: Partial<Record<string, string>>;
}

export function logoutPage(page: PageContext, model: LogoutPageModel): string {
  const { t } = page;
  const body = html`<h1>${t('logout.title')}</h1>
<p>${t('logout.question')}</p>
${raw(model.providerForm)}
${Object.entries(model.returnParams).map(([name, value]) => (value === undefined ? '' : html`<input type="hidden" form="${model.formId}" name="${name}" value="${value}">`))}
<div class="actions">
  <button type="submit" form="${model.formId}" name="logout" value="yes" class="primary"${model.autoSubmit ? html` data-auto-submit="true"` : ''}>${t('logout.confirm')}</button>
  <a class="button-link" href="/">${t('logout.cancel')}</a>
</div>`;
  return layout(page, t('logout.title'), body);
}

export function logoutDonePage(page: PageContext): string {
  const { t } = page;
  return layout(page, t('logout.done_title'), html`<h1>${t('logout.done_title')}</h1><p>${t('logout.done_body')}</p><p><a href="/">${t('error.back_home')}</a></p>`);
}
