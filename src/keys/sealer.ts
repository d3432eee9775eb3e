import { StorageError } from '../errors/index.js';
import { decryptAesGcm, deriveKey, encryptAesGcm } from './aes-gcm.js';

/** Purpose of a sealed value. Each purpose gets its own derived key. */
export type SealPurpose = 'signing-keys' | 'cookie-keys' | 'client-secrets' | 'data-keys' | 'oidc-payloads';

const VERSION = 'v1';

export interface Sealer {
  seal(purpose: SealPurpose, plaintext: string): string;
  open(purpose: SealPurpose, sealed: string): string;
}

/**
 * AES-256-GCM with a key derived by HKDF-SHA256 from the master key, one key
 * per purpose. The purpose is also bound as additional authenticated data, so
 * a value sealed for one purpose cannot be opened as another.
 * Format: `v1.<iv>.<ciphertext>.<tag>`, each part base64url.
 */
export function createSealer(masterKey: Buffer): Sealer {
  const keys = new Map<SealPurpose, Buffer>();
  const keyFor = (purpose: SealPurpose): Buffer => {
    let key = keys.get(purpose);
    if (key === undefined) {
      key = deriveKey(masterKey, `propusk:${purpose}`);
      keys.set(purpose, key);
    }
    return key;
  };

  return {
    seal(purpose, plaintext) {
      return `${VERSION}.${encryptAesGcm(keyFor(purpose), plaintext, purpose)}`;
    },
    open(purpose, sealed) {
      const separator = sealed.indexOf('.');
      if (separator === -1 || sealed.slice(0, separator) !== VERSION) {
        throw new StorageError(`Sealed ${purpose} value has an unknown format`);
      }
      let plaintext: string | undefined;
      try {
        plaintext = decryptAesGcm(keyFor(purpose), sealed.slice(separator + 1), purpose);
      } catch (cause) {
        throw new StorageError(`Cannot decrypt a stored ${purpose} value: the master key (PROPUSK_MASTER_KEY, or master.key in PROPUSK_DATA_DIR) differs from the one that encrypted it. Restore the original key`, { cause });
      }
      if (plaintext === undefined) {
        throw new StorageError(`Sealed ${purpose} value has an unknown format`);
      }
      return plaintext;
    },
  };
}
