import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { EMAIL_ERRORS, maskEmail, parseEmail } from '../src/identity/identifiers/email.js';
import { MAX_IDENTIFIER_INPUT_LENGTH, normalizeInput } from '../src/identity/identifiers/input.js';
import { parseIdentifier, readLoginIdentifier } from '../src/identity/identifiers/parse.js';
import { maskPhone, parsePhone, PHONE_ERRORS } from '../src/identity/identifiers/phone.js';
import { formatSnils, maskSnils, parseSnils, SNILS_ERRORS } from '../src/identity/identifiers/snils.js';

const RUNS = { numRuns: 2000 };

// Characters that identifier parsers treat specially, and the ones that
// usually break normalisation. Among them: fullwidth forms, no-break and
// zero-width spaces, and spacing accents that NFKC turns into a space and a
// combining mark. Also combining marks, bidi controls, lone surrogates,
// markup, CR LF and NUL.
const HOSTILE_UNITS = [
  ...'0123456789+-().@ _\t\r\n\0<>"\'`&;,%/\\',
  ...'аеоАЕОёЁxnXN',
  '\u00A0', '\u202F', '\u2007', '\u3000', '\u2028', '\u00B4', '\u00A8', '\u200B', '\u200D', '\uFEFF', '\u202E', '\u0301', '\u0308',
  '＋', '０', '９', '＠', '．', '－', '（', '\uD800', '\uDFFF', '\u{1F600}', 'ß', 'İ', 'ﬁ', '㎏', 'Ⅻ',
];
const hostileString = fc.oneof(
  fc.string({ unit: fc.constantFrom(...HOSTILE_UNITS), maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 400 }),
);

const digits = (length: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: length, maxLength: length });

/** Computes the СНИЛС control number from the published rule, independently of the parser. */
function referenceControl(nineDigits: string): string {
  const sum = [...nineDigits].reduce((total, digit, index) => total + Number(digit) * (9 - index), 0);
  if (sum < 100) return String(sum).padStart(2, '0');
  if (sum <= 101) return '00';
  const remainder = sum % 101;
  return remainder === 100 ? '00' : String(remainder).padStart(2, '0');
}

describe('identifier parsers never throw', () => {
  test('every parser returns a known result for any input', () => {
    fc.assert(
      fc.property(hostileString, (input) => {
        const phone = parsePhone(input);
        const email = parseEmail(input);
        const snils = parseSnils(input);
        assert.ok(phone.ok ? /^\+79\d{9}$/.test(phone.value) : PHONE_ERRORS.includes(phone.reason));
        assert.ok(email.ok ? typeof email.value === 'string' : EMAIL_ERRORS.includes(email.reason));
        assert.ok(snils.ok ? /^\d{11}$/.test(snils.value) : SNILS_ERRORS.includes(snils.reason));
        for (const candidate of readLoginIdentifier(input)) {
          assert.deepEqual(parseIdentifier(candidate.kind, candidate.value).ok, true);
        }
      }),
      RUNS,
    );
  });

  test('inputs over the length limit are rejected before any work', () => {
    fc.assert(
      fc.property(fc.string({ minLength: MAX_IDENTIFIER_INPUT_LENGTH + 1, maxLength: 5000 }), (input) => {
        assert.deepEqual(parsePhone(input), { ok: false, reason: 'too_long' });
        assert.deepEqual(parseEmail(input), { ok: false, reason: 'too_long' });
        assert.deepEqual(parseSnils(input), { ok: false, reason: 'too_long' });
        assert.deepEqual(readLoginIdentifier(input), []);
      }),
      { numRuns: 200 },
    );
  });

  test('masks never throw and never show the whole value', () => {
    fc.assert(
      fc.property(hostileString, (input) => {
        for (const masked of [maskPhone(input), maskEmail(input), maskSnils(input)]) {
          assert.equal(typeof masked, 'string');
          assert.ok(input.length < 4 || masked !== input, `mask returned ${JSON.stringify(input)} unchanged`);
        }
      }),
      RUNS,
    );
  });
});

describe('normalisation is idempotent', () => {
  test('normalizeInput', () => {
    fc.assert(
      fc.property(hostileString, (input) => {
        const once = normalizeInput(input);
        assert.equal(normalizeInput(once), once);
      }),
      RUNS,
    );
  });

  test('every accepted value re-parses to itself', () => {
    fc.assert(
      fc.property(hostileString, (input) => {
        const phone = parsePhone(input);
        if (phone.ok) assert.deepEqual(parsePhone(phone.value), phone);
        const snils = parseSnils(input);
        if (snils.ok) assert.deepEqual(parseSnils(snils.value), snils);
        const email = parseEmail(input);
        if (email.ok) {
          assert.equal((parseEmail(email.value) as { value?: string }).value, email.value);
          assert.deepEqual(parseEmail(email.display), email);
        }
      }),
      RUNS,
    );
  });
});

describe('phone numbers', () => {
  test('every usual spelling of a mobile number gives one E.164 value', () => {
    fc.assert(
      fc.property(digits(9), fc.constantFrom('', ' ', '-', '\u00A0'), (rest, separator) => {
        const e164 = `+79${rest}`;
        const parsed = parsePhone(e164);
        if (!parsed.ok) {
          return;
        }
        assert.equal(parsed.value, e164);
        const national = `9${rest}`;
        const groups = [national.slice(0, 3), national.slice(3, 6), national.slice(6, 8), national.slice(8)];
        const fullwidth = [...`8${national}`].map((digit) => String.fromCodePoint(0xff10 + Number(digit))).join('');
        for (const spelling of [`8${national}`, national, `+7 (${groups[0]}) ${groups.slice(1).join(separator)}`, `8${separator}${groups.join(separator)}`, fullwidth]) {
          assert.deepEqual(parsePhone(spelling), parsed, `spelling ${JSON.stringify(spelling)}`);
        }
      }),
      RUNS,
    );
  });
});

describe('СНИЛС checksum', () => {
  test('exactly one control number fits a number after 001-001-998', () => {
    fc.assert(
      fc.property(digits(9).filter((number) => Number(number) > 1_001_998), (number) => {
        const accepted = Array.from({ length: 100 }, (_, control) => String(control).padStart(2, '0')).filter(
          (control) => parseSnils(`${number}${control}`).ok,
        );
        assert.deepEqual(accepted, [referenceControl(number)]);
        const value = `${number}${referenceControl(number)}`;
        assert.deepEqual(parseSnils(formatSnils(value)), { ok: true, value });
        const wrong = `${number}${String((Number(referenceControl(number)) + 1) % 100).padStart(2, '0')}`;
        assert.deepEqual(parseSnils(wrong), { ok: false, reason: 'invalid_checksum' });
      }),
      { numRuns: 500 },
    );
  });

  test('numbers up to 001-001-998 accept any control number', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_001_998 }), digits(2), (number, control) => {
        assert.equal(parseSnils(`${String(number).padStart(9, '0')}${control}`).ok, true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('e-mail addresses', () => {
  test('the comparison form ignores letter case', () => {
    fc.assert(
      fc.property(fc.emailAddress({ size: 'small' }), (address) => {
        const parsed = parseEmail(address);
        if (!parsed.ok) {
          return;
        }
        assert.equal((parseEmail(address.toUpperCase()) as { value?: string }).value, parsed.value);
        assert.equal(parsed.value, parsed.value.toLowerCase());
        assert.deepEqual(parseEmail(parsed.value).ok, true);
      }),
      RUNS,
    );
  });
});
