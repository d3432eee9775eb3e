import type { MessageKey } from '../../i18n/catalogues/ru.js';
import { foldForComparison, removeSeparators, stripTrailingDigitsAndPunctuation, transliterations, typedOnLatinLayout } from './password-forms.js';

/** Facts about the person whose password is checked. Every field may be absent. */
export interface PasswordContext {
  familyName?: string | null;
  givenName?: string | null;
  middleName?: string | null;
  /** Phone numbers in E.164 form, such as +79160000001. */
  phones?: readonly string[];
  emails?: readonly string[];
  /** СНИЛС as 11 digits. */
  snils?: readonly string[];
  /** Birth date `YYYY-MM-DD`. */
  birthdate?: string | null;
}

/**
 * Names of this service and of the platform around it, in Russian and Latin
 * spelling. Attackers try them first against any school account.
 */
export const SERVICE_WORDS: readonly string[] = [
  'propusk', 'пропуск', 'mesh', 'мэш', 'мэш.ру', 'mos', 'mosru', 'mos.ru', 'мос', 'госуслуги', 'gosuslugi',
  'school', 'schools', 'школа', 'shkola', 'skola', 'dnevnik', 'дневник', 'электронныйдневник', 'zhurnal', 'журнал',
  'biblioteka', 'библиотека', 'portfolio', 'портфолио', 'spravka', 'справка', 'uchitel', 'учитель', 'uchenik', 'ученик',
  'roditel', 'родитель', 'klass', 'класс',
];

/** A word, its Latin spellings and how it looks typed on the wrong keyboard layout. */
function derivatives(word: string): string[] {
  const folded = foldForComparison(word);
  const compact = removeSeparators(folded);
  return [folded, compact, ...transliterations(compact), typedOnLatinLayout(compact)];
}

/** Each name part alone and the usual ways of writing two or three of them together. */
function nameWords(context: PasswordContext): string[] {
  const family = context.familyName ?? '';
  const given = context.givenName ?? '';
  const middle = context.middleName ?? '';
  const combinations = [
    [given, family],
    [family, given],
    [given, middle],
    [family, given, middle],
    [given, middle, family],
  ]
    .filter((combination) => combination.every((part) => part.trim() !== ''))
    .map((combination) => combination.join(''));
  // A double family name («Петрова-Водкина») counts whole and by its parts.
  const parts = [family, given, middle].flatMap((name) => [name, ...name.split(/[\s-]+/u)]);
  return [...parts, ...combinations].filter((word) => word.trim() !== '').flatMap(derivatives);
}

function emailWords(emails: readonly string[]): string[] {
  return emails.flatMap((email) => {
    const folded = foldForComparison(email);
    const local = folded.slice(0, folded.lastIndexOf('@') === -1 ? folded.length : folded.lastIndexOf('@'));
    return [folded, local, removeSeparators(local), stripTrailingDigitsAndPunctuation(local)];
  });
}

/** A phone as people type it: with the country code 7, with the trunk prefix 8, or the ten national digits. */
function phoneDigits(phones: readonly string[]): string[] {
  return phones.flatMap((phone) => {
    const digits = phone.replace(/\D/g, '');
    if (digits.length === 11 && digits.startsWith('7')) {
      const national = digits.slice(1);
      return [digits, `8${national}`, national];
    }
    return [digits];
  });
}

/** A СНИЛС with its check number, and its nine-digit number without it. */
function snilsDigits(snils: readonly string[]): string[] {
  return snils.flatMap((value) => {
    const digits = value.replace(/\D/g, '');
    return digits.length === 11 ? [digits, digits.slice(0, 9)] : [digits];
  });
}

const serviceWords = new Set(SERVICE_WORDS.flatMap(derivatives));

/**
 * Reasons why the password is one of the person's context words. `candidates`
 * are the password's comparison forms; `digits` is its digits-only form when
 * it has nothing but digits and separators.
 */
export function contextReasons(candidates: readonly string[], digits: string | undefined, context: PasswordContext): MessageKey[] {
  const matches = (words: Iterable<string>): boolean => {
    const set = new Set([...words].filter((word) => word !== ''));
    return candidates.some((candidate) => set.has(candidate));
  };
  const matchesDigits = (numbers: readonly string[]): boolean => digits !== undefined && numbers.includes(digits);

  const reasons: MessageKey[] = [];
  if (matches(nameWords(context))) reasons.push('password.policy.name');
  if (matchesDigits(phoneDigits(context.phones ?? []))) reasons.push('password.policy.phone');
  if (matches(emailWords(context.emails ?? []))) reasons.push('password.policy.email');
  if (matchesDigits(snilsDigits(context.snils ?? []))) reasons.push('password.policy.snils');
  if (matches(serviceWords)) reasons.push('password.policy.service');
  return reasons;
}
