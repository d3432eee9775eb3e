import type { MessageKey } from '../i18n/catalogues/ru.js';
import { checkPassword, MAX_PASSWORD_CODE_POINTS, MIN_PASSWORD_CODE_POINTS } from '../identity/password/policy.js';
import type { PersonRecord } from './format.js';
import type { ParsedRecord } from './parse-records.js';
import type { ProblemList } from './problems.js';

/** The password policy's reasons, as the operator who wrote the import file reads them. */
const OPERATOR_REASONS: Partial<Record<MessageKey, string>> = {
  'password.policy.too_short': `must be at least ${MIN_PASSWORD_CODE_POINTS} characters (Unicode code points after NFKC normalization)`,
  'password.policy.too_long': `must be at most ${MAX_PASSWORD_CODE_POINTS} characters (Unicode code points after NFKC normalization)`,
  'password.policy.common': 'is on the list of common passwords; generate a random one for each person',
  'password.policy.name': "must not be the person's name, even with digits or punctuation at the end",
  'password.policy.phone': "must not be the person's phone number",
  'password.policy.email': "must not be the person's e-mail address or its part before the @",
  'password.policy.snils': "must not be the person's SNILS",
  'password.policy.service': 'must not be the name of the service or a school word such as "propusk", "dnevnik" or "school"',
};

/**
 * Apply the password policy to `initial_password`, with the person's names
 * and identifiers from the same record as context words. Runs only when the
 * password passed the format's own checks.
 */
export function checkInitialPassword(person: ParsedRecord<PersonRecord>, problems: ProblemList): void {
  const { fields } = person;
  const password = fields.initial_password;
  if (typeof password !== 'string') {
    return;
  }
  const identifierValue = (field: 'phone' | 'email' | 'snils'): string[] => {
    const identifier = fields[field];
    return identifier === null || identifier === undefined ? [] : [identifier.value];
  };
  const check = checkPassword(password, {
    familyName: fields.family_name ?? null,
    givenName: fields.given_name ?? null,
    middleName: fields.middle_name ?? null,
    phones: identifierValue('phone'),
    emails: identifierValue('email'),
    snils: identifierValue('snils'),
    birthdate: typeof fields.birthdate === 'string' ? fields.birthdate : null,
  });
  if (check.ok) {
    return;
  }
  for (const reason of check.reasons) {
    problems.add(['people', person.index, 'initial_password'], OPERATOR_REASONS[reason] ?? `is rejected by the password policy (${reason})`);
  }
}
