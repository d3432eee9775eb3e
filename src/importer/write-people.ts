import type { Kysely } from 'kysely';
import { ImportError } from '../errors/index.js';
import { IdentifierConflictError } from '../storage/errors.js';
import type { IdentifierCipher } from '../storage/identifier-cipher.js';
import { listIdentifiers, replaceIdentifiers } from '../storage/identifiers.js';
import { linkParent, listChildren, unlinkParent } from '../storage/parent-links.js';
import { findPersonByExternalId, setPasswordHash, upsertPersonByExternalId } from '../storage/people.js';
import { replaceRoles } from '../storage/roles.js';
import type { DatabaseSchema } from '../storage/schema.js';
import type { IdentifierInput } from '../storage/types.js';
import type { RecordCounts } from './summary.js';
import type { PlannedPerson } from './plan.js';

type Db = Kysely<DatabaseSchema>;

/** Upsert each person by external id and return the stored person ids by external id. */
export async function writePeople(
  db: Db,
  people: readonly PlannedPerson[],
  counts: RecordCounts,
): Promise<{ personIds: Map<string, string>; passwordsSet: number }> {
  const personIds = new Map<string, string>();
  let passwordsSet = 0;
  for (const planned of people) {
    const existing = await findPersonByExternalId(db, planned.person.externalId);
    // A blocked person stays blocked: the file has no status field.
    const stored = await upsertPersonByExternalId(db, { ...planned.person, status: existing?.status ?? 'active' });
    counts[existing === undefined ? 'created' : 'updated'] += 1;
    personIds.set(stored.externalId, stored.id);

    if (stored.passwordHash === null && planned.passwordHash !== null) {
      await setPasswordHash(db, stored.id, planned.passwordHash);
      passwordsSet += 1;
    }
  }
  return { personIds, passwordsSet };
}

/**
 * Make each person's identifiers those of the file, in two passes: first
 * every person drops the identifiers the file no longer gives them, then
 * each takes the new ones. So an identifier can move from one person in the
 * file to another, whatever their order. An identifier a person keeps also
 * keeps its verified flag; a new one starts unverified.
 */
export async function writeIdentifiers(
  db: Db,
  cipher: IdentifierCipher,
  people: readonly PlannedPerson[],
  personIds: ReadonlyMap<string, string>,
): Promise<void> {
  const verifiedByPerson = new Map<string, Map<string, boolean>>();
  for (const planned of people) {
    const personId = requireId(personIds, planned.person.externalId);
    const current = await listIdentifiers(db, cipher, personId);
    const verified = new Map(current.map((identifier) => [identifierKey(identifier), identifier.verified]));
    verifiedByPerson.set(personId, verified);

    const stillHeld = toInputs(planned, verified).filter((identifier) => verified.has(identifierKey(identifier)));
    await replaceIdentifiers(db, cipher, personId, stillHeld);
  }

  for (const planned of people) {
    const personId = requireId(personIds, planned.person.externalId);
    const verified = verifiedByPerson.get(personId) ?? new Map<string, boolean>();
    try {
      await replaceIdentifiers(db, cipher, personId, toInputs(planned, verified));
    } catch (error) {
      if (error instanceof IdentifierConflictError) {
        throw new ImportError(
          [`people[${planned.index}].${error.kind}: already belongs to another person in the database (stored after the file was checked)`],
          { cause: error },
        );
      }
      throw error;
    }
  }
}

export async function writeRoles(db: Db, people: readonly PlannedPerson[], personIds: ReadonlyMap<string, string>): Promise<void> {
  for (const planned of people) {
    await replaceRoles(db, requireId(personIds, planned.person.externalId), planned.roles);
  }
}

/** Make each person's children those of the file; a person without children in the file loses all links. */
export async function writeChildren(db: Db, people: readonly PlannedPerson[], personIds: ReadonlyMap<string, string>): Promise<void> {
  for (const planned of people) {
    const parentId = requireId(personIds, planned.person.externalId);
    const fileChildIds = new Set<string>();
    for (const [index, childExternalId] of planned.children.entries()) {
      const childId = await resolvePersonId(db, personIds, childExternalId);
      if (childId === undefined) {
        // Validation found this child, so someone deleted it since.
        throw new ImportError([`people[${planned.index}].children[${index}]: "${childExternalId}" is no longer in the database`]);
      }
      fileChildIds.add(childId);
    }

    const current = (await listChildren(db, parentId)).map(({ child }) => child.id);
    for (const childId of current) {
      if (!fileChildIds.has(childId)) {
        await unlinkParent(db, parentId, childId);
      }
    }
    for (const childId of fileChildIds) {
      await linkParent(db, parentId, childId);
    }
  }
}

function toInputs(planned: PlannedPerson, verified: ReadonlyMap<string, boolean>): IdentifierInput[] {
  return planned.identifiers.map((identifier) => ({
    ...identifier,
    verified: verified.get(identifierKey(identifier)) ?? false,
  }));
}

function identifierKey(identifier: { kind: string; value: string }): string {
  return JSON.stringify([identifier.kind, identifier.value]);
}

async function resolvePersonId(db: Db, personIds: ReadonlyMap<string, string>, externalId: string): Promise<string | undefined> {
  const inFile = personIds.get(externalId);
  if (inFile !== undefined) {
    return inFile;
  }
  return (await findPersonByExternalId(db, externalId))?.id;
}

function requireId(personIds: ReadonlyMap<string, string>, externalId: string): string {
  const id = personIds.get(externalId);
  if (id === undefined) {
    throw new Error(`Person "${externalId}" was not written before its identifiers, roles or children`);
  }
  return id;
}
