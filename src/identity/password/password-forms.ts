/*
 * Comparison forms of a password or of a context word. The blocklist checks
 * compare whole strings in these forms, never substrings, so a long
 * passphrase that merely contains a name or a common word is accepted.
 */

/** NFKC, as hashing applies it, then lower case and «ё» read as «е». */
export function foldForComparison(value: string): string {
  return value.normalize('NFKC').toLowerCase().replaceAll('ё', 'е');
}

const TRAILING_DIGITS_AND_PUNCTUATION = /[\p{N}\p{P}\p{S}\s]+$/u;
const SEPARATORS = /[\s\-_.]+/gu;

/** «ivanova2015!» → «ivanova»: people extend a weak word with a year or a symbol. */
export function stripTrailingDigitsAndPunctuation(folded: string): string {
  return folded.replace(TRAILING_DIGITS_AND_PUNCTUATION, '');
}

/** «anna.smirnova» and «anna smirnova» → «annasmirnova». */
export function removeSeparators(folded: string): string {
  return folded.replace(SEPARATORS, '');
}

/**
 * The digits of a password made only of digits and the separators people
 * type in phone numbers and СНИЛС («+7 (916) 000-00-01», «145-287-963 97»),
 * or undefined when it has any other character.
 */
export function digitsOnly(folded: string): string | undefined {
  const digits = folded.replace(/[\s\-().+]/g, '');
  return /^\d+$/.test(digits) ? digits : undefined;
}

/* The same key on the Russian (ЙЦУКЕН) and the Latin (QWERTY) layout. */
const CYRILLIC_KEYS = 'йцукенгшщзхъфывапролджэячсмитьбю';
const LATIN_KEYS = 'qwertyuiop[]asdfghjkl;\'zxcvbnm,.';

const LATIN_BY_CYRILLIC = new Map([...CYRILLIC_KEYS].map((letter, index) => [letter, LATIN_KEYS[index] as string]));

/**
 * What a Cyrillic word becomes when typed with the Latin layout switched on:
 * «пароль» → «gfhjkm». Such passwords are common among Russian speakers.
 */
export function typedOnLatinLayout(folded: string): string {
  return [...folded].map((character) => LATIN_BY_CYRILLIC.get(character) ?? character).join('');
}

const TRANSLITERATION: Record<string, string> = {
  а: 'a', б: 'b', в: 'v', г: 'g', д: 'd', е: 'e', ж: 'zh', з: 'z', и: 'i', й: 'y', к: 'k', л: 'l', м: 'm',
  н: 'n', о: 'o', п: 'p', р: 'r', с: 's', т: 't', у: 'u', ф: 'f', х: 'kh', ц: 'ts', ч: 'ch', ш: 'sh',
  щ: 'shch', ъ: '', ы: 'y', ь: '', э: 'e', ю: 'yu', я: 'ya',
};

/** Spellings that differ from the table above and are just as common: «Михаил» → «mihail», «Мария» → «maria». */
const LOOSE_SPELLINGS: Record<string, string> = { х: 'h', й: 'i', щ: 'sch', ц: 'c', ю: 'iu', я: 'a' };

/**
 * Latin spellings of a Cyrillic word, as people write names in e-mail
 * addresses and passwords: «Пётр» → «petr», «Мария» → «mariya» and «maria».
 */
export function transliterations(folded: string): string[] {
  const characters = [...folded];
  const strict = characters.map((character) => TRANSLITERATION[character] ?? character).join('');
  const loose = characters.map((character) => LOOSE_SPELLINGS[character] ?? TRANSLITERATION[character] ?? character).join('');
  return strict === loose ? [strict] : [strict, loose];
}
