import type { ParsedIdentifier } from './fields.js';
import type { ParsedSections } from './parse-records.js';
import type { ProblemList } from './problems.js';

/** Rules across the records of one file: keys and identifiers must not repeat. */
export function checkFileUniqueness(sections: ParsedSections, problems: ProblemList): void {
  checkRepeatedKeys('organizations', 'id', sections.organizations.map((item) => [item.index, item.fields.id]), problems);
  checkRepeatedKeys('services', 'client_id', sections.services.map((item) => [item.index, item.fields.client_id]), problems);
  checkRepeatedKeys('people', 'id', sections.people.map((item) => [item.index, item.fields.id]), problems);
  checkRepeatedIdentifiers(sections, problems);
}

function checkRepeatedKeys(
  section: string,
  field: string,
  keys: ReadonlyArray<readonly [number, string | undefined]>,
  problems: ProblemList,
): void {
  const firstIndex = new Map<string, number>();
  for (const [index, key] of keys) {
    if (key === undefined) {
      continue;
    }
    const earlier = firstIndex.get(key);
    if (earlier === undefined) {
      firstIndex.set(key, index);
    } else {
      problems.add([section, index, field], `same ${field} as ${section}[${earlier}]`);
    }
  }
}

/** Report a phone, e-mail or СНИЛС given to two people, naming both places and never the value. */
function checkRepeatedIdentifiers(sections: ParsedSections, problems: ProblemList): void {
  const firstIndex = new Map<string, number>();
  for (const person of sections.people) {
    for (const identifier of validIdentifiers(person.fields)) {
      const key = JSON.stringify([identifier.kind, identifier.value]);
      const earlier = firstIndex.get(key);
      if (earlier === undefined) {
        firstIndex.set(key, person.index);
      } else {
        problems.add(['people', person.index, identifier.kind], `same ${identifier.kind} as people[${earlier}].${identifier.kind}`);
      }
    }
  }
}

/** Return the identifiers of a person that parsed, in the order phone, e-mail, СНИЛС. */
export function validIdentifiers(fields: {
  phone?: ParsedIdentifier | null;
  email?: ParsedIdentifier | null;
  snils?: ParsedIdentifier | null;
}): ParsedIdentifier[] {
  return [fields.phone, fields.email, fields.snils].filter(
    (identifier): identifier is ParsedIdentifier => identifier !== undefined && identifier !== null,
  );
}
