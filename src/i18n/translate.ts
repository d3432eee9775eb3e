import { en } from './catalogues/en.js';
import { ru, type MessageKey } from './catalogues/ru.js';
import type { Locale } from './locales.js';

const catalogues: Record<Locale, Record<MessageKey, string>> = { ru, en };

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

/**
 * Look a message up and fill `{name}` placeholders. A key missing from a
 * catalogue is a programming error caught by the catalogue test, so there is
 * no silent fallback to another language here.
 */
export function translator(locale: Locale): Translate {
  const catalogue = catalogues[locale];
  return (key, params = {}) => {
    const message = catalogue[key];
    // Most messages have no placeholder, and a page looks up dozens of them.
    if (!message.includes('{')) {
      return message;
    }
    return message.replace(/\{(\w+)\}/g, (placeholder, name: string) => (name in params ? String(params[name]) : placeholder));
  };
}

export function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(ru, key);
}

export { catalogues };
