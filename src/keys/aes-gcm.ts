import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

/** Derive a 256-bit key for one use from the master key (HKDF-SHA256, empty salt, `info` names the use). */
export function deriveKey(masterKey: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), info, KEY_BYTES));
}

/**
 * Encrypt with AES-256-GCM under a random 96-bit IV, binding `aad` as
 * additional authenticated data. Returns `<iv>.<ciphertext>.<tag>`, each
 * part base64url.
 */
export function encryptAesGcm(key: Buffer, plaintext: string, aad: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [iv, body, cipher.getAuthTag()].map((part) => part.toString('base64url')).join('.');
}

/**
 * Decrypt the output of encryptAesGcm. Returns undefined when the text is not
 * of that form, and throws when the key or `aad` differs or the text was changed.
 */
export function decryptAesGcm(key: Buffer, sealed: string, aad: string): string | undefined {
  const [iv, body, tag, extra] = sealed.split('.');
  if (iv === undefined || body === undefined || tag === undefined || extra !== undefined) {
    return undefined;
  }
  // A fixed tag length: without it Node accepts a truncated tag, which is easier to forge.
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}
