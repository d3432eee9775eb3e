import type { Kysely } from 'kysely';
import type { IdentifierCipher } from '../storage/identifier-cipher.js';
import { findOrganization } from '../storage/organizations.js';
import { findPeopleByIdentifier, findPersonByExternalId, findPersonById } from '../storage/people.js';
import type { DatabaseSchema } from '../storage/schema.js';
import type { IdentifierKind } from '../storage/types.js';
import { validIdentifiers } from './file-rules.js';
import type { ParsedSections } from './parse-records.js';
import type { ProblemList } from './problems.js';

type Db = Kysely<DatabaseSchema>;

/*
 * Rules that look into the database: references must resolve to the file or
 * to stored records, and an identifier must not belong to a stored person
 * that the file does not mention. They run before the write transaction, so
 * each problem can name its place in the file. A change that someone else
 * makes in between is still caught by the constraints during the write.
 */
export async function checkAgainstDatabase(db: Db, cipher: IdentifierCipher, sections: ParsedSections, problems: ProblemList): Promise<void> {
  const organizationIds = new Set(sections.organizations.flatMap((item) => definedList(item.fields.id)));
  const personIds = new Set(sections.people.flatMap((item) => definedList(item.fields.id)));
  const lookups = new Lookups(db, cipher);

  for (const person of sections.people) {
    const path = ['people', person.index] as const;
    for (const [index, role] of (person.fields.roles ?? []).entries()) {
      if (role.organization !== null && !organizationIds.has(role.organization) && !(await lookups.organizationExists(role.organization))) {
        problems.add([...path, 'roles', index, 'organization'], `"${role.organization}" is neither in this file nor in the database`);
      }
    }
    for (const [index, child] of (person.fields.children ?? []).entries()) {
      if (!personIds.has(child) && !(await lookups.personExists(child))) {
        problems.add([...path, 'children', index], `"${child}" is neither in this file nor in the database`);
      }
    }

    const ownId = person.fields.id;
    if (ownId === undefined) {
      continue;
    }
    for (const identifier of validIdentifiers(person.fields)) {
      const holders = await lookups.holderExternalIds(identifier.kind, identifier.value);
      const outsider = holders.find((holder) => holder !== ownId && !personIds.has(holder));
      if (outsider !== undefined) {
        problems.add([...path, identifier.kind], `already belongs to person "${outsider}", who is not in this file`);
      }
    }
  }
}

/** Database reads with cached results, because many records name the same school or child. */
class Lookups {
  readonly #db: Db;
  readonly #cipher: IdentifierCipher;
  readonly #organizations = new Map<string, boolean>();
  readonly #people = new Map<string, boolean>();

  constructor(db: Db, cipher: IdentifierCipher) {
    this.#db = db;
    this.#cipher = cipher;
  }

  async organizationExists(id: string): Promise<boolean> {
    let exists = this.#organizations.get(id);
    if (exists === undefined) {
      exists = (await findOrganization(this.#db, id)) !== undefined;
      this.#organizations.set(id, exists);
    }
    return exists;
  }

  async personExists(externalId: string): Promise<boolean> {
    let exists = this.#people.get(externalId);
    if (exists === undefined) {
      exists = (await findPersonByExternalId(this.#db, externalId)) !== undefined;
      this.#people.set(externalId, exists);
    }
    return exists;
  }

  /** External ids of the stored people holding this identifier (at most one, by the unique constraint). */
  async holderExternalIds(kind: IdentifierKind, value: string): Promise<string[]> {
    const holderIds = await findPeopleByIdentifier(this.#db, this.#cipher, kind, value);
    const externalIds: string[] = [];
    for (const holderId of holderIds) {
      const holder = await findPersonById(this.#db, holderId);
      if (holder !== undefined) {
        externalIds.push(holder.externalId);
      }
    }
    return externalIds;
  }
}

function definedList<T>(value: T | undefined): T[] {
  return value === undefined ? [] : [value];
}
