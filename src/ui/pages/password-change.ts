import type { MessageKey } from '../../i18n/catalogues/ru.js';
import { waitText } from '../../throttling/wait-text.js';
import { html } from '../html.js';
import { layout, type PageContext } from '../layout.js';

export interface PasswordChangePageModel {
  action: string;
  csrfToken: string;
  cancelUrl: string;
  errors: MessageKey[];
  /** Set when the server was too busy to check the password: the page asks the person to try again after this many seconds. */
  overloadRetryAfterSeconds?: number;
}

/**
 * «Смена пароля»: current password, new password, and the new one again.
 * The autocomplete values let password managers fill the current password
 * and offer to generate and save the new one; pasting is allowed. The
 * passwords are never sent back in the page.
 */
export function passwordChangePage(page: PageContext, model: PasswordChangePageModel): string {
  const { t } = page;
  const overload = model.overloadRetryAfterSeconds;
  const hasErrors = model.errors.length > 0 || overload !== undefined;
  const invalid = hasErrors ? html` aria-invalid="true" aria-describedby="password-change-errors"` : '';

  // The id login-errors lets the page script move focus to the messages.
  const errorBox = hasErrors
    ? html`<div class="errors" id="login-errors" role="alert" tabindex="-1">
  <p class="errors-heading" id="password-change-errors">${t('password_change.errors_heading')}</p>
  <ul>${model.errors.map((key) => html`<li>${t(key)}</li>`)}${overload === undefined ? '' : html`<li>${t('overload.password_change_retry_after', { wait: waitText(t, page.locale, overload) })}</li>`}</ul>
</div>`
    : '';

  const body = html`<h1>${t('password_change.title')}</h1>
<p class="lead">${t('password_change.intro')}</p>
${errorBox}
<form method="post" action="${model.action}" novalidate>
  <input type="hidden" name="csrf" value="${model.csrfToken}">
  <div class="field">
    <label for="current-password">${t('password_change.current_label')}</label>
    <input id="current-password" name="current_password" type="password" autocomplete="current-password" required maxlength="1024"${invalid}>
  </div>
  <div class="field">
    <label for="password">${t('password_change.new_label')}</label>
    <input id="password" name="new_password" type="password" autocomplete="new-password" required maxlength="1024" aria-describedby="new-password-hint"${hasErrors ? html` aria-invalid="true"` : ''}>
    <button type="button" class="link-button" id="toggle-password" hidden aria-controls="password" aria-pressed="false"
      data-show-label="${t('login.show_password')}" data-hide-label="${t('login.hide_password')}">${t('login.show_password')}</button>
    <p class="hint" id="new-password-hint">${t('password_change.new_hint')}</p>
  </div>
  <div class="field">
    <label for="new-password-repeat">${t('password_change.repeat_label')}</label>
    <input id="new-password-repeat" name="new_password_repeat" type="password" autocomplete="new-password" required maxlength="1024"${hasErrors ? html` aria-invalid="true"` : ''}>
  </div>
  <button type="submit" class="primary">${t('password_change.submit')}</button>
</form>
<p><a href="${model.cancelUrl}">${t('password_change.cancel')}</a></p>`;
  return layout(page, t('password_change.title'), body);
}

/** The page after a successful change. */
export function passwordChangedPage(page: PageContext, homeUrl: string): string {
  const { t } = page;
  const body = html`<h1>${t('password_change.done_title')}</h1>
<p class="notice" role="status">${t('password_change.done_body')}</p>
<p><a class="button-link primary" href="${homeUrl}">${t('password_change.done_home')}</a></p>`;
  return layout(page, t('password_change.done_title'), body);
}
