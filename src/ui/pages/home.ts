import { html } from '../html.js';
import { layout, type PageContext } from '../layout.js';
import type { RoleChoice } from './role.js';
import { securityEventsSection } from './security-events.js';
import type { PersonalEvent } from '../../audit/personal-events.js';

export interface HomeService {
  name: string;
  url: string;
}

export interface HomePageModel {
  personName: string;
  fullName: string;
  activeRoleLabel: string | null;
  roles: RoleChoice[];
  services: HomeService[];
  switchAction: string;
  csrfToken: string;
  logoutUrl: string;
  passwordChangeUrl: string;
  notice: string | null;
  securityEvents: PersonalEvent[];
}

export function homePage(page: PageContext, model: HomePageModel): string {
  const { t } = page;
  const switcher =
    model.roles.length > 1
      ? html`<form method="post" action="${model.switchAction}" class="role-switch">
  <input type="hidden" name="csrf" value="${model.csrfToken}">
  <label for="role-select">${t('home.switch_role')}</label>
  <select id="role-select" name="role">
    ${model.roles.map((role) => html`<option value="${role.id}"${role.active ? html` selected` : ''}>${role.label}</option>`)}
  </select>
  <button type="submit">${t('home.switch_submit')}</button>
</form>`
      : '';

  const services =
    model.services.length > 0
      ? html`<ul class="services">${model.services.map((service) => html`<li><a href="${service.url}">${service.name}</a></li>`)}</ul>`
      : html`<p>${t('home.no_services')}</p>`;

  const body = html`<h1>${t('home.greeting', { name: model.personName })}</h1>
<p class="hint">${t('home.account', { name: model.fullName })}</p>
${model.notice === null ? '' : html`<p class="notice" role="status">${model.notice}</p>`}
${model.activeRoleLabel === null
    ? html`<p>${t('home.no_roles')}</p>`
    : html`<p><span class="label">${t('home.active_role')}:</span> <strong>${model.activeRoleLabel}</strong></p>`}
${switcher}
<h2>${t('home.services')}</h2>
${services}
<p class="actions"><a class="button-link" href="${model.passwordChangeUrl}">${t('password_change.link')}</a> <a class="button-link" href="${model.logoutUrl}">${t('home.logout')}</a></p>
${securityEventsSection(page, model.securityEvents)}`;
  return layout(page, t('home.title'), body);
}

export function anonymousHomePage(page: PageContext, loginUrl: string): string {
  const { t } = page;
  const body = html`<h1>${t('home.anonymous_heading')}</h1>
<p>${t('home.anonymous_body')}</p>
<p><a class="button-link primary" href="${loginUrl}">${t('home.login')}</a></p>`;
  return layout(page, t('home.title'), body);
}
