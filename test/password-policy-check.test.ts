import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { en } from '../src/i18n/catalogues/en.js';
import { ru } from '../src/i18n/catalogues/ru.js';
import { commonPasswordCount } from '../src/identity/password/common-passwords.js';
import { hashPassword, verifyPassword } from '../src/identity/password/hash.js';
import { checkPassword, type PasswordContext } from '../src/identity/password/policy.js';

const IVANOVA: PasswordContext = {
  familyName: 'Иванова',
  givenName: 'Мария',
  middleName: 'Петровна',
  phones: ['+79160000001'],
  emails: ['ivanova@example.ru'],
  snils: ['14528796397'],
};

function reasonsOf(password: string, context: PasswordContext = IVANOVA): string[] {
  const check = checkPassword(password, context);
  return check.ok ? [] : check.reasons;
}

describe('password length', () => {
  test('8 code points pass and 7 do not', () => {
    assert.deepEqual(reasonsOf('жук9лес!'), []);
    assert.deepEqual(reasonsOf('жук9лес'), ['password.policy.too_short']);
  });

  test('characters count as code points, not UTF-16 units', () => {
    // Each emoji is one code point but two UTF-16 units.
    assert.deepEqual(reasonsOf('🦊🐻🐼🦁🐯🐨🐸🐵'), []);
    assert.deepEqual(reasonsOf('🦊🐻🐼🦁'), ['password.policy.too_short']);
  });

  test('length is counted after NFKC', () => {
    // The ligatures «ﬀ», «ﬁ», «ﬂ» are one code point each; NFKC turns each into two letters.
    assert.deepEqual(reasonsOf('ﬀﬁﬂﬀ'), [], 'four ligatures are eight characters after NFKC');
  });

  test('256 code points pass and 257 do not', () => {
    const phrase = 'тихий ветер над рекой '.repeat(12);
    assert.deepEqual(reasonsOf([...phrase].slice(0, 256).join('')), []);
    assert.deepEqual(reasonsOf(`${[...phrase].slice(0, 256).join('')}ы`), ['password.policy.too_long']);
  });

  test('no composition rules: lower-case letters and spaces are enough', () => {
    assert.deepEqual(reasonsOf('тихий ветер над рекой'), []);
    assert.deepEqual(reasonsOf('purple elephant umbrella'), []);
  });
});

describe('common passwords', () => {
  test('the bundled list is loaded', () => {
    assert.ok(commonPasswordCount() > 40_000, `the list has ${commonPasswordCount()} entries`);
  });

  test('common passwords are rejected whatever their case', () => {
    for (const password of ['password123', 'PASSWORD123', 'qwertyuiop', '1q2w3e4r5t', 'iloveyou']) {
      assert.deepEqual(reasonsOf(password), ['password.policy.common'], password);
    }
  });

  test('a common word with digits or punctuation added at the end is rejected', () => {
    assert.deepEqual(reasonsOf('Password2024!'), ['password.policy.common']);
    assert.deepEqual(reasonsOf('sunshine...7'), ['password.policy.common']);
  });

  test('a common password typed on the Russian layout is rejected', () => {
    // «йцукен» is «qwerty» and «пароль» is «gfhjkm» on the other layout.
    assert.deepEqual(reasonsOf('йцукен123'), ['password.policy.common']);
    assert.deepEqual(reasonsOf('пароль2024'), ['password.policy.common']);
  });

  test('a common word inside a longer phrase is accepted', () => {
    assert.deepEqual(reasonsOf('my password is a purple elephant'), []);
  });
});

describe('context words', () => {
  const cases: Array<[string, string]> = [
    ['Иванова2015', 'password.policy.name'],
    ['мария петровна', 'password.policy.name'],
    ['ivanova!!', 'password.policy.name'],
    ['mariaivanova', 'password.policy.name'],
    ['+7 916 000-00-01', 'password.policy.phone'],
    ['89160000001', 'password.policy.phone'],
    ['9160000001', 'password.policy.phone'],
    ['ivanova@example.ru', 'password.policy.email'],
    ['145-287-963 97', 'password.policy.snils'],
    ['14528796397', 'password.policy.snils'],
    ['propusk2026', 'password.policy.service'],
    ['Пропуск!!!', 'password.policy.service'],
    ['dnevnik123', 'password.policy.service'],
    ['мэш12345', 'password.policy.service'],
    ['школа123', 'password.policy.service'],
  ];
  for (const [password, reason] of cases) {
    test(`${password} → ${reason}`, () => {
      assert.ok(reasonsOf(password).includes(reason), `reasons: ${JSON.stringify(reasonsOf(password))}`);
    });
  }

  test('the e-mail local part is a context word of its own', () => {
    const context = { emails: ['anna.smirnova@example.ru'] };
    assert.deepEqual(reasonsOf('anna.smirnova', context), ['password.policy.email']);
    assert.deepEqual(reasonsOf('annasmirnova2010', context), ['password.policy.email']);
  });

  test('another person’s name is not a context word', () => {
    assert.deepEqual(reasonsOf('Иванова2015', { familyName: 'Смирнова', givenName: 'Анна' }).filter((reason) => reason !== 'password.policy.common'), []);
  });

  test('a name inside a longer phrase is accepted', () => {
    assert.deepEqual(reasonsOf('мария любит кататься на лыжах'), []);
  });
});

describe('rejection messages', () => {
  test('every reason has guidance in both languages', () => {
    const reasons = ['password.policy.too_short', 'password.policy.too_long', 'password.policy.common', 'password.policy.name',
      'password.policy.phone', 'password.policy.email', 'password.policy.snils', 'password.policy.service'] as const;
    for (const reason of reasons) {
      assert.ok(ru[reason].length > 40, `${reason} in Russian`);
      assert.ok(en[reason].length > 40, `${reason} in English`);
    }
    assert.match(ru['password.policy.common'], /слишком распространён/);
    assert.match(ru['password.policy.name'], /не должен совпадать с вашим именем/);
    assert.match(ru['password.policy.common'], /фразу из трёх-четырёх слов/);
  });
});

describe('no truncation', () => {
  test('a password that differs only after its 72nd byte is a different password', async () => {
    const prefix = 'a'.repeat(72);
    const stored = await hashPassword(`${prefix}-first-ending`);
    assert.equal((await verifyPassword(stored, `${prefix}-first-ending`)).ok, true);
    assert.equal((await verifyPassword(stored, `${prefix}-other-ending`)).ok, false);
    assert.equal((await verifyPassword(stored, prefix)).ok, false);
  });
});

describe('repetition and birth date', () => {
  test('one or two repeated characters are rejected', () => {
    for (const password of ['aaaaaaaa', '        ', 'abababab', '11111111']) {
      const check = checkPassword(password, {});
      assert.equal(check.ok, false, password);
      assert.ok(!check.ok, password);
      assert.ok(check.reasons.includes('password.policy.repetitive'), password);
    }
  });

  test('three distinct characters are not a repetition', () => {
    const check = checkPassword('абвабвабв абв', {});
    assert.ok(check.ok || !check.reasons.includes('password.policy.repetitive'));
  });

  test('the birth date in usual orders is rejected', () => {
    for (const password of ['1985-03-14', '14.03.1985', '14031985x', 'Маша140385']) {
      const check = checkPassword(password, { birthdate: '1985-03-14' });
      assert.ok(!check.ok, password);
      assert.ok(check.reasons.includes('password.policy.birthdate'), password);
    }
  });

  test('another date is not the birth date', () => {
    const check = checkPassword('морской ветер 1999', { birthdate: '1985-03-14' });
    assert.ok(check.ok || !check.reasons.includes('password.policy.birthdate'));
  });
});
