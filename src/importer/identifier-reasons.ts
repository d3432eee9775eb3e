import type { EmailError } from '../identity/identifiers/email.js';
import type { PhoneError } from '../identity/identifiers/phone.js';
import type { SnilsError } from '../identity/identifiers/snils.js';

/*
 * Operator-facing reasons for the identity parsers' error codes. None of them
 * repeats the value, so a СНИЛС never reaches a log through an import report.
 */

export const PHONE_REASONS: Record<PhoneError, string> = {
  empty: 'is empty',
  too_long: 'is too long',
  invalid_characters: 'may contain only digits, spaces, brackets, dots, dashes and a leading +',
  invalid_length: 'has the wrong number of digits',
  invalid_number: 'is not a valid phone number',
  foreign_number: 'is not a Russian phone number',
  not_mobile: 'is not a Russian mobile number (+7 9XX XXX-XX-XX)',
};

export const EMAIL_REASONS: Record<EmailError, string> = {
  empty: 'is empty',
  too_long: 'is too long',
  control_characters: 'contains control or invisible characters',
  display_name: 'must be a bare address, without a name or angle brackets',
  quoted_local_part: 'must not contain quotes',
  comment: 'must not contain brackets',
  whitespace: 'must not contain spaces',
  missing_at: 'has no @',
  multiple_at: 'has more than one @',
  non_ascii_local_part: 'must use only Latin letters, digits and punctuation before the @',
  invalid_local_part: 'has an invalid part before the @',
  invalid_domain: 'has an invalid domain',
};

export const SNILS_REASONS: Record<SnilsError, string> = {
  empty: 'is empty',
  too_long: 'is too long',
  invalid_characters: 'may contain only digits, spaces and dashes',
  invalid_length: 'must have 11 digits',
  invalid_checksum: 'invalid check number',
};
