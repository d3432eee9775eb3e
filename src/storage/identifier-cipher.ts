import type { Kysely } from 'kysely';
import type { DatabaseSchema } from './schema.js';
import type { IdentifierKind } from './types.js';

/** An identifier in the clear: the normalised value and the display form. */
export interface IdentifierPlaintext {
  kind: IdentifierKind;
  value: string;
  display: string | null;
}

/** Stored form of an identifier: the `identifiers` row columns that replace the plaintext. */
export interface SealedIdentifier {
  valueHmac: string;
  valueEncrypted: string;
  displayEncrypted: string | null;
  keyVersion: number;
}

/**
 * Encryption of identifiers at rest, as the repositories use it. The
 * implementation (src/keys/identifier-cipher.ts) keeps the keys, and
 * storage only passes rows through it. A ciphertext is bound to its person, kind and
 * column, so one copied into another row does not decrypt.
 */
export interface IdentifierCipher {
  /** Version of the data key that `seal` uses now. */
  readonly currentKeyVersion: number;
  /** Keyed hash of a normalised value, equal for equal values of one kind: the lookup key. */
  lookupHash(kind: IdentifierKind, value: string): string;
  seal(personId: string, identifier: IdentifierPlaintext): SealedIdentifier;
  /** Throws a StorageError when the key version is not loaded or the ciphertext does not decrypt. */
  open(personId: string, kind: IdentifierKind, sealed: Omit<SealedIdentifier, 'valueHmac'>): IdentifierPlaintext;
  hasKeyVersion(version: number): boolean;
  /**
   * Reload the data keys through `db`, which may be a transaction: picks up
   * a version that another process added, and makes the newest one current.
   */
  refresh(db: Kysely<DatabaseSchema>): Promise<void>;
}
