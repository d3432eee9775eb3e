import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ImportError } from '../src/errors/index.js';
import { importRecords } from '../src/importer/index.js';
import { findPersonByExternalId } from '../src/storage/people.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';

function person(initialPassword: string) {
  return {
    people: [
      {
        id: 'policy-test-1',
        family_name: 'Соколова',
        given_name: 'Дарья',
        phone: '+7 916 555-12-34',
        email: 'sokolova@example.ru',
        snils: '112-233-445 95',
        initial_password: initialPassword,
      },
    ],
  };
}

describe('initial_password in the import', () => {
  let propusk: RunningPropusk;

  before(async () => {
    propusk = await startPropusk();
  });
  after(async () => propusk.stop());

  async function problemsFor(initialPassword: string): Promise<string[]> {
    try {
      await importRecords(propusk.runtime.store, propusk.runtime, person(initialPassword));
    } catch (error) {
      assert.ok(error instanceof ImportError, `expected an ImportError, got ${String(error)}`);
      return error.problems;
    }
    return [];
  }

  const rejected: Array<[string, RegExp]> = [
    ['password123', /^people\[0\]\.initial_password: is on the list of common passwords; generate a random one for each person$/],
    ['Sokolova2010', /^people\[0\]\.initial_password: must not be the person's name, even with digits or punctuation at the end$/],
    ['89165551234', /^people\[0\]\.initial_password: must not be the person's phone number$/],
    ['sokolova@example.ru', /^people\[0\]\.initial_password: must not be the person's e-mail address or its part before the @$/],
    ['11223344595', /^people\[0\]\.initial_password: must not be the person's SNILS$/],
    ['dnevnik2026', /^people\[0\]\.initial_password: must not be the name of the service/],
    // Eight code points as typed, four after NFKC composes each «е» and its combining diaeresis.
    ['е\u0308е\u0308е\u0308е\u0308', /^people\[0\]\.initial_password: must be at least 8 characters \(Unicode code points after NFKC normalization\)$/],
  ];
  for (const [password, problem] of rejected) {
    test(`${password} is rejected with the reason`, async () => {
      const problems = await problemsFor(password);
      assert.ok(problems.some((line) => problem.test(line)), `problems: ${JSON.stringify(problems)}`);
      assert.ok(problems.every((line) => !line.includes(password)), 'the password itself is never echoed');
      assert.equal(await findPersonByExternalId(propusk.runtime.store.db, 'policy-test-1'), undefined, 'nothing was written');
    });
  }

  test('a strong initial password is accepted', async () => {
    assert.deepEqual(await problemsFor('река-окно-гитара-7'), []);
    const stored = await findPersonByExternalId(propusk.runtime.store.db, 'policy-test-1');
    assert.ok(stored !== undefined, 'the person was written');
    assert.notEqual(stored.passwordHash, null, 'with a password hash');
  });
});
