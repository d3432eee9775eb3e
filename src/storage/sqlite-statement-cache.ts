import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * Maximum number of cached statements. The benchmark's scenarios use a few
 * dozen distinct SQL texts. Queries with a variable number of placeholders
 * (`where id in (…)`) can produce many more, and the bound keeps their memory finite.
 */
export const STATEMENT_CACHE_SIZE = 500;

/**
 * Wrap a better-sqlite3 connection for Kysely's SqliteDialect so that each
 * SQL text is prepared once. Kysely's SQLite driver (kysely 0.28, sqlite-driver.js)
 * calls `prepare` on every query, which parses and plans the SQL again each time.
 *
 * Reusing a statement is safe because `all`/`run` finish synchronously and
 * reset the statement, and JavaScript runs no other query in between.
 * SQLite re-prepares a cached statement by itself when a migration changes
 * the schema. Streaming queries (`iterate`) get a fresh statement, because an
 * unfinished iterator keeps its statement busy.
 */
export function cacheStatements(database: BetterSqlite3.Database, maxSize = STATEMENT_CACHE_SIZE): SqliteDatabase {
  const statements = new Map<string, ReadonlyAwareStatement>();

  const cached = (text: string): ReadonlyAwareStatement => {
    const hit = statements.get(text);
    if (hit !== undefined) {
      // Move the entry to the end of the Map's insertion order, which makes the Map an LRU list.
      statements.delete(text);
      statements.set(text, hit);
      return hit;
    }
    const statement = wrap(database, text);
    statements.set(text, statement);
    if (statements.size > maxSize) {
      const oldest = statements.keys().next().value as string;
      statements.delete(oldest);
    }
    return statement;
  };

  return {
    close: () => {
      statements.clear();
      database.close();
    },
    prepare: cached,
  };
}

/** A statement as Kysely uses it, plus whether it leaves the database unchanged (better-sqlite3's `readonly`). */
export interface ReadonlyAwareStatement extends SqliteStatement {
  readonly readonly: boolean;
}

function wrap(database: BetterSqlite3.Database, text: string): ReadonlyAwareStatement {
  const statement = database.prepare(text);
  return {
    reader: statement.reader,
    readonly: statement.readonly,
    all: (parameters) => statement.all(parameters),
    run: (parameters) => statement.run(parameters),
    iterate: (parameters) => database.prepare(text).iterate(parameters),
  };
}
