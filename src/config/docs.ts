import { settings } from './schema.js';

function defaultOf(schema: unknown): string {
  const parsed = (schema as { safeParse(input: unknown): { success: boolean; data?: unknown } }).safeParse(undefined);
  if (!parsed.success || parsed.data === undefined) {
    return '—';
  }
  return `\`${String(parsed.data)}\``;
}

/** Render the operator's table of environment variables from the schema. */
export function renderConfigurationDocs(): string {
  const rows = Object.entries(settings).map(
    ([name, entry]) =>
      `| \`${name}\` | ${defaultOf(entry.schema)} | ${entry.description}${entry.example === undefined ? '' : ` Example: \`${entry.example}\`.`} |`,
  );
  return [
    '# Configuration',
    '',
    'Propusk reads its configuration from environment variables and validates all of them at start; an invalid value stops the start with a message that names the variable. This table is generated from `src/config/schema.ts` by `npm run docs:config`.',
    '',
    '| variable | default | meaning |',
    '| --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
