import type { PersonalEvent } from '../../audit/personal-events.js';
import type { Locale } from '../../i18n/locales.js';
import type { Translate } from '../../i18n/translate.js';
import { html, type SafeHtml } from '../html.js';
import type { PageContext } from '../layout.js';

const DATE_LOCALES: Record<Locale, string> = { ru: 'ru-RU', en: 'en-GB' };

/** Format the time in Moscow time, the school platform's zone, and name the zone because the reader may be elsewhere. */
function moscowTime(epochMs: number, locale: Locale, t: Translate): string {
  const time = new Intl.DateTimeFormat(DATE_LOCALES[locale], {
    timeZone: 'Europe/Moscow',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  }).format(epochMs);
  return t('audit.time_moscow', { time });
}

function eventLabel(event: PersonalEvent, t: Translate): string {
  if (event.type === 'role.switched') {
    return t('audit.event.role.switched', { role: event.roleKind === null ? '—' : t(`role_kind.${event.roleKind}`) });
  }
  return t(`audit.event.${event.type}`);
}

function eventItem(event: PersonalEvent, page: PageContext): SafeHtml {
  const { t } = page;
  const origin = t('audit.origin', { device: event.device ?? t('audit.unknown_device'), ip: event.ip ?? t('audit.unknown_address') });
  return html`<li><time datetime="${new Date(event.occurredAt).toISOString()}">${moscowTime(event.occurredAt, page.locale, t)}</time> — <strong>${eventLabel(event, t)}</strong><br><span class="hint">${origin}</span></li>`;
}

/** Render the home page's list of the person's recent sign-ins, role switches and password changes. */
export function securityEventsSection(page: PageContext, events: PersonalEvent[]): SafeHtml {
  const { t } = page;
  const list =
    events.length === 0
      ? html`<p>${t('audit.recent_empty')}</p>`
      : html`<ul class="security-events">${events.map((event) => eventItem(event, page))}</ul>
<p class="hint">${t('audit.recent_hint')}</p>`;
  return html`<h2>${t('audit.recent_heading')}</h2>
${list}`;
}
