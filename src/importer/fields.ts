import { z } from 'zod';
import { parseEmail } from '../identity/identifiers/email.js';
import { parsePhone } from '../identity/identifiers/phone.js';
import { parseSnils } from '../identity/identifiers/snils.js';
import type { IdentifierKind } from '../storage/types.js';
import { EMAIL_REASONS, PHONE_REASONS, SNILS_REASONS } from './identifier-reasons.js';
import { homeUrlProblem, redirectUriProblem } from './uris.js';

/* Field schemas shared by the record schemas of the import format. */

const CONTROL_CHARACTERS = /\p{Cc}/u;

/** Maximum length of an external id (organization or person) in the file. */
export const MAX_EXTERNAL_ID_LENGTH = 128;

/** Limits of `initial_password`, in UTF-16 code units as JavaScript counts string length. */
export const MIN_INITIAL_PASSWORD_LENGTH = 8;
export const MAX_INITIAL_PASSWORD_LENGTH = 256;

export const MIN_CLIENT_SECRET_LENGTH = 32;
export const MAX_CLIENT_SECRET_LENGTH = 256;

/** Trimmed, non-empty text without control characters. */
export function text(maxLength: number) {
  return z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(maxLength, `must be at most ${maxLength} characters`)
    .refine((value) => !CONTROL_CHARACTERS.test(value), 'must not contain control characters');
}

/** Optional text: absent and null both become null. */
export function optionalText(maxLength: number) {
  return text(maxLength)
    .nullish()
    .transform((value) => value ?? null);
}

export const externalId = text(MAX_EXTERNAL_ID_LENGTH);

/** An identifier as the importer stores it: the normalised value and, for e-mail, the written form. */
export interface ParsedIdentifier {
  kind: IdentifierKind;
  value: string;
  display: string | null;
}

export const phoneField = z
  .string()
  .transform((input, context): ParsedIdentifier => {
    const result = parsePhone(input);
    if (!result.ok) {
      context.addIssue({ code: 'custom', message: PHONE_REASONS[result.reason] });
      return z.NEVER;
    }
    return { kind: 'phone', value: result.value, display: null };
  })
  .nullish();

export const emailField = z
  .string()
  .transform((input, context): ParsedIdentifier => {
    const result = parseEmail(input);
    if (!result.ok) {
      context.addIssue({ code: 'custom', message: EMAIL_REASONS[result.reason] });
      return z.NEVER;
    }
    return { kind: 'email', value: result.value, display: result.display };
  })
  .nullish();

export const snilsField = z
  .string()
  .transform((input, context): ParsedIdentifier => {
    const result = parseSnils(input);
    if (!result.ok) {
      context.addIssue({ code: 'custom', message: SNILS_REASONS[result.reason] });
      return z.NEVER;
    }
    return { kind: 'snils', value: result.value, display: null };
  })
  .nullish();

export const redirectUri = z.string().superRefine((value, context) => {
  const problem = redirectUriProblem(value);
  if (problem !== undefined) {
    context.addIssue({ code: 'custom', message: problem });
  }
});

export const homeUrl = z.string().superRefine((value, context) => {
  const problem = homeUrlProblem(value);
  if (problem !== undefined) {
    context.addIssue({ code: 'custom', message: problem });
  }
});

/** Parse an array and drop repeated entries, keeping the order of first occurrences. */
export function uniqueList<T extends z.ZodType>(item: T) {
  return z.array(item).transform((items) => [...new Set(items)]);
}

/** Optional array: absent and null both become an empty array. */
export function optionalList<T extends z.ZodType<unknown[]>>(list: T) {
  return list.nullish().transform((items) => items ?? []);
}
