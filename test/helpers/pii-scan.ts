// Look for personal identifiers where they must not be: in every row of every
// table of a SQLite file or a PostgreSQL schema, and in raw bytes.
import { existsSync, readFileSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import pg from 'pg';
import type { Store } from '../../src/storage/database.js';
import { DEMO_DATA } from './propusk-server.js';

/** One readable form of a demo identifier, with a label that names it without repeating it. */
export interface Needle {
  label: string;
  text: string;
}

/**
 * Return every demo phone, e-mail and СНИЛС in the forms a leak could take:
 * as written in the demo file, normalised, and as bare digits.
 */
export function demoIdentifierNeedles(): Needle[] {
  const needles: Needle[] = [];
  for (const person of DEMO_DATA.people) {
    if (person.phone !== undefined) {
      const digits = person.phone.replace(/\D/g, '');
      needles.push({ label: `${person.id} phone as written`, text: person.phone });
      needles.push({ label: `${person.id} phone E.164`, text: `+${digits}` });
      needles.push({ label: `${person.id} phone digits`, text: digits });
    }
    if (person.email !== undefined) {
      needles.push({ label: `${person.id} e-mail`, text: person.email });
      needles.push({ label: `${person.id} e-mail lower case`, text: person.email.toLowerCase() });
    }
    if (person.snils !== undefined) {
      needles.push({ label: `${person.id} СНИЛС as written`, text: person.snils });
      needles.push({ label: `${person.id} СНИЛС digits`, text: person.snils.replace(/\D/g, '') });
    }
  }
  return needles;
}

/** Labels of the needles found in `text`. */
export function needlesIn(text: string | Buffer, needles: readonly Needle[]): string[] {
  return needles
    .filter((needle) => (typeof text === 'string' ? text.includes(needle.text) : text.includes(Buffer.from(needle.text, 'utf8'))))
    .map((needle) => needle.label);
}

/** Read every row of every table of a SQLite file, as `table: JSON` lines, through a read-only connection. */
export function dumpSqliteTables(file: string): { tables: string[]; text: string } {
  const database = new BetterSqlite3(file, { readonly: true });
  try {
    const tables = (database.prepare(`select name from sqlite_master where type = 'table' order by name`).all() as Array<{ name: string }>).map((row) => row.name);
    const lines = tables.flatMap((table) =>
      database
        .prepare(`select * from "${table}"`)
        .all()
        .map((row) => `${table}: ${JSON.stringify(row)}`),
    );
    return { tables, text: lines.join('\n') };
  } finally {
    database.close();
  }
}

/** Read every row of every table in the current schema of the PostgreSQL database at `url`. */
export async function dumpPostgresTables(url: string): Promise<{ tables: string[]; text: string }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ table_name: string }>(
      `select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`,
    );
    const tables = result.rows.map((row) => row.table_name);
    const lines: string[] = [];
    for (const table of tables) {
      const rows = await client.query<{ row: string }>(`select row_to_json(t)::text as row from "${table}" t`);
      lines.push(...rows.rows.map((row) => `${table}: ${row.row}`));
    }
    return { tables, text: lines.join('\n') };
  } finally {
    await client.end();
  }
}

/** Read every row of every table the store can see, through the store's own connection. */
export async function dumpStoreTables(store: Store): Promise<{ tables: string[]; text: string }> {
  const listed =
    store.dialect === 'sqlite'
      ? await sql<{ name: string }>`select name from sqlite_master where type = 'table' order by name`.execute(store.db)
      : await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`.execute(store.db);
  const tables = listed.rows.map((row) => row.name);
  const lines: string[] = [];
  for (const table of tables) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(store.db);
    lines.push(...rows.rows.map((row) => `${table}: ${JSON.stringify(row)}`));
  }
  return { tables, text: lines.join('\n') };
}

/** Read the bytes of a SQLite store's file and of its write-ahead log. */
export async function sqliteFileBytes(store: Store): Promise<Buffer> {
  const listed = await sql<{ name: string; file: string }>`pragma database_list`.execute(store.db);
  const file = listed.rows.find((row) => row.name === 'main')?.file;
  if (file === undefined || file === '') {
    throw new Error('the SQLite store has no file');
  }
  return Buffer.concat([file, `${file}-wal`].filter((candidate) => existsSync(candidate)).map((candidate) => readFileSync(candidate)));
}
