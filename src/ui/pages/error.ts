import type { MessageKey } from '../../i18n/catalogues/ru.js';
import { html } from '../html.js';
import { layout, type PageContext } from '../layout.js';

export interface ErrorPageModel {
  messageKey: MessageKey;
  requestId: string | null;
  /** Values for the message's placeholders, such as `{wait}`. */
  params?: Record<string, string | number>;
  /** A link that lets the person go on, shown before the link home. */
  next?: { href: string; labelKey: MessageKey };
}

export function errorPage(page: PageContext, model: ErrorPageModel): string {
  const { t } = page;
  const body = html`<h1>${t('error.title')}</h1>
<p role="alert">${t(model.messageKey, model.params)}</p>
${model.requestId === null ? '' : html`<p class="hint">${t('error.request_id', { id: model.requestId })}</p>`}
${model.next === undefined ? '' : html`<p><a class="button-link primary" href="${model.next.href}">${t(model.next.labelKey)}</a></p>`}
<p><a href="/">${t('error.back_home')}</a></p>`;
  return layout(page, t('error.title'), body);
}
