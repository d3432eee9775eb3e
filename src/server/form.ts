/**
 * Read one field of a parsed urlencoded form. A repeated field counts by its
 * first value, and anything that is not text reads as empty, so a malformed
 * form fails the normal field checks instead of throwing.
 */
export function formField(body: unknown, name: string): string {
  if (typeof body !== 'object' || body === null) {
    return '';
  }
  const value = (body as Record<string, unknown>)[name];
  if (typeof value === 'string') {
    return value;
  }
  if (Array.isArray(value) && typeof value[0] === 'string') {
    return value[0];
  }
  return '';
}
