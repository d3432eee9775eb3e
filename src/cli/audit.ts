import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { listAuditRecords } from '../audit/query.js';
import { formatRecordJson, formatRecordLine, formatVerification } from '../audit/terminal.js';
import { verifyChain } from '../audit/verify.js';
import type { Config } from '../config/load.js';
import { InputError } from '../errors/index.js';
import { openDatabase, type Store } from '../storage/database.js';
import { migrateToLatest } from '../storage/migrations/migrate.js';
import { findPersonByExternalId, findPersonById } from '../storage/people.js';
import type { DatabaseSchema } from '../storage/schema.js';
import { parseAuditListOptions } from './audit-options.js';

/**
 * The person filter as an id: an external id from the school records first,
 * then a Propusk id. An unknown value is still used as an id, because the
 * records of a person deleted since then remain, and a note on stderr states this.
 */
async function resolvePerson(db: Kysely<DatabaseSchema>, text: string): Promise<string> {
  const person = (await findPersonByExternalId(db, text)) ?? (await findPersonById(db, text));
  if (person === undefined) {
    console.error(`Note: no person has the external id or id "${text}"; listing records stored under that id.`);
    return text;
  }
  return person.id;
}

async function listCommand(store: Store, args: string[]): Promise<void> {
  const options = parseAuditListOptions(args);
  const personId = options.person === undefined ? undefined : await resolvePerson(store.db, options.person);
  const records = await listAuditRecords(store.db, { ...options, personId });
  for (const record of records) {
    console.log(options.json ? formatRecordJson(record) : formatRecordLine(record));
  }
  if (!options.json && records.length === 0) {
    console.log('No audit records match.');
  }
}

async function verifyCommand(store: Store, args: string[]): Promise<void> {
  const unknown = args.filter((arg) => arg !== '--json');
  if (unknown.length > 0) {
    throw new InputError(`Unknown option "${unknown[0]}" for \`propusk audit verify\`: the only one is --json`);
  }
  const result = await verifyChain(store);
  if (args.includes('--json')) {
    console.log(JSON.stringify(result));
  } else if (result.ok) {
    console.log(formatVerification(result));
  } else {
    console.error(formatVerification(result));
  }
  if (!result.ok) {
    process.exitCode = 1;
  }
}

/** `propusk audit [options]` lists security events, newest first; `propusk audit verify` checks the hash chain. */
export async function auditCommand(config: Config, logger: Logger, args: string[]): Promise<void> {
  const store = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, logger });
  try {
    await migrateToLatest(store, logger);
    if (args[0] === 'verify') {
      await verifyCommand(store, args.slice(1));
    } else {
      await listCommand(store, args);
    }
  } finally {
    await store.close();
  }
}
