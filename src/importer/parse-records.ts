import type { z } from 'zod';
import {
  organizationSchema,
  personSchema,
  serviceSchema,
  type OrganizationRecord,
  type PersonRecord,
  type ServiceRecord,
} from './format.js';
import { importErrorMap, type ProblemList } from './problems.js';

/**
 * One record of the file after parsing. Fields are parsed one by one, so a
 * record with one bad field still offers its other fields to the rules that
 * compare records, and every problem of the file is found in one pass.
 */
export interface ParsedRecord<T> {
  /** Position in its top-level array. */
  index: number;
  /** The fields that are valid on their own. */
  fields: Partial<T>;
  /** Fields that are present (or required) and invalid. */
  invalid: ReadonlySet<string>;
  /** The whole record, when it has no problem of its own. */
  record: T | undefined;
}

export interface ParsedSections {
  organizations: ParsedRecord<OrganizationRecord>[];
  services: ParsedRecord<ServiceRecord>[];
  people: ParsedRecord<PersonRecord>[];
}

const SECTIONS = ['organizations', 'services', 'people'] as const;

/** Parse the top-level object and every record in it, adding each problem found to `problems`. */
export function parseSections(data: unknown, problems: ProblemList): ParsedSections {
  const sections: ParsedSections = { organizations: [], services: [], people: [] };
  if (!isPlainObject(data)) {
    problems.add([], 'must be a JSON object with the arrays "organizations", "services" and "people"');
    return sections;
  }
  for (const key of Object.keys(data)) {
    if (!(SECTIONS as readonly string[]).includes(key)) {
      problems.add([key], `unknown field (expected ${SECTIONS.join(', ')})`);
    }
  }

  sections.organizations = parseSection(data, 'organizations', organizationSchema, problems);
  sections.services = parseSection(data, 'services', serviceSchema, problems);
  sections.people = parseSection(data, 'people', personSchema, problems);
  return sections;
}

function parseSection<S extends z.ZodObject>(
  data: Record<string, unknown>,
  section: (typeof SECTIONS)[number],
  schema: S,
  problems: ProblemList,
): ParsedRecord<z.output<S>>[] {
  const items = data[section];
  if (items === undefined || items === null) {
    return [];
  }
  if (!Array.isArray(items)) {
    problems.add([section], 'must be an array');
    return [];
  }
  return items.map((item, index) => parseRecord(schema, item, [section, index], problems));
}

function parseRecord<S extends z.ZodObject>(
  schema: S,
  raw: unknown,
  path: readonly [string, number],
  problems: ProblemList,
): ParsedRecord<z.output<S>> {
  const index = path[1];
  if (!isPlainObject(raw)) {
    problems.add(path, 'must be an object');
    return { index, fields: {}, invalid: new Set(), record: undefined };
  }

  const countBefore = problems.count;
  for (const key of Object.keys(raw)) {
    if (!Object.hasOwn(schema.shape, key)) {
      problems.add([...path, key], 'unknown field');
    }
  }

  const fields: Record<string, unknown> = {};
  const invalid = new Set<string>();
  for (const [key, fieldSchema] of Object.entries(schema.shape)) {
    const result = fieldSchema.safeParse(raw[key], { error: importErrorMap });
    if (result.success) {
      fields[key] = result.data;
    } else {
      invalid.add(key);
      problems.addIssues([...path, key], result.error.issues);
    }
  }

  if (problems.count > countBefore) {
    return { index, fields: fields as Partial<z.output<S>>, invalid, record: undefined };
  }
  // Every field passed alone, so the whole record passes too; parsing it
  // again gives the record its proper type without a cast.
  const whole = schema.safeParse(raw, { error: importErrorMap });
  if (!whole.success) {
    problems.addIssues(path, whole.error.issues);
    return { index, fields: fields as Partial<z.output<S>>, invalid, record: undefined };
  }
  return { index, fields: whole.data, invalid, record: whole.data };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
