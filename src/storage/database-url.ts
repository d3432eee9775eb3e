import path from 'node:path';
import { ConfigError } from '../errors/index.js';

/** File name of the embedded SQLite database inside the data directory. */
export const DEFAULT_SQLITE_FILE = 'propusk.sqlite';

export type DatabaseTarget =
  | { dialect: 'sqlite'; file: string }
  | { dialect: 'postgres'; connectionString: string };

const SQLITE_PREFIX = 'sqlite:';
const POSTGRES_PREFIXES = ['postgres://', 'postgresql://'];

/**
 * Resolve a `DATABASE_URL` value to a database. Unset or `sqlite:` alone means
 * the default file in `dataDir`. `sqlite:<path>` (also `sqlite://<path>`) names
 * a file, relative to the working directory unless absolute. `sqlite::memory:`
 * opens an in-memory database.
 */
export function parseDatabaseUrl(url: string | undefined, dataDir: string): DatabaseTarget {
  if (url === undefined) {
    return { dialect: 'sqlite', file: path.resolve(dataDir, DEFAULT_SQLITE_FILE) };
  }
  if (url.startsWith(SQLITE_PREFIX)) {
    return { dialect: 'sqlite', file: sqliteFile(url.slice(SQLITE_PREFIX.length), dataDir) };
  }
  if (POSTGRES_PREFIXES.some((prefix) => url.startsWith(prefix))) {
    return { dialect: 'postgres', connectionString: url };
  }
  // The URL may carry a password, so only its scheme goes into the message.
  const scheme = url.includes(':') ? url.slice(0, url.indexOf(':') + 1) : '(none)';
  throw new ConfigError(
    `DATABASE_URL has unsupported scheme "${scheme}": use postgres://, postgresql:// or sqlite:<path>`,
  );
}

function sqliteFile(location: string, dataDir: string): string {
  const withoutSlashes = location.startsWith('//') ? location.slice(2) : location;
  if (withoutSlashes === '') {
    return path.resolve(dataDir, DEFAULT_SQLITE_FILE);
  }
  if (withoutSlashes === ':memory:') {
    return withoutSlashes;
  }
  return path.resolve(withoutSlashes);
}

/** Describe a PostgreSQL connection string for logs: host, port and database, never credentials. */
export function describePostgresUrl(connectionString: string): string {
  const parsed = URL.parse(connectionString);
  if (parsed === null) {
    return 'PostgreSQL (unparsable connection string)';
  }
  const port = parsed.port === '' ? '5432' : parsed.port;
  return `PostgreSQL at ${parsed.hostname}:${port}${parsed.pathname}`;
}
