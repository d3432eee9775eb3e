import type { z } from 'zod';

/** A location in the import file: top-level key, then array indexes and field names. */
export type RecordPath = readonly (string | number)[];

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Format a path the way operators read it: `people[3].roles[0].organization`. */
export function formatPath(path: RecordPath): string {
  let formatted = '';
  for (const segment of path) {
    if (typeof segment === 'number') {
      formatted += `[${segment}]`;
    } else if (!PLAIN_KEY.test(segment)) {
      formatted += `[${JSON.stringify(segment)}]`;
    } else {
      formatted += formatted === '' ? segment : `.${segment}`;
    }
  }
  return formatted === '' ? '(file)' : formatted;
}

const EXPECTED_TYPES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  array: 'an array',
  object: 'an object',
};

/**
 * Zod error map for the import: shorter English than Zod's defaults, and no
 * message repeats the input value. Messages set on a schema take precedence.
 */
export const importErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) {
        return 'is required';
      }
      return `must be ${EXPECTED_TYPES[issue.expected] ?? issue.expected}`;
    case 'invalid_value':
      return `must be one of: ${issue.values.map(String).join(', ')}`;
    case 'too_small':
      return issue.origin === 'array' ? `must have at least ${String(issue.minimum)} items` : undefined;
    case 'too_big':
      return issue.origin === 'array' ? `must have at most ${String(issue.maximum)} items` : undefined;
    default:
      return undefined;
  }
};

/** Order of the top-level arrays in reports; anything else (the file itself, unknown keys) comes first. */
const SECTION_ORDER = ['organizations', 'services', 'people'];

/**
 * The problems found in one import, each as `path: reason`. They are listed
 * by section and record position, and in the order found within a record.
 */
export class ProblemList {
  readonly #problems: Array<{ path: RecordPath; message: string }> = [];

  add(path: RecordPath, reason: string): void {
    this.#problems.push({ path, message: `${formatPath(path)}: ${reason}` });
  }

  /** Add Zod issues found under `basePath`; an unknown key becomes one problem per key. */
  addIssues(basePath: RecordPath, issues: readonly z.core.$ZodIssue[]): void {
    for (const issue of issues) {
      const path = [...basePath, ...issue.path.map(toSegment)];
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          this.add([...path, key], 'unknown field');
        }
      } else {
        this.add(path, issue.message);
      }
    }
  }

  get count(): number {
    return this.#problems.length;
  }

  toArray(): string[] {
    // Array.prototype.sort is stable, so problems of one record keep their order.
    return [...this.#problems].sort((left, right) => compareRecords(left.path, right.path)).map((problem) => problem.message);
  }
}

function compareRecords(left: RecordPath, right: RecordPath): number {
  const bySection = SECTION_ORDER.indexOf(String(left[0])) - SECTION_ORDER.indexOf(String(right[0]));
  if (bySection !== 0) {
    return bySection;
  }
  const leftIndex = typeof left[1] === 'number' ? left[1] : -1;
  const rightIndex = typeof right[1] === 'number' ? right[1] : -1;
  return leftIndex - rightIndex;
}

function toSegment(segment: PropertyKey): string | number {
  return typeof segment === 'number' ? segment : String(segment);
}
