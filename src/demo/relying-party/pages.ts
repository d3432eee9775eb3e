import { html, renderLayout, type Html } from './html.js';
import { messagesFor, type Language } from './messages.js';
import { describeRole, describeRoles } from './role-label.js';
import type { DemoService } from './service.js';
import type { RpSession } from './session.js';

export function serviceName(service: DemoService, language: Language): string {
  return language === 'en' ? service.displayNameEn : service.displayName;
}

function servicePage(language: Language, service: DemoService, body: Html): string {
  const name = serviceName(service, language);
  return renderLayout({ language, title: name, heading: name, subheading: messagesFor(language).demoBadge, body });
}

export function renderIndexPage(language: Language, services: DemoService[]): string {
  const text = messagesFor(language);
  const items = services.map(
    (service) => html`<li><a href="/${service.path}/">${serviceName(service, language)}</a></li>`,
  );
  const body = html`<h1>${text.indexTitle}</h1><p>${text.indexIntro}</p><ul>${items}</ul>`;
  return renderLayout({ language, title: text.indexTitle, heading: text.indexTitle, subheading: text.demoBadge, body });
}

export function renderSignedOutPage(language: Language, service: DemoService): string {
  const text = messagesFor(language);
  const body = html`<p>${text.signedOut}</p>
<p><a class="button" href="/${service.path}/login">${text.signIn}</a></p>
<p><a href="/">${text.backToIndex}</a></p>`;
  return servicePage(language, service, body);
}

export interface SignedInView {
  session: RpSession;
  otherServices: DemoService[];
}

export function renderSignedInPage(language: Language, service: DemoService, view: SignedInView): string {
  const text = messagesFor(language);
  const claims: Record<string, unknown> = { ...view.session.claims };
  const name = typeof claims.name === 'string' ? claims.name : String(claims.sub);
  const activeRole = describeRole(claims.role);
  const roles = describeRoles(claims.roles).map((label) => html`<li>${label}</li>`);
  const rolesList = roles.length > 0 ? html`<ul>${roles}</ul>` : html`<p>${text.noRoles}</p>`;
  const links = view.otherServices.map(
    (other) => html`<li><a href="/${other.path}/login">${serviceName(other, language)}</a></li>`,
  );

  const body = html`${renderNotice(language, view.session)}
<p><strong>${text.name}:</strong> ${name}</p>
<p><strong>${text.activeRole}:</strong> ${activeRole ?? text.noRoles}</p>
<h2>${text.allRoles}</h2>
${rolesList}
<p class="actions">
<a href="/${service.path}/switch-role">${text.switchRole}</a>
${postButton(`/${service.path}/refresh`, view.session.csrfToken, text.refreshTokens)}
${postButton(`/${service.path}/logout`, view.session.csrfToken, text.signOut)}
</p>
<h2>${text.otherServices}</h2>
<ul>${links}</ul>
<h2>${text.idTokenClaims}</h2>
<pre>${JSON.stringify(claims, null, 2)}</pre>`;
  return servicePage(language, service, body);
}

function postButton(action: string, csrfToken: string, label: string): Html {
  return html`<form method="post" action="${action}"><input type="hidden" name="csrf" value="${csrfToken}"><button type="submit">${label}</button></form>`;
}

function renderNotice(language: Language, session: RpSession): Html {
  const text = messagesFor(language);
  if (session.notice === 'noRefreshToken') return html`<p class="notice">${text.noRefreshToken}</p>`;
  if (session.notice !== 'tokensRefreshed') return html``;

  const expiresAt = session.tokens?.accessTokenExpiresAt;
  if (expiresAt === undefined) return html`<p class="notice">${text.tokensRefreshed}</p>`;
  // School time is Moscow time, as on Propusk's own pages, whatever the server's zone.
  const clock = new Date(expiresAt).toLocaleTimeString(language === 'en' ? 'en-GB' : 'ru-RU', { timeZone: 'Europe/Moscow' });
  const time = `${clock} ${text.moscowTime}`;
  return html`<p class="notice">${text.tokensRefreshed} ${text.accessTokenExpiresAt} ${time}.</p>`;
}

export interface ErrorView {
  /** Sentence for people, from the message catalogue. */
  explanation: string;
  /** OAuth error code or a code of this demo, e.g. `access_denied`. */
  code?: string;
  /** `error_description` from Propusk, shown escaped and otherwise unchanged. */
  description?: string;
}

export function renderErrorPage(language: Language, service: DemoService | undefined, view: ErrorView): string {
  const text = messagesFor(language);
  const code = view.code === undefined ? html`` : html`<p>${text.errorCode}: <code>${view.code}</code></p>`;
  const description =
    view.description === undefined ? html`` : html`<p>${text.errorDescription}: ${view.description}</p>`;
  const back =
    service === undefined
      ? html`<a href="/">${text.backToIndex}</a>`
      : html`<a href="/${service.path}/">${text.backToService}</a>`;
  const body = html`<h1>${text.errorTitle}</h1><p class="error">${view.explanation}</p>${code}${description}<p>${back}</p>`;

  if (service === undefined) {
    return renderLayout({ language, title: text.errorTitle, heading: text.indexTitle, subheading: text.demoBadge, body });
  }
  return servicePage(language, service, body);
}
