import { readFile } from 'node:fs/promises';
import { ImportError } from '../errors/index.js';

const BYTE_ORDER_MARK = '\uFEFF';

/**
 * Read and parse a JSON import file. A file that cannot be read or is not
 * valid JSON gives an ImportError naming the file and, for a syntax error,
 * the line and column. V8's own message is not passed on, because it quotes
 * part of the file, which may hold a СНИЛС or a password.
 */
export async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new ImportError([`${file}: cannot read the file (${code})`], { cause: error });
  }

  // Editors on Windows often save UTF-8 with a byte order mark, which JSON.parse rejects.
  const json = text.startsWith(BYTE_ORDER_MARK) ? text.slice(BYTE_ORDER_MARK.length) : text;
  try {
    return JSON.parse(json);
  } catch (error) {
    throw new ImportError([`${file}: ${describeSyntaxError(json)}`], { cause: error });
  }
}

/** Describe where `json` stops being valid JSON: `invalid JSON at line 3, column 14`. */
export function describeSyntaxError(json: string): string {
  const offset = findSyntaxErrorOffset(json);
  if (offset === json.length) {
    return 'invalid JSON: the file ends before the data is complete';
  }
  const before = json.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `invalid JSON at line ${line}, column ${column}`;
}

/**
 * Offset of the character where `json` stops being valid JSON, or its length
 * when the text is only cut short. Every prefix before the bad character is
 * an incomplete but valid beginning, and every prefix that includes it is
 * broken, so a binary search over prefix lengths finds it in O(n log n).
 */
function findSyntaxErrorOffset(json: string): number {
  let low = 0;
  let high = json.length;
  if (!isBrokenPrefix(json)) {
    return json.length;
  }
  // Invariant: the prefix of length `high` is broken; the one of length `low` is not.
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (isBrokenPrefix(json.slice(0, middle))) {
      high = middle;
    } else {
      low = middle;
    }
  }
  return high - 1;
}

const POSITION = /at position (\d+)/;

/**
 * Return whether parsing fails before the end of `prefix`. A failure at the very end
 * (V8: "Unexpected end of JSON input", or an error at position = length)
 * means only that the text is incomplete.
 */
function isBrokenPrefix(prefix: string): boolean {
  try {
    JSON.parse(prefix);
    return false;
  } catch (error) {
    const message = error instanceof Error ? error.message : '';
    if (message.includes('end of JSON input')) {
      return false;
    }
    const position = POSITION.exec(message);
    return position === null || Number(position[1]) < prefix.length;
  }
}
