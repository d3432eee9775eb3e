import { html } from '../html.js';
import { layout, type PageContext } from '../layout.js';

export interface UnavailablePageModel {
  clientName: string;
  acceptedKindLabels: string[];
  abortAction: string;
  csrfToken: string;
}

/** The service accepts none of the person's roles: say so, issue nothing, offer a way back. */
export function unavailablePage(page: PageContext, model: UnavailablePageModel): string {
  const { t } = page;
  const body = html`<h1>${t('unavailable.title')}</h1>
<p>${t('unavailable.body', { client: model.clientName, kinds: model.acceptedKindLabels.join(', ') })}</p>
<p>${t('unavailable.advice')}</p>
<div class="actions">
  <form method="post" action="${model.abortAction}">
    <input type="hidden" name="csrf" value="${model.csrfToken}">
    <button type="submit" class="primary">${t('unavailable.back')}</button>
  </form>
  <a class="button-link" href="/">${t('unavailable.home')}</a>
</div>`;
  return layout(page, t('unavailable.title'), body);
}
