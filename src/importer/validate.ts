import type { Kysely } from 'kysely';
import { ImportError } from '../errors/index.js';
import type { IdentifierCipher } from '../storage/identifier-cipher.js';
import type { DatabaseSchema } from '../storage/schema.js';
import { checkAgainstDatabase } from './database-rules.js';
import { checkFileUniqueness } from './file-rules.js';
import type { OrganizationRecord, PersonRecord, ServiceRecord } from './format.js';
import { parseSections, type ParsedRecord } from './parse-records.js';
import { ProblemList } from './problems.js';
import { checkPerson, checkService } from './record-rules.js';

/** A record that passed every rule, with its position in the file for later messages. */
export interface Positioned<T> {
  index: number;
  record: T;
}

export interface ValidatedImport {
  organizations: Positioned<OrganizationRecord>[];
  services: Positioned<ServiceRecord>[];
  people: Positioned<PersonRecord>[];
}

export interface ValidateOptions {
  /** Epoch milliseconds; a birthdate later than the day after it is rejected. */
  now: number;
}

/**
 * Check an import file against the format, against itself and against the
 * database, and return its records. Throws ImportError listing every problem
 * found, each as `people[3].snils: invalid check number`.
 */
export async function validateImport(
  db: Kysely<DatabaseSchema>,
  cipher: IdentifierCipher,
  data: unknown,
  options: ValidateOptions,
): Promise<ValidatedImport> {
  const problems = new ProblemList();
  const sections = parseSections(data, problems);

  for (const person of sections.people) {
    checkPerson(person, options.now, problems);
  }
  for (const service of sections.services) {
    checkService(service, problems);
  }
  checkFileUniqueness(sections, problems);
  await checkAgainstDatabase(db, cipher, sections, problems);

  if (problems.count > 0) {
    throw new ImportError(problems.toArray());
  }
  return {
    organizations: sections.organizations.map(complete),
    services: sections.services.map(complete),
    people: sections.people.map(complete),
  };
}

function complete<T>(parsed: ParsedRecord<T>): Positioned<T> {
  if (parsed.record === undefined) {
    // parseRecord leaves `record` unset only after adding a problem.
    throw new Error(`Import record ${parsed.index} has no problem listed but did not parse`);
  }
  return { index: parsed.index, record: parsed.record };
}
