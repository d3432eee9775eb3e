import { createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import { StorageError } from '../errors/index.js';
import type { IdentifierCipher, IdentifierPlaintext, SealedIdentifier } from '../storage/identifier-cipher.js';
import type { DatabaseSchema } from '../storage/schema.js';
import type { IdentifierKind } from '../storage/types.js';
import { decryptAesGcm, deriveKey, encryptAesGcm } from './aes-gcm.js';
import { ensureDataKey, loadDataKeyring, type DataKeyring } from './data-keys.js';
import { createSealer, type Sealer } from './sealer.js';

type Db = Kysely<DatabaseSchema>;

/*
 * The lookup key is derived from the master key and never rotates: every
 * stored hash depends on it, so a new lookup key would mean recomputing all
 * hashes while logins look up under both keys. The encryption keys rotate
 * (data-keys.ts) because only the row being re-encrypted depends on each one.
 */
const LOOKUP_KEY_INFO = 'propusk:identifier-lookup-hmac';

/**
 * Open the identifier cipher of a migrated database: create data key
 * version 1 on first use, then load every version. Run after the schema
 * migrations, before the data migrations.
 */
export async function openIdentifierCipher(db: Db, masterKey: Buffer): Promise<IdentifierCipher> {
  const sealer = createSealer(masterKey);
  await ensureDataKey(db, sealer);
  return createIdentifierCipher(masterKey, sealer, await loadDataKeyring(db, sealer));
}

/** Build the cipher from keys already loaded; `refresh` reloads them through `sealer`. */
export function createIdentifierCipher(masterKey: Buffer, sealer: Sealer, initial: DataKeyring): IdentifierCipher {
  const lookupKey = deriveKey(masterKey, LOOKUP_KEY_INFO);
  let keyring = initial;

  const lookupHash = (kind: IdentifierKind, value: string): string =>
    createHmac('sha256', lookupKey).update(`${kind}:${value}`).digest('base64url');

  const keyFor = (version: number): Buffer => {
    const key = keyring.keys.get(version);
    if (key === undefined) {
      throw new StorageError(`Identifier data key version ${version} is not in the data_keys table: restore the database backup that has it`);
    }
    return key;
  };

  return {
    get currentKeyVersion() {
      return keyring.currentVersion;
    },

    lookupHash,

    seal(personId, identifier): SealedIdentifier {
      const version = keyring.currentVersion;
      const key = keyFor(version);
      return {
        valueHmac: lookupHash(identifier.kind, identifier.value),
        valueEncrypted: encryptAesGcm(key, identifier.value, context('value', identifier.kind, personId)),
        displayEncrypted: identifier.display === null ? null : encryptAesGcm(key, identifier.display, context('display', identifier.kind, personId)),
        keyVersion: version,
      };
    },

    open(personId, kind, sealed): IdentifierPlaintext {
      const key = keyFor(sealed.keyVersion);
      const decrypt = (field: 'value' | 'display', text: string): string => {
        let plaintext: string | undefined;
        try {
          plaintext = decryptAesGcm(key, text, context(field, kind, personId));
        } catch (cause) {
          throw new StorageError(`Cannot decrypt a stored ${kind} identifier (${field}): the row was changed or moved to another person`, { cause });
        }
        if (plaintext === undefined) {
          throw new StorageError(`A stored ${kind} identifier (${field}) is not in the encrypted format`);
        }
        return plaintext;
      };
      return {
        kind,
        value: decrypt('value', sealed.valueEncrypted),
        display: sealed.displayEncrypted === null ? null : decrypt('display', sealed.displayEncrypted),
      };
    },

    hasKeyVersion(version) {
      return keyring.keys.has(version);
    },

    async refresh(db) {
      keyring = await loadDataKeyring(db, sealer);
    },
  };
}

/** Additional authenticated data: the ciphertext opens only in its own column, kind and person. */
function context(field: 'value' | 'display', kind: IdentifierKind, personId: string): string {
  return `propusk:identifier:${field}:${kind}:${personId}`;
}
