import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { StorageError } from '../errors/index.js';

/** Purpose of a sealed value. Each purpose gets its own derived key. */
export type SealPurpose = 'signing-keys' | 'cookie-keys' | 'client-secrets';

const VERSION = 'v1';
const IV_BYTES = 12;

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
      key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), `propusk:${purpose}`, 32));
      keys.set(purpose, key);
    }
    return key;
  };

  return {
    seal(purpose, plaintext) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', keyFor(purpose), iv);
      cipher.setAAD(Buffer.from(purpose));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [VERSION, iv, body, cipher.getAuthTag()].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
    },
    open(purpose, sealed) {
      const [version, iv, body, tag] = sealed.split('.');
      if (version !== VERSION || iv === undefined || body === undefined || tag === undefined) {
        throw new StorageError(`Sealed ${purpose} value has an unknown format`);
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', keyFor(purpose), Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(purpose));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
      } catch (cause) {
        throw new StorageError(`Cannot decrypt a stored ${purpose} value: the master key (PROPUSK_MASTER_KEY, or master.key in PROPUSK_DATA_DIR) differs from the one that encrypted it. Restore the original key`, { cause });
      }
    },
  };
}
