import type { FastifyRequest } from 'fastify';
import { negotiateLocale } from '../i18n/locales.js';
import { translator } from '../i18n/translate.js';
import type { PageContext } from '../ui/layout.js';
import { cspNonceOf } from './security-headers.js';

/** Page language from `ui_locales` (when the flow has one), then Accept-Language. */
export function pageContextFor(request: FastifyRequest, demo: boolean, uiLocales?: string): PageContext {
  const locale = negotiateLocale(uiLocales, request.headers['accept-language']);
  return { locale, t: translator(locale), demo, nonce: cspNonceOf(request.raw) };
}
