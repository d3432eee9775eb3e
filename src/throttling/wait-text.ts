import type { MessageKey } from '../i18n/catalogues/ru.js';
import type { Locale } from '../i18n/locales.js';
import type { Translate } from '../i18n/translate.js';

/** The CLDR plural categories that Russian and English use. */
type PluralCategory = 'one' | 'few' | 'many' | 'other';

const SECONDS: Record<PluralCategory, MessageKey> = {
  one: 'throttle.wait.seconds.one',
  few: 'throttle.wait.seconds.few',
  many: 'throttle.wait.seconds.many',
  other: 'throttle.wait.seconds.other',
};

const MINUTES: Record<PluralCategory, MessageKey> = {
  one: 'throttle.wait.minutes.one',
  few: 'throttle.wait.minutes.few',
  many: 'throttle.wait.minutes.many',
  other: 'throttle.wait.minutes.other',
};

function pluralCategory(locale: Locale, count: number): PluralCategory {
  const category = new Intl.PluralRules(locale).select(count);
  return category === 'one' || category === 'few' || category === 'many' ? category : 'other';
}

/**
 * Format a wait as a person reads it: seconds under a minute, otherwise whole
 * minutes rounded up, so the person never comes back too early
 * («1 минуту», «2 минуты», «5 минут», «21 секунду»).
 */
export function waitText(t: Translate, locale: Locale, seconds: number): string {
  if (seconds < 60) {
    return t(SECONDS[pluralCategory(locale, seconds)], { count: seconds });
  }
  const minutes = Math.ceil(seconds / 60);
  return t(MINUTES[pluralCategory(locale, minutes)], { count: minutes });
}

/** The sentence under «Неверный логин или пароль» while the login is delayed. */
export function retryAfterText(t: Translate, locale: Locale, seconds: number): string {
  return t('throttle.retry_after', { wait: waitText(t, locale, seconds) });
}
