import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { maskEmail, parseEmail } from '../src/identity/identifiers/email.js';
import { MAX_IDENTIFIER_INPUT_LENGTH } from '../src/identity/identifiers/input.js';
import { parseIdentifier, readLoginIdentifier } from '../src/identity/identifiers/parse.js';
import { maskPhone, parsePhone, type PhoneError } from '../src/identity/identifiers/phone.js';
import { formatSnils, maskSnils, parseSnils, type SnilsError } from '../src/identity/identifiers/snils.js';

const NBSP = '\u00A0';
const NARROW_NBSP = '\u202F';

describe('parsePhone', () => {
  const accepted: Array<[string, string]> = [
    ['+7 (916) 123-45-67', '+79161234567'],
    ['+7(916)123-45-67', '+79161234567'],
    ['+79161234567', '+79161234567'],
    ['8 916 123 45 67', '+79161234567'],
    ['8 (916) 123-45-67', '+79161234567'],
    ['8-916-123-45-67', '+79161234567'],
    ['89161234567', '+79161234567'],
    ['7 916 1234567', '+79161234567'],
    ['79161234567', '+79161234567'],
    ['9161234567', '+79161234567'],
    ['916.123.45.67', '+79161234567'],
    ['(916) 123-45-67', '+79161234567'],
    [`+7${NBSP}916${NBSP}123-45-67`, '+79161234567'],
    [`8${NARROW_NBSP}916${NARROW_NBSP}123${NARROW_NBSP}45${NARROW_NBSP}67`, '+79161234567'],
    ['  +7 916 123 45 67\t', '+79161234567'],
    ['＋７ ９１６ １２３ ４５ ６７', '+79161234567'],
    ['+7 903 000-00-01', '+79030000001'],
    ['8 999 999 99 99', '+79999999999'],
  ];
  for (const [input, expected] of accepted) {
    it(`accepts ${JSON.stringify(input)}`, () => {
      assert.deepEqual(parsePhone(input), { ok: true, value: expected });
    });
  }

  const rejected: Array<[string, string, PhoneError]> = [
    ['empty string', '', 'empty'],
    ['only separators', ' ( ) - ', 'empty'],
    ['Moscow landline', '8 (495) 123-45-67', 'not_mobile'],
    ['landline in E.164', '+7 812 123 45 67', 'not_mobile'],
    ['toll-free 8-800', '8 800 555-35-35', 'not_mobile'],
    ['Kazakh mobile +7 701', '+7 701 123 45 67', 'foreign_number'],
    ['Kazakh landline +7 7172', '+7 7172 12 34 56', 'foreign_number'],
    ['unassigned +7 6xx', '+7 600 123 45 67', 'invalid_number'],
    ['UK mobile', '+44 7911 123456', 'foreign_number'],
    ['Belarus mobile', '+375 29 123 45 67', 'foreign_number'],
    ['nine digits', '916 123 45 6', 'invalid_length'],
    ['twelve digits with +7', '+7 916 123 45 678', 'invalid_length'],
    ['letters', '8 916 FLOWERS', 'invalid_characters'],
    ['Cyrillic letters', '8 916 123 45 6в', 'invalid_characters'],
    ['extension', '+7 916 123-45-67 доб. 12', 'invalid_characters'],
    ['plus in the middle', '8 916 +123 45 67', 'invalid_characters'],
    ['two plus signs', '++7 916 123 45 67', 'invalid_characters'],
    ['nonexistent country code', '+8 916 123 45 67', 'invalid_number'],
    ['e-mail address', 'user@example.ru', 'invalid_characters'],
    ['over the input cap', '9'.repeat(MAX_IDENTIFIER_INPUT_LENGTH + 1), 'too_long'],
  ];
  for (const [name, input, reason] of rejected) {
    it(`rejects ${name}`, () => {
      assert.deepEqual(parsePhone(input), { ok: false, reason });
    });
  }
});

describe('maskPhone', () => {
  it('keeps operator code and last two digits', () => {
    assert.equal(maskPhone('+79161234567'), '+7 916 ***-**-67');
  });

  it('hides everything of an unexpected value', () => {
    assert.equal(maskPhone('+447911123456'), '***');
  });
});

describe('parseEmail', () => {
  it('lowercases local part and domain for comparison', () => {
    assert.deepEqual(parseEmail('Ivan.Petrov@Example.RU'), {
      ok: true,
      value: 'ivan.petrov@example.ru',
      display: 'Ivan.Petrov@Example.RU',
    });
  });

  it('trims surrounding whitespace', () => {
    const result = parseEmail(`  ivan@example.ru${NBSP}\n`);
    assert.deepEqual(result, { ok: true, value: 'ivan@example.ru', display: 'ivan@example.ru' });
  });

  it('gives one value for every IDN spelling', () => {
    const spellings = ['user@Пример.РФ', 'USER@xn--e1afmkfd.xn--p1ai', 'user@пример.рф', 'User@ПРИМЕР.рф'];
    for (const spelling of spellings) {
      const result = parseEmail(spelling);
      assert.ok(result.ok, spelling);
      assert.equal(result.value, 'user@xn--e1afmkfd.xn--p1ai', spelling);
    }
  });

  it('keeps the Unicode domain in display', () => {
    const result = parseEmail('user@Пример.РФ');
    assert.ok(result.ok);
    assert.equal(result.display, 'user@Пример.РФ');
  });

  it('normalises fullwidth characters with NFKC', () => {
    const result = parseEmail('ｕｓｅｒ＠ｅｘａｍｐｌｅ．ｒｕ');
    assert.ok(result.ok);
    assert.equal(result.value, 'user@example.ru');
    assert.equal(result.display, 'user@example.ru');
  });

  it('normalises before rejecting fullwidth angle brackets', () => {
    assert.deepEqual(parseEmail('Иван ＜ivan@example.ru＞'), { ok: false, reason: 'display_name' });
  });

  it('accepts plus tags and RFC 5322 atext', () => {
    const result = parseEmail("o'brien+school-1@mail.example.ru");
    assert.ok(result.ok);
    assert.equal(result.value, "o'brien+school-1@mail.example.ru");
  });

  const rejected: Array<[string, string, string]> = [
    ['empty string', '   ', 'empty'],
    ['display-name form', 'Иван <ivan@example.ru>', 'display_name'],
    ['bare angle brackets', '<ivan@example.ru>', 'display_name'],
    ['quoted local part', '"ivan petrov"@example.ru', 'quoted_local_part'],
    ['quoted local part without spaces', '"ivan"@example.ru', 'quoted_local_part'],
    ['comment', 'ivan(school)@example.ru', 'comment'],
    ['comment in domain', 'ivan@(comment)example.ru', 'comment'],
    ['space inside', 'ivan petrov@example.ru', 'whitespace'],
    ['no-break space inside', `ivan${NBSP}@example.ru`, 'whitespace'],
    ['control character', 'ivan\u0007@example.ru', 'control_characters'],
    ['zero-width space', 'iv\u200Ban@example.ru', 'control_characters'],
    ['right-to-left override', 'ivan@exa\u202Emple.ru', 'control_characters'],
    ['no at sign', 'ivan.example.ru', 'missing_at'],
    ['two at signs', 'ivan@school@example.ru', 'multiple_at'],
    ['Cyrillic local part', 'иван@example.ru', 'non_ascii_local_part'],
    ['accented local part', 'josé@example.ru', 'non_ascii_local_part'],
    ['empty local part', '@example.ru', 'invalid_local_part'],
    ['leading dot', '.ivan@example.ru', 'invalid_local_part'],
    ['double dot', 'ivan..petrov@example.ru', 'invalid_local_part'],
    ['trailing dot in local part', 'ivan.@example.ru', 'invalid_local_part'],
    ['local part over 64 characters', `${'a'.repeat(65)}@example.ru`, 'invalid_local_part'],
    ['empty domain', 'ivan@', 'invalid_domain'],
    ['dotless domain', 'ivan@localhost', 'invalid_domain'],
    ['IP literal', 'ivan@[192.168.0.1]', 'invalid_domain'],
    ['numeric domain', 'ivan@192.168.0.1', 'invalid_domain'],
    ['underscore in domain', 'ivan@ex_ample.ru', 'invalid_domain'],
    ['label starting with hyphen', 'ivan@-example.ru', 'invalid_domain'],
    ['empty label', 'ivan@example..ru', 'invalid_domain'],
    ['trailing dot in domain', 'ivan@example.ru.', 'invalid_domain'],
    ['broken punycode', 'ivan@xn--zz.ru', 'invalid_domain'],
    ['label over 63 characters', `ivan@${'a'.repeat(64)}.ru`, 'invalid_domain'],
    // 20 + 1 + 238 = 259 characters, with the local part and the domain each within their limits.
    ['address over 254 characters', `${'a'.repeat(20)}@${'b'.repeat(58)}.${'c'.repeat(58)}.${'d'.repeat(58)}.${'e'.repeat(58)}.ru`, 'too_long'],
    ['domain over 253 characters', `ivan@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.${'e'.repeat(63)}.ru`, 'invalid_domain'],
    ['over the input cap', `${'a'.repeat(MAX_IDENTIFIER_INPUT_LENGTH)}@example.ru`, 'too_long'],
  ];
  for (const [name, input, reason] of rejected) {
    it(`rejects ${name}`, () => {
      assert.deepEqual(parseEmail(input), { ok: false, reason });
    });
  }
});

describe('maskEmail', () => {
  it('keeps first character and domain', () => {
    assert.equal(maskEmail('ivan@example.ru'), 'i***@example.ru');
  });

  it('hides a value without local part', () => {
    assert.equal(maskEmail('@example.ru'), '***');
  });
});

describe('parseSnils', () => {
  const accepted: Array<[string, string, string]> = [
    ['formatted', '123-456-789 64', '12345678964'],
    ['bare digits', '12345678964', '12345678964'],
    ['spaces only', '123 456 789 64', '12345678964'],
    ['dashes only', '123-456-789-64', '12345678964'],
    ['no-break spaces', `123${NBSP}456${NARROW_NBSP}789${NBSP}64`, '12345678964'],
    ['sum 95', '112-233-445 95', '11223344595'],
    ['sum 100 gives 00', '001-019-989 00', '00101998900'],
    ['sum 101 gives 00', '001-019-998 00', '00101999800'],
    ['sum 201 reduces to 100, gives 00', '106-897-449 00', '10689744900'],
    ['sum 222 reduces to 20', '891-612-345 20', '89161234520'],
    ['number 001-001-998 without check', '001-001-998 77', '00100199877'],
    ['number below 001-001-998 without check', '000-000-001 99', '00000000199'],
  ];
  for (const [name, input, value] of accepted) {
    it(`accepts ${name}`, () => {
      assert.deepEqual(parseSnils(input), { ok: true, value });
    });
  }

  const rejected: Array<[string, string, SnilsError]> = [
    ['wrong control digits', '123-456-789 65', 'invalid_checksum'],
    ['01 where sum 100 needs 00', '001-019-989 01', 'invalid_checksum'],
    ['100 where sum 201 needs 00', '106-897-449 10', 'invalid_checksum'],
    ['number 001-001-999, first with check', '001-001-999 00', 'invalid_checksum'],
    ['ten digits', '123-456-789 6', 'invalid_length'],
    ['twelve digits', '123-456-789 641', 'invalid_length'],
    ['letters', '123-456-789 6A', 'invalid_characters'],
    ['plus sign', '+12345678964', 'invalid_characters'],
    ['empty string', '', 'empty'],
    ['over the input cap', '1'.repeat(MAX_IDENTIFIER_INPUT_LENGTH + 1), 'too_long'],
  ];
  for (const [name, input, reason] of rejected) {
    it(`rejects ${name}`, () => {
      assert.deepEqual(parseSnils(input), { ok: false, reason });
    });
  }

  it('keeps the digits out of rejections', () => {
    for (const [, input] of rejected) {
      assert.doesNotMatch(JSON.stringify(parseSnils(input)), /\d/, input.slice(0, 20));
    }
  });
});

describe('formatSnils and maskSnils', () => {
  it('formats 11 digits', () => {
    assert.equal(formatSnils('12345678964'), '123-456-789 64');
  });

  it('masks all but the last group', () => {
    assert.equal(maskSnils('12345678964'), '***-***-789 64');
  });

  it('masks an unexpected value entirely', () => {
    assert.equal(maskSnils('123'), '***-***-*** **');
  });
});

describe('readLoginIdentifier', () => {
  it('reads a phone number', () => {
    assert.deepEqual(readLoginIdentifier('+7 916 123-45-67'), [{ kind: 'phone', value: '+79161234567' }]);
  });

  it('reads an e-mail address', () => {
    assert.deepEqual(readLoginIdentifier('Ivan@Example.ru'), [{ kind: 'email', value: 'ivan@example.ru' }]);
  });

  it('reads a СНИЛС', () => {
    assert.deepEqual(readLoginIdentifier('123-456-789 64'), [{ kind: 'snils', value: '12345678964' }]);
  });

  it('reads 8-prefixed digits as phone and СНИЛС', () => {
    // 891612345: 8·9 + 9·8 + 1·7 + 6·6 + 1·5 + 2·4 + 3·3 + 4·2 + 5·1 = 222, 222 mod 101 = 20.
    assert.deepEqual(readLoginIdentifier('8 916 123 45 20'), [
      { kind: 'phone', value: '+79161234520' },
      { kind: 'snils', value: '89161234520' },
    ]);
  });

  it('reads 7-prefixed digits as phone and СНИЛС', () => {
    // 791612345: 7·9 + 9·8 + 1·7 + 6·6 + 1·5 + 2·4 + 3·3 + 4·2 + 5·1 = 213, 213 mod 101 = 11.
    assert.deepEqual(readLoginIdentifier('79161234511'), [
      { kind: 'phone', value: '+79161234511' },
      { kind: 'snils', value: '79161234511' },
    ]);
  });

  it('reads a phone whose digits fail the СНИЛС check as phone only', () => {
    assert.deepEqual(readLoginIdentifier('89161234521'), [{ kind: 'phone', value: '+79161234521' }]);
  });

  it('reads a СНИЛС that is no mobile number as СНИЛС only', () => {
    assert.deepEqual(readLoginIdentifier('11223344595'), [{ kind: 'snils', value: '11223344595' }]);
  });

  const none: Array<[string, string]> = [
    ['empty string', ''],
    ['whitespace', '   '],
    ['plain word', 'ivan'],
    ['landline', '8 495 123-45-67'],
    ['invalid СНИЛС', '123-456-789 65'],
    ['display-name e-mail', 'Иван <ivan@example.ru>'],
    ['over the input cap', `${'a'.repeat(MAX_IDENTIFIER_INPUT_LENGTH)}@example.ru`],
  ];
  for (const [name, input] of none) {
    it(`reads nothing from ${name}`, () => {
      assert.deepEqual(readLoginIdentifier(input), []);
    });
  }
});

describe('parseIdentifier', () => {
  it('dispatches to the parser of the kind', () => {
    assert.deepEqual(parseIdentifier('phone', '8 916 123 45 67'), { ok: true, value: '+79161234567' });
    assert.deepEqual(parseIdentifier('snils', '123-456-789 64'), { ok: true, value: '12345678964' });
    assert.deepEqual(parseIdentifier('email', 'IVAN@example.ru'), {
      ok: true,
      value: 'ivan@example.ru',
      display: 'IVAN@example.ru',
    });
  });

  it('parses strictly as the given kind', () => {
    assert.deepEqual(parseIdentifier('email', '8 916 123 45 67'), { ok: false, reason: 'whitespace' });
    assert.deepEqual(parseIdentifier('snils', '+7 916 123 45 67'), { ok: false, reason: 'invalid_characters' });
  });
});
