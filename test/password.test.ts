import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { hash, parseOptions } from '@node-rs/argon2';

import {
  PASSWORD_HASH_PARAMETERS,
  hashPassword,
  verifyAgainstDummy,
  verifyPassword,
} from '../src/identity/password/hash.js';

describe('hashPassword', () => {
  it('stores the current parameters in the PHC string', async () => {
    const stored = await hashPassword('correct horse battery staple');

    assert.match(stored, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    const options = parseOptions(stored);
    assert.equal(options.memoryCost, PASSWORD_HASH_PARAMETERS.memoryCost);
    assert.equal(options.timeCost, PASSWORD_HASH_PARAMETERS.timeCost);
    assert.equal(options.parallelism, PASSWORD_HASH_PARAMETERS.parallelism);
  });

  it('salts every hash', async () => {
    const first = await hashPassword('same password');
    const second = await hashPassword('same password');
    assert.notEqual(first, second);
  });
});

describe('verifyPassword', () => {
  it('accepts the right password', async () => {
    const stored = await hashPassword('Пароль-школы-2024');
    assert.deepEqual(await verifyPassword(stored, 'Пароль-школы-2024'), { ok: true, needsRehash: false });
  });

  it('rejects a wrong password', async () => {
    const stored = await hashPassword('Пароль-школы-2024');
    assert.deepEqual(await verifyPassword(stored, 'Пароль-школы-2025'), { ok: false, needsRehash: false });
  });

  it('rejects an empty password', async () => {
    const stored = await hashPassword('secret');
    assert.deepEqual(await verifyPassword(stored, ''), { ok: false, needsRehash: false });
  });

  it('compares bytes after the 72nd', async () => {
    // bcrypt ignores everything after 72 bytes, so these two would collide there.
    const prefix = 'x'.repeat(72);
    const stored = await hashPassword(`${prefix}-first`);

    assert.equal(Buffer.byteLength(prefix), 72);
    assert.equal((await verifyPassword(stored, `${prefix}-first`)).ok, true);
    assert.equal((await verifyPassword(stored, `${prefix}-second`)).ok, false);
    assert.equal((await verifyPassword(stored, prefix)).ok, false);
  });

  it('compares multi-byte characters after the 72nd byte', async () => {
    // 36 Cyrillic letters are 72 bytes of UTF-8.
    const prefix = 'ж'.repeat(36);
    const stored = await hashPassword(`${prefix}а`);

    assert.equal(Buffer.byteLength(prefix), 72);
    assert.equal((await verifyPassword(stored, `${prefix}б`)).ok, false);
  });

  it('treats NFKC-equivalent passwords as equal', async () => {
    const stored = await hashPassword('ｐａｓｓｗｏｒｄ１２３');
    assert.equal((await verifyPassword(stored, 'password123')).ok, true);

    // "й" precomposed (U+0439) and as "и" + combining breve (U+0438 U+0306).
    const composed = await hashPassword('мо\u0439');
    assert.equal((await verifyPassword(composed, 'мо\u0438\u0306')).ok, true);
  });

  it('keeps case significant', async () => {
    const stored = await hashPassword('Password');
    assert.equal((await verifyPassword(stored, 'password')).ok, false);
  });

  it('reports needsRehash for weaker stored parameters', async () => {
    const weak = await hash('old password', { memoryCost: 8192, timeCost: 1, parallelism: 1 });

    assert.deepEqual(await verifyPassword(weak, 'old password'), { ok: true, needsRehash: true });
  });

  it('reports needsRehash for fewer passes alone', async () => {
    const weak = await hash('old password', { memoryCost: PASSWORD_HASH_PARAMETERS.memoryCost, timeCost: 1 });

    assert.deepEqual(await verifyPassword(weak, 'old password'), { ok: true, needsRehash: true });
  });

  it('skips needsRehash when the password is wrong', async () => {
    const weak = await hash('old password', { memoryCost: 8192, timeCost: 1, parallelism: 1 });

    assert.deepEqual(await verifyPassword(weak, 'guess'), { ok: false, needsRehash: false });
  });

  it('rejects a stored value that is not a PHC string', async () => {
    await assert.rejects(verifyPassword('not a hash', 'secret'));
  });
});

describe('verifyAgainstDummy', () => {
  it('always returns ok false', async () => {
    assert.deepEqual(await verifyAgainstDummy('secret'), { ok: false, needsRehash: false });
    assert.deepEqual(await verifyAgainstDummy(''), { ok: false, needsRehash: false });
  });

  it('costs about as much as a real verification', async () => {
    const stored = await hashPassword('secret');
    await verifyAgainstDummy('warm-up');

    let real = 0;
    let dummy = 0;
    for (let round = 0; round < 4; round += 1) {
      const realStart = performance.now();
      await verifyPassword(stored, 'wrong');
      real += performance.now() - realStart;

      const dummyStart = performance.now();
      await verifyAgainstDummy('wrong');
      dummy += performance.now() - dummyStart;
    }

    // Both run argon2id at the same parameters. The factor of 3 keeps scheduler noise out
    // but still fails if the dummy hash were made with cheaper parameters or skipped.
    assert.ok(dummy > real / 3, `dummy ${dummy.toFixed(1)} ms, real ${real.toFixed(1)} ms`);
  });
});

describe('hashing on the thread pool', () => {
  it('keeps the event loop running during concurrent hashes', async () => {
    let ticks = 0;
    const timer = setInterval(() => {
      ticks += 1;
    }, 1);

    try {
      const hashes = await Promise.all([
        hashPassword('one'),
        hashPassword('two'),
        hashPassword('three'),
        hashPassword('four'),
      ]);
      assert.equal(hashes.length, 4);
    } finally {
      clearInterval(timer);
    }

    assert.ok(ticks > 0, 'the interval timer never fired while hashing');
  });
});
