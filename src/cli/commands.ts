import path from 'node:path';
import type { Logger } from 'pino';
import { importCompleted } from '../audit/operator-events.js';
import type { Config } from '../config/load.js';
import { InputError } from '../errors/index.js';
import { importFile } from '../importer/index.js';
import { openRuntime } from '../server/runtime.js';
import { openMigratedStore } from './data-key-commands.js';

/** `propusk migrate`: apply pending migrations and exit. */
export async function migrateCommand(config: Config, logger: Logger): Promise<void> {
  const { store, applied } = await openMigratedStore(config, logger);
  try {
    logger.info({ applied }, applied.length === 0 ? 'database schema is up to date' : 'migrations applied');
  } finally {
    await store.close();
  }
}

/** `propusk import FILE`: create or update organizations, services and people from a JSON file. */
export async function importCommand(config: Config, logger: Logger, file: string | undefined): Promise<void> {
  if (file === undefined) {
    throw new InputError('Missing file: usage is `propusk import FILE.json`');
  }
  const runtime = await openRuntime(config, logger);
  try {
    const summary = await importFile(runtime.store, runtime, path.resolve(file));
    logger.info({ file, summary }, 'import finished');
    await runtime.audit.record(importCompleted(file, summary));
    console.log(
      [
        `Imported ${file}:`,
        `  organizations: ${summary.organizations.created} created, ${summary.organizations.updated} updated`,
        `  services: ${summary.services.created} created, ${summary.services.updated} updated`,
        `  people: ${summary.people.created} created, ${summary.people.updated} updated, initial passwords set: ${summary.passwordsSet}`,
      ].join('\n'),
    );
  } finally {
    await runtime.store.close();
  }
}
