// The identifier cipher and its data keys on a real database: what the
// ciphertext is bound to, which key the lookup hash depends on, and how the
// keys table protects the versions that rows still use.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { decryptAesGcm, encryptAesGcm } from '../src/keys/aes-gcm.js';
import { deleteRetiredDataKeys, rotateDataKey } from '../src/keys/data-keys.js';
import { openIdentifierCipher } from '../src/keys/identifier-cipher.js';
import { createSealer } from '../src/keys/sealer.js';
import { StorageError } from '../src/errors/index.js';
import type { Store } from '../src/storage/database.js';
import { insertDataKey, listDataKeys } from '../src/storage/data-keys.js';
import type { IdentifierCipher, SealedIdentifier } from '../src/storage/identifier-cipher.js';
import { replaceIdentifiers } from '../src/storage/identifiers.js';
import { upsertPersonByExternalId } from '../src/storage/people.js';
import { migratedStoreHooks, openPostgresTestStore, openSqliteTestStore, type OpenFreshStore } from './helpers/databases.js';
import { postgresAvailable, serviceGate } from './helpers/services.js';

const EMAIL = { kind: 'email', value: 'secret.person@school.example', display: 'Secret.Person@School.example' } as const;
const PERSON = '6f1c7d1e-1111-4111-8111-111111111111';
const OTHER_PERSON = '6f1c7d1e-2222-4222-8222-222222222222';

function openedWith(cipher: IdentifierCipher, personId: string, sealed: SealedIdentifier, kind: 'email' | 'phone' = 'email') {
  return cipher.open(personId, kind, sealed);
}

function assertStorageErrorWithoutValue(action: () => unknown, pattern: RegExp): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof StorageError, String(error));
    assert.match(error.message, pattern);
    assert.doesNotMatch(error.message, /secret\.person/i);
    return true;
  });
}

function runCipherSuite(name: string, openFreshStore: OpenFreshStore, gate: { skip?: string } = {}): void {
  describe(`identifier cipher on ${name}`, gate, () => {
    let store: Store;
    let masterKey: Buffer;
    let cipher: IdentifierCipher;

    migratedStoreHooks(openFreshStore, async (opened) => {
      store = opened;
      masterKey = randomBytes(32);
      cipher = await openIdentifierCipher(store.db, masterKey);
    });

    it('round-trips and hides the value', () => {
      const first = cipher.seal(PERSON, EMAIL);
      const second = cipher.seal(PERSON, EMAIL);

      assert.deepEqual(openedWith(cipher, PERSON, first), EMAIL);
      assert.notEqual(first.valueEncrypted, second.valueEncrypted, 'two encryptions of one value are equal');
      assert.equal(first.valueHmac, second.valueHmac);
      for (const text of [first.valueHmac, first.valueEncrypted, first.displayEncrypted ?? '']) {
        assert.doesNotMatch(text, /secret|school/i);
      }
    });

    it('binds ciphertext to person, kind and column', () => {
      const sealed = cipher.seal(PERSON, EMAIL);

      assertStorageErrorWithoutValue(() => openedWith(cipher, OTHER_PERSON, sealed), /Cannot decrypt a stored email identifier/);
      assertStorageErrorWithoutValue(() => openedWith(cipher, PERSON, sealed, 'phone'), /Cannot decrypt/);
      const swapped = { ...sealed, valueEncrypted: sealed.displayEncrypted as string, displayEncrypted: sealed.valueEncrypted };
      assertStorageErrorWithoutValue(() => openedWith(cipher, PERSON, swapped), /Cannot decrypt/);
      const [iv, body, tag] = sealed.valueEncrypted.split('.') as [string, string, string];
      const flipped = `${iv}.${body.startsWith('A') ? 'B' : 'A'}${body.slice(1)}.${tag}`;
      assertStorageErrorWithoutValue(() => openedWith(cipher, PERSON, { ...sealed, valueEncrypted: flipped }), /Cannot decrypt/);
    });

    it('rejects an unknown key version', () => {
      const sealed = cipher.seal(PERSON, EMAIL);

      assertStorageErrorWithoutValue(() => openedWith(cipher, PERSON, { ...sealed, keyVersion: 99 }), /data key version 99 is not in the data_keys table/);
    });

    it('lookup hash separates kinds and master keys', async () => {
      const other = await openIdentifierCipher(store.db, masterKey);
      assert.equal(other.lookupHash('phone', '+79160000001'), cipher.lookupHash('phone', '+79160000001'));
      assert.notEqual(cipher.lookupHash('phone', '79160000001'), cipher.lookupHash('snils', '79160000001'));
      assert.notEqual(cipher.lookupHash('phone', '+79160000001'), cipher.lookupHash('phone', '+79160000002'));
      // Another master key cannot open the data keys at all.
      await assert.rejects(openIdentifierCipher(store.db, randomBytes(32)), /master key .* differs/);
    });

    it('lookup hash survives a data key rotation', async () => {
      const hashBefore = cipher.lookupHash('email', EMAIL.value);
      const sealedBefore = cipher.seal(PERSON, EMAIL);

      const version = await rotateDataKey(store.db, createSealer(masterKey));
      await cipher.refresh(store.db);

      assert.equal(cipher.currentKeyVersion, version);
      assert.equal(cipher.seal(PERSON, EMAIL).keyVersion, version);
      assert.equal(cipher.lookupHash('email', EMAIL.value), hashBefore);
      assert.deepEqual(openedWith(cipher, PERSON, sealedBefore), EMAIL);
    });

    it('a data key version is written once', async () => {
      const newest = (await listDataKeys(store.db)).at(-1)?.version ?? 0;
      const material = createSealer(masterKey).seal('data-keys', randomBytes(32).toString('base64url'));

      assert.equal(await insertDataKey(store.db, newest + 1, material), true);
      // A second rotation that read the same newest version loses here and reports it.
      assert.equal(await insertDataKey(store.db, newest + 1, material), false);
    });

    it('keys that rows use are never deleted', async () => {
      const person = await upsertPersonByExternalId(store.db, {
        externalId: 'key-user',
        familyName: 'Ключева',
        givenName: 'Ольга',
        middleName: null,
        birthdate: null,
        status: 'active',
      });
      await cipher.refresh(store.db);
      const usedVersion = cipher.currentKeyVersion;
      await replaceIdentifiers(store.db, cipher, person.id, [{ ...EMAIL, verified: false }]);
      const current = await rotateDataKey(store.db, createSealer(masterKey));
      await rotateDataKey(store.db, createSealer(masterKey));

      const deleted = await deleteRetiredDataKeys(store.db, current + 1);

      assert.ok(!deleted.includes(usedVersion), `deleted version ${usedVersion}, which a row uses`);
      assert.ok(deleted.length > 0, 'nothing was deleted');
      await assert.rejects(store.db.deleteFrom('data_keys').where('version', '=', usedVersion).execute());
    });
  });
}

runCipherSuite('SQLite', openSqliteTestStore);
runCipherSuite('PostgreSQL', openPostgresTestStore, await serviceGate(postgresAvailable));

describe('AES-256-GCM helpers', () => {
  it('reject a truncated authentication tag', () => {
    const key = randomBytes(32);
    const sealed = encryptAesGcm(key, 'secret', 'aad');
    const [iv, body, tag] = sealed.split('.') as [string, string, string];
    const shortTag = Buffer.from(tag, 'base64url').subarray(0, 12).toString('base64url');

    assert.equal(decryptAesGcm(key, sealed, 'aad'), 'secret');
    assert.throws(() => decryptAesGcm(key, `${iv}.${body}.${shortTag}`, 'aad'));
  });

  it('return undefined for another format', () => {
    assert.equal(decryptAesGcm(randomBytes(32), 'v1.a.b.c.d', 'aad'), undefined);
    assert.equal(decryptAesGcm(randomBytes(32), 'plain text', 'aad'), undefined);
  });
});
