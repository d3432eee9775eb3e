import type { Kysely, Selectable } from 'kysely';
import { fromFlag, toFlag } from './codec.js';
import { IdentifierConflictError } from './errors.js';
import type { IdentifierCipher } from './identifier-cipher.js';
import type { DatabaseSchema, IdentifiersTable } from './schema.js';
import { inTransaction } from './transaction.js';
import type { Identifier, IdentifierInput } from './types.js';

type Db = Kysely<DatabaseSchema>;
type IdentifierRow = Selectable<IdentifiersTable>;

/** Return the person's identifiers, decrypted, in insertion order. */
export async function listIdentifiers(db: Db, cipher: IdentifierCipher, personId: string): Promise<Identifier[]> {
  const rows = await db
    .selectFrom('identifiers')
    .selectAll()
    .where('person_id', '=', personId)
    .orderBy('id')
    .execute();
  return openRows(db, cipher, rows);
}

/**
 * Make the person's identifiers exactly `identifiers`, all or nothing. An
 * identifier that stays keeps its id and `createdAt` and takes the new
 * `display` and `verified`. Throws IdentifierConflictError when one belongs
 * to another person, and a TypeError when `identifiers` lists one twice.
 */
export async function replaceIdentifiers(
  db: Db,
  cipher: IdentifierCipher,
  personId: string,
  identifiers: readonly IdentifierInput[],
): Promise<Identifier[]> {
  const requestedByKey = new Map(identifiers.map((identifier) => [identifierKey(identifier), identifier]));
  if (requestedByKey.size !== identifiers.length) {
    throw new TypeError('replaceIdentifiers: the same kind and value appear twice in the list');
  }

  return inTransaction(db, async (trx) => {
    const existing = await listIdentifiers(trx, cipher, personId);
    const existingByKey = new Map(existing.map((identifier) => [identifierKey(identifier), identifier]));

    const removedIds = existing.filter((identifier) => !requestedByKey.has(identifierKey(identifier))).map((identifier) => identifier.id);
    if (removedIds.length > 0) {
      await trx.deleteFrom('identifiers').where('id', 'in', removedIds).execute();
    }

    const now = Date.now();
    for (const [key, identifier] of requestedByKey) {
      const current = existingByKey.get(key);
      if (current === undefined) {
        await insertIdentifier(trx, cipher, personId, identifier, now);
      } else if (current.display !== identifier.display || current.verified !== identifier.verified) {
        // Sealed again as a whole: both ciphertexts of a row share one key version.
        const sealed = cipher.seal(personId, identifier);
        await trx
          .updateTable('identifiers')
          .set({
            value_encrypted: sealed.valueEncrypted,
            display_encrypted: sealed.displayEncrypted,
            key_version: sealed.keyVersion,
            verified: toFlag(identifier.verified),
          })
          .where('id', '=', current.id)
          .execute();
      }
    }
    return listIdentifiers(trx, cipher, personId);
  });
}

/**
 * Insert with ON CONFLICT DO NOTHING rather than checking first: the unique
 * (kind, value_hmac) constraint then decides even when another transaction
 * races this one, and PostgreSQL does not abort the transaction on a conflict.
 */
async function insertIdentifier(db: Db, cipher: IdentifierCipher, personId: string, identifier: IdentifierInput, now: number): Promise<void> {
  const sealed = cipher.seal(personId, identifier);
  const inserted = await db
    .insertInto('identifiers')
    .values({
      person_id: personId,
      kind: identifier.kind,
      value_hmac: sealed.valueHmac,
      value_encrypted: sealed.valueEncrypted,
      display_encrypted: sealed.displayEncrypted,
      key_version: sealed.keyVersion,
      verified: toFlag(identifier.verified),
      created_at: now,
    })
    .onConflict((conflict) => conflict.columns(['kind', 'value_hmac']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted === undefined) {
    throw new IdentifierConflictError(identifier.kind);
  }
}

/**
 * Decrypt rows into domain objects. A key version this process has not seen
 * (another node rotated the data key) makes the cipher reload the keys once.
 */
async function openRows(db: Db, cipher: IdentifierCipher, rows: readonly IdentifierRow[]): Promise<Identifier[]> {
  if (rows.some((row) => !cipher.hasKeyVersion(row.key_version))) {
    await cipher.refresh(db);
  }
  return rows.map((row) => {
    const plaintext = cipher.open(row.person_id, row.kind, {
      valueEncrypted: row.value_encrypted,
      displayEncrypted: row.display_encrypted,
      keyVersion: row.key_version,
    });
    return {
      id: row.id,
      personId: row.person_id,
      kind: row.kind,
      value: plaintext.value,
      display: plaintext.display,
      verified: fromFlag(row.verified),
      createdAt: row.created_at,
    };
  });
}

function identifierKey(identifier: Pick<IdentifierInput, 'kind' | 'value'>): string {
  return JSON.stringify([identifier.kind, identifier.value]);
}
