import { parseEmail, type EmailParseResult } from './email.js';
import { exceedsInputLimit } from './input.js';
import { parsePhone, type PhoneParseResult } from './phone.js';
import { parseSnils, type SnilsParseResult } from './snils.js';

export type IdentifierKind = 'phone' | 'email' | 'snils';

/** One reading of a login input: the kind and its canonical value (E.164, e-mail comparison form, 11 digits). */
export interface LoginIdentifierCandidate {
  kind: IdentifierKind;
  value: string;
}

export interface ParseResultByKind {
  phone: PhoneParseResult;
  email: EmailParseResult;
  snils: SnilsParseResult;
}

const PARSERS: { [K in IdentifierKind]: (input: string) => ParseResultByKind[K] } = {
  phone: parsePhone,
  email: parseEmail,
  snils: parseSnils,
};

// Order of readings in readLoginIdentifier output.
const LOGIN_KINDS: readonly IdentifierKind[] = ['phone', 'email', 'snils'];

/** Parses input as the given kind of identifier. */
export function parseIdentifier<K extends IdentifierKind>(kind: K, input: string): ParseResultByKind[K] {
  return PARSERS[kind](input);
}

/**
 * Reads a login input as every kind of identifier it can be. Some inputs have more than one
 * reading: `8 916 123 45 67` can be both a phone number and a valid СНИЛС, and the caller must
 * look up each candidate. Returns an empty array when no parser accepts the input.
 */
export function readLoginIdentifier(input: string): LoginIdentifierCandidate[] {
  if (exceedsInputLimit(input)) {
    return [];
  }

  const candidates: LoginIdentifierCandidate[] = [];
  for (const kind of LOGIN_KINDS) {
    const result = parseIdentifier(kind, input);
    if (result.ok) {
      candidates.push({ kind, value: result.value });
    }
  }
  return candidates;
}
