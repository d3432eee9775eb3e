import { StorageError } from '../errors/index.js';

/*
 * Conversions between domain values and the portable column forms: flags are
 * integer 0/1 and JSON is text, because SQLite cannot bind booleans or objects
 * and pg would turn a bound JS array into a PostgreSQL array literal.
 */

export function toFlag(value: boolean): 0 | 1 {
  return value ? 1 : 0;
}

export function fromFlag(value: number): boolean {
  return value !== 0;
}

export function toJsonText(value: unknown): string {
  return JSON.stringify(value);
}

/** Parse a JSON text column that must hold an array of strings. */
export function parseStringArray(text: string, column: string): string[] {
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) {
    throw new StorageError(`Column ${column} does not contain a JSON array of strings`);
  }
  return parsed;
}

/**
 * Tell whether a looked-up text can be stored at all. PostgreSQL text cannot
 * contain the NUL character and rejects a parameter that does, so a lookup
 * of such a value (a token or client id decoded from `%00`) finds nothing
 * without a query, on both databases alike.
 */
export function isStorableText(value: string): boolean {
  return !value.includes('\u0000');
}
