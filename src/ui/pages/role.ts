import { html } from '../html.js';
import { layout, type PageContext } from '../layout.js';

export interface RoleChoice {
  id: string;
  label: string;
  active: boolean;
}

export interface RolePageModel {
  action: string;
  csrfToken: string;
  personName: string;
  /** Null on Propusk's own home page, where no service is waiting. */
  clientName: string | null;
  roles: RoleChoice[];
}

/** «Выберите роль»: one button per role, so a single tap continues. */
export function rolePage(page: PageContext, model: RolePageModel): string {
  const { t } = page;
  const question = model.clientName === null ? t('role.intro_home') : t('role.intro', { client: model.clientName });
  const body = html`<h1>${t('role.title')}</h1>
<p>${t('role.signed_in_as', { name: model.personName })}</p>
<form method="post" action="${model.action}">
  <input type="hidden" name="csrf" value="${model.csrfToken}">
  <fieldset class="roles">
    <legend>${question}</legend>
    ${model.roles.map(
      (role) => html`<button type="submit" name="role" value="${role.id}" class="role-option${role.active ? ' active' : ''}"${role.active ? html` aria-current="true"` : ''}>${role.label}${role.active ? html` <span class="badge">${t('role.current')}</span>` : ''}</button>`,
    )}
  </fieldset>
</form>`;
  return layout(page, t('role.title'), body);
}
