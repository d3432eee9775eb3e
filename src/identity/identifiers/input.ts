/**
 * Maximum length, in UTF-16 code units, of a raw identifier input. Parsers reject longer
 * input before normalising it, so an oversized paste costs no normalisation work. 320 is
 * above the longest valid e-mail address (254 characters), and phone numbers and СНИЛС are
 * far shorter.
 */
export const MAX_IDENTIFIER_INPUT_LENGTH = 320;

/** Returns whether the raw input is longer than MAX_IDENTIFIER_INPUT_LENGTH. */
export function exceedsInputLimit(input: string): boolean {
  return input.length > MAX_IDENTIFIER_INPUT_LENGTH;
}

/**
 * Applies NFKC and trims. NFKC turns fullwidth digits, letters and signs into their ASCII
 * forms and the no-break spaces U+00A0 and U+202F into U+0020, so the checks that follow
 * work on a single form.
 */
export function normalizeInput(input: string): string {
  return input.normalize('NFKC').trim();
}
