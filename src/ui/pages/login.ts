import type { MessageKey } from '../../i18n/catalogues/ru.js';
import { retryAfterText, waitText } from '../../throttling/wait-text.js';
import { html } from '../html.js';
import { layout, type PageContext } from '../layout.js';

export interface LoginPageModel {
  action: string;
  csrfToken: string;
  clientName: string | null;
  /** The login as typed, shown again after an error. The password is never shown again. */
  identifier: string;
  sharedDevice: boolean;
  errors: MessageKey[];
  /** Set while a failed-attempt delay runs: the page says when to try again. */
  retryAfterSeconds?: number;
  /** Set when the server was too busy to check the password: the page asks the person to try again after this many seconds. */
  overloadRetryAfterSeconds?: number;
}

export function loginPage(page: PageContext, model: LoginPageModel): string {
  const { t } = page;
  const overload = model.overloadRetryAfterSeconds;
  const hasErrors = model.errors.length > 0 || overload !== undefined || model.retryAfterSeconds !== undefined;
  const listed = model.errors.length > 0 || overload !== undefined;
  const describedBy = hasErrors ? 'login-errors' : undefined;

  const errorBox = hasErrors
    ? html`<div class="errors" id="login-errors" role="alert" tabindex="-1">
  <p class="errors-heading">${t('login.errors_heading')}</p>
  ${listed ? html`<ul>${model.errors.map((key) => html`<li>${t(key)}</li>`)}${overload === undefined ? '' : html`<li>${t('overload.retry_after', { wait: waitText(t, page.locale, overload) })}</li>`}</ul>` : ''}
  ${model.retryAfterSeconds === undefined ? '' : html`<p>${retryAfterText(t, page.locale, model.retryAfterSeconds)}</p>`}
</div>`
    : '';

  const body = html`<h1>${t('login.heading')}</h1>
${model.clientName === null ? '' : html`<p class="lead">${t('login.for_client', { client: model.clientName })}</p>`}
${errorBox}
<form method="post" action="${model.action}" novalidate>
  <input type="hidden" name="csrf" value="${model.csrfToken}">
  <div class="field">
    <label for="login">${t('login.identifier_label')}</label>
    <input id="login" name="login" type="text" value="${model.identifier}" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="320"
      aria-describedby="login-hint${describedBy === undefined ? '' : ` ${describedBy}`}"${model.errors.length > 0 ? html` aria-invalid="true"` : ''}>
    <p class="hint" id="login-hint">${t('login.identifier_hint')}</p>
  </div>
  <div class="field">
    <label for="password">${t('login.password_label')}</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024"${describedBy === undefined ? '' : html` aria-describedby="${describedBy}"`}>
    <button type="button" class="link-button" id="toggle-password" hidden aria-controls="password" aria-pressed="false"
      data-show-label="${t('login.show_password')}" data-hide-label="${t('login.hide_password')}">${t('login.show_password')}</button>
  </div>
  <div class="field checkbox">
    <input id="shared-device" name="shared_device" type="checkbox" value="1"${model.sharedDevice ? html` checked` : ''} aria-describedby="shared-device-hint">
    <label for="shared-device">${t('login.shared_device')}</label>
    <p class="hint" id="shared-device-hint">${t('login.shared_device_hint')}</p>
  </div>
  <button type="submit" class="primary">${t('login.submit')}</button>
</form>`;
  return layout(page, t('login.title'), body);
}
