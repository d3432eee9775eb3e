import { domainToASCII, domainToUnicode } from 'node:url';

import { exceedsInputLimit, normalizeInput } from './input.js';

export const EMAIL_ERRORS = [
  'empty',
  'too_long',
  'control_characters',
  'display_name',
  'quoted_local_part',
  'comment',
  'whitespace',
  'missing_at',
  'multiple_at',
  'non_ascii_local_part',
  'invalid_local_part',
  'invalid_domain',
] as const;

export type EmailError = (typeof EMAIL_ERRORS)[number];

export type EmailParseResult =
  | {
      ok: true;
      /** Comparison form: lowercased local part, `@`, lowercased ASCII (punycode) domain. */
      value: string;
      /** The NFKC-normalised address as the person wrote it, domain possibly in Unicode. */
      display: string;
    }
  | { ok: false; reason: EmailError };

// RFC 5321 limits a path to 256 octets including its angle brackets, so an address has at most 254.
const MAX_ADDRESS_LENGTH = 254;
const MAX_LOCAL_PART_LENGTH = 64;
const MAX_DOMAIN_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;

// Control (Cc), format (Cf, e.g. zero-width and bidi marks), private-use and lone surrogates.
const INVISIBLE_OR_CONTROL = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}]/u;
// RFC 5322 dot-atom: atext runs separated by single dots.
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const NON_ASCII = /[^\x00-\x7F]/;
const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const ALL_DIGITS = /^\d+$/;

/**
 * Parses an e-mail address given at login or registration. Normalises with NFKC before any
 * check, so fullwidth `＠` or `＜` are judged as `@` and `<`. Accepts only a bare
 * `local@domain` with a dot-atom ASCII local part: quoted local parts, comments, display-name
 * forms and IP-literal domains are rejected. A non-ASCII local part gets its own reason,
 * because the outgoing SMTP relay is not assumed to support SMTPUTF8.
 */
export function parseEmail(input: string): EmailParseResult {
  if (exceedsInputLimit(input)) {
    return { ok: false, reason: 'too_long' };
  }

  const display = normalizeInput(input);
  const formProblem = findFormProblem(display);
  if (formProblem !== undefined) {
    return { ok: false, reason: formProblem };
  }

  const parts = display.split('@');
  if (parts.length < 2) {
    return { ok: false, reason: 'missing_at' };
  }
  if (parts.length > 2) {
    return { ok: false, reason: 'multiple_at' };
  }
  const [local = '', domain = ''] = parts;

  const localProblem = findLocalPartProblem(local);
  if (localProblem !== undefined) {
    return { ok: false, reason: localProblem };
  }

  const asciiDomain = toAsciiDomain(domain);
  if (asciiDomain === undefined) {
    return { ok: false, reason: 'invalid_domain' };
  }

  const value = `${local.toLowerCase()}@${asciiDomain}`;
  if (value.length > MAX_ADDRESS_LENGTH) {
    return { ok: false, reason: 'too_long' };
  }
  return { ok: true, value, display };
}

/**
 * Finds empty input, control characters, or RFC 5322 syntax that a login address may not use:
 * display names, quoted strings, comments and whitespace.
 */
function findFormProblem(address: string): EmailError | undefined {
  if (address === '') {
    return 'empty';
  }
  if (INVISIBLE_OR_CONTROL.test(address)) {
    return 'control_characters';
  }
  // Checked before whitespace, because `Иван <ivan@example.ru>` also contains a space.
  if (address.includes('<') || address.includes('>')) {
    return 'display_name';
  }
  if (address.includes('"')) {
    return 'quoted_local_part';
  }
  if (address.includes('(') || address.includes(')')) {
    return 'comment';
  }
  if (/\s/u.test(address)) {
    return 'whitespace';
  }
  return undefined;
}

function findLocalPartProblem(local: string): EmailError | undefined {
  if (NON_ASCII.test(local)) {
    return 'non_ascii_local_part';
  }
  if (local.length > MAX_LOCAL_PART_LENGTH || !DOT_ATOM.test(local)) {
    return 'invalid_local_part';
  }
  return undefined;
}

/**
 * Converts a domain to lowercase ASCII (punycode for IDN labels) and checks it is a
 * hostname of at least two letter-digit-hyphen labels with a non-numeric top-level label.
 * `domainToASCII` alone is not enough: it lets through `_`, `$`, empty and numeric labels.
 */
function toAsciiDomain(domain: string): string | undefined {
  const ascii = domainToASCII(domain).toLowerCase();
  if (ascii === '' || ascii.length > MAX_DOMAIN_LENGTH) {
    return undefined;
  }

  const labels = ascii.split('.');
  const topLevel = labels[labels.length - 1] ?? '';
  if (labels.length < 2 || ALL_DIGITS.test(topLevel)) {
    return undefined;
  }
  const labelsValid = labels.every((label) => label.length <= MAX_LABEL_LENGTH && LDH_LABEL.test(label) && decodesAsPunycode(label));
  return labelsValid ? ascii : undefined;
}

/**
 * An `xn--` label must decode. Node 20 returns '' for one that does not; Node
 * 24 (ada) returns it unchanged from both conversions, so check the decoding.
 */
function decodesAsPunycode(label: string): boolean {
  if (!label.startsWith('xn--')) {
    return true;
  }
  const unicode = domainToUnicode(label);
  return unicode !== '' && !unicode.startsWith('xn--');
}

/** Masks an address for logs and pages: `ivan@example.ru` → `i***@example.ru`. */
export function maskEmail(value: string): string {
  const at = value.lastIndexOf('@');
  if (at < 1) {
    return '***';
  }
  return `${value.slice(0, 1)}***${value.slice(at)}`;
}
