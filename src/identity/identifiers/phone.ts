import {
  parsePhoneNumberFromString,
  validatePhoneNumberLength,
} from 'libphonenumber-js/max';

import { exceedsInputLimit, normalizeInput } from './input.js';

export const PHONE_ERRORS = [
  'empty',
  'too_long',
  'invalid_characters',
  'invalid_length',
  'invalid_number',
  'foreign_number',
  'not_mobile',
] as const;

export type PhoneError = (typeof PHONE_ERRORS)[number];

export type PhoneParseResult =
  | { ok: true; value: string }
  | { ok: false; reason: PhoneError };

const DEFAULT_REGION = 'RU';

// Brackets, dashes, dots and whitespace (\s covers U+00A0 and U+202F) are layout only.
const SEPARATORS = /[\s().-]/gu;
const DIALABLE = /^\+?\d+$/;

/**
 * Parses a Russian mobile number written in any usual way (`+7 (916) 123-45-67`,
 * `8 916 123 45 67`, `9161234567`) into E.164 form (`+79161234567`).
 * Only Russian mobile numbers (+7 9xx) serve as login phones, so this rejects landlines,
 * toll-free numbers, Kazakh (+7 6xx/7xx) and other foreign numbers, extensions and letters.
 */
export function parsePhone(input: string): PhoneParseResult {
  if (exceedsInputLimit(input)) {
    return { ok: false, reason: 'too_long' };
  }

  const dialable = normalizeInput(input).replace(SEPARATORS, '');
  if (dialable === '') {
    return { ok: false, reason: 'empty' };
  }
  if (!DIALABLE.test(dialable)) {
    return { ok: false, reason: 'invalid_characters' };
  }

  return classifyNumber(dialable);
}

function classifyNumber(dialable: string): PhoneParseResult {
  const lengthProblem = validatePhoneNumberLength(dialable, DEFAULT_REGION);
  if (lengthProblem === 'TOO_SHORT' || lengthProblem === 'TOO_LONG' || lengthProblem === 'INVALID_LENGTH') {
    return { ok: false, reason: 'invalid_length' };
  }

  const phone = parsePhoneNumberFromString(dialable, DEFAULT_REGION);
  if (phone === undefined || !phone.isValid()) {
    return { ok: false, reason: 'invalid_number' };
  }
  if (phone.country !== 'RU') {
    return { ok: false, reason: 'foreign_number' };
  }
  // Russian mobile ranges all start with 9. The prefix check keeps other ranges out even if
  // a later metadata release classifies one of them as mobile.
  if (phone.getType() !== 'MOBILE' || !phone.nationalNumber.startsWith('9')) {
    return { ok: false, reason: 'not_mobile' };
  }

  return { ok: true, value: phone.number };
}

const E164_RUSSIAN = /^\+7(\d{3})\d{5}(\d{2})$/;

/** Masks an E.164 Russian number for logs and pages: `+79161234567` → `+7 916 ***-**-67`. */
export function maskPhone(e164: string): string {
  const match = E164_RUSSIAN.exec(e164);
  if (match === null) {
    return '***';
  }
  return `+7 ${match[1]} ***-**-${match[2]}`;
}
