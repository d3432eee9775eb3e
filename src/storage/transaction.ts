import type { Kysely } from 'kysely';
import type { DatabaseSchema } from './schema.js';

/**
 * Run `fn` inside a transaction: the caller's own when `db` already is one,
 * otherwise a new one. Repositories with several statements use this so
 * they stay all-or-nothing and still join a larger transaction.
 */
export function inTransaction<T>(
  db: Kysely<DatabaseSchema>,
  fn: (trx: Kysely<DatabaseSchema>) => Promise<T>,
): Promise<T> {
  if (db.isTransaction) {
    return fn(db);
  }
  return db.transaction().execute(fn);
}
