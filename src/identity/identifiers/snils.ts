import { exceedsInputLimit, normalizeInput } from './input.js';

export const SNILS_ERRORS = [
  'empty',
  'too_long',
  'invalid_characters',
  'invalid_length',
  'invalid_checksum',
] as const;

export type SnilsError = (typeof SNILS_ERRORS)[number];

/** On success, `value` is the 11 digits without separators. Errors never contain the number. */
export type SnilsParseResult =
  | { ok: true; value: string }
  | { ok: false; reason: SnilsError };

// Whitespace (\s covers U+00A0 and U+202F) and dashes, as in `123-456-789 64`.
const SEPARATORS = /[\s-]/gu;
const ELEVEN_DIGITS = /^\d{11}$/;
const DIGITS_ONLY = /^\d+$/;

// Numbers up to and including 001-001-998 were issued without a check number, so any
// two control digits are accepted for them.
const LAST_NUMBER_WITHOUT_CHECK = 1_001_998;
const CHECK_MODULUS = 101;

/** Parses a СНИЛС written as `XXX-XXX-XXX YY`, with any or no separators, and verifies its check number. */
export function parseSnils(input: string): SnilsParseResult {
  if (exceedsInputLimit(input)) {
    return { ok: false, reason: 'too_long' };
  }

  const digits = normalizeInput(input).replace(SEPARATORS, '');
  if (digits === '') {
    return { ok: false, reason: 'empty' };
  }
  if (!DIGITS_ONLY.test(digits)) {
    return { ok: false, reason: 'invalid_characters' };
  }
  if (!ELEVEN_DIGITS.test(digits)) {
    return { ok: false, reason: 'invalid_length' };
  }
  if (!hasValidCheckNumber(digits)) {
    return { ok: false, reason: 'invalid_checksum' };
  }
  return { ok: true, value: digits };
}

function hasValidCheckNumber(digits: string): boolean {
  const number = digits.slice(0, 9);
  if (Number(number) <= LAST_NUMBER_WITHOUT_CHECK) {
    return true;
  }
  return computeCheckNumber(number) === digits.slice(9);
}

/**
 * Computes the two control digits: the sum S of the nine digits weighted 9 down to 1.
 * S below 100 is the control itself. S of 100 or 101 gives 00. A larger S is reduced
 * modulo 101, and a remainder of 100 again gives 00.
 */
function computeCheckNumber(number: string): string {
  let sum = 0;
  for (let index = 0; index < 9; index += 1) {
    sum += Number(number[index]) * (9 - index);
  }

  const reduced = sum > CHECK_MODULUS ? sum % CHECK_MODULUS : sum;
  const control = reduced >= 100 ? 0 : reduced;
  return String(control).padStart(2, '0');
}

/** Formats 11 digits as `XXX-XXX-XXX YY`. */
export function formatSnils(value: string): string {
  return `${value.slice(0, 3)}-${value.slice(3, 6)}-${value.slice(6, 9)} ${value.slice(9, 11)}`;
}

/** Masks a СНИЛС for pages, keeping the last group and the control digits: `***-***-789 64`. */
export function maskSnils(value: string): string {
  if (!ELEVEN_DIGITS.test(value)) {
    return '***-***-*** **';
  }
  return `***-***-${value.slice(6, 9)} ${value.slice(9, 11)}`;
}
