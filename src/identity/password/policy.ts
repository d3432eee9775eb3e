import type { MessageKey } from '../../i18n/catalogues/ru.js';
import { isCommonPassword } from './common-passwords.js';
import { contextReasons, type PasswordContext } from './context-words.js';
import { digitsOnly, foldForComparison, removeSeparators, stripTrailingDigitsAndPunctuation, typedOnLatinLayout } from './password-forms.js';

export type { PasswordContext } from './context-words.js';

/**
 * Length limits in Unicode code points after NFKC, the form that is hashed.
 * NIST SP 800-63B-4 counts each code point as one character and requires at
 * least 8 (15 when the password is the only factor, which Propusk does not
 * require yet); 256 leaves room for long passphrases.
 */
export const MIN_PASSWORD_CODE_POINTS = 8;
export const MAX_PASSWORD_CODE_POINTS = 256;

export type PasswordCheck = { ok: true } | { ok: false; reasons: MessageKey[] };

/**
 * Check a new password against the policy: length, the common password list
 * and the person's context words. There are no composition rules. The
 * password is compared whole (case-insensitively) and with its trailing
 * digits and punctuation removed, never by substring. Each reason is a
 * catalogue key whose message says what is wrong and how to choose better.
 */
export function checkPassword(plain: string, context: PasswordContext): PasswordCheck {
  const normalized = plain.normalize('NFKC');
  const length = [...normalized].length;
  if (length < MIN_PASSWORD_CODE_POINTS) {
    return { ok: false, reasons: ['password.policy.too_short'] };
  }
  if (length > MAX_PASSWORD_CODE_POINTS) {
    return { ok: false, reasons: ['password.policy.too_long'] };
  }

  const folded = foldForComparison(normalized);
  const candidates = comparisonForms(folded);
  const reasons: MessageKey[] = [];
  if (candidates.some((candidate) => isCommonPassword(candidate) || isCommonPassword(typedOnLatinLayout(candidate)))) {
    reasons.push('password.policy.common');
  }
  reasons.push(...contextReasons(candidates, digitsOnly(folded), context));
  if (new Set(folded).size <= MAX_DISTINCT_IN_REPETITIVE) {
    reasons.push('password.policy.repetitive');
  }
  if (isBirthdate(folded.replace(/\D/g, ''), context.birthdate)) {
    reasons.push('password.policy.birthdate');
  }
  return reasons.length === 0 ? { ok: true } : { ok: false, reasons };
}

/** «aaaaaaaa», «abababab», eight spaces: at most this many distinct characters is a repetition. */
const MAX_DISTINCT_IN_REPETITIVE = 2;

/** Tell whether the password's digits spell the birth date in a usual order (YYYYMMDD, DDMMYYYY, DDMMYY). */
function isBirthdate(digits: string, birthdate: string | null | undefined): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthdate ?? '');
  if (match === null || digits.length < 6) {
    return false;
  }
  const [, year = '', month = '', day = ''] = match;
  return [`${year}${month}${day}`, `${day}${month}${year}`, `${day}${month}${year.slice(2)}`].includes(digits);
}

/** The whole password and its base without trailing digits and punctuation, each with and without separators. */
function comparisonForms(folded: string): string[] {
  const base = stripTrailingDigitsAndPunctuation(folded);
  const forms = [folded, removeSeparators(folded), base, removeSeparators(base)];
  return [...new Set(forms)].filter((form) => form !== '');
}
