import os from 'node:os';
import path from 'node:path';
import type { ImportSummary } from '../importer/summary.js';
import type { AuditEvent } from './events.js';

/** Return the operating-system account that ran a CLI command, or null where the system has no name for it. */
function operatingSystemUser(): string | null {
  try {
    return os.userInfo().username;
  } catch {
    // userInfo throws when the process's uid has no passwd entry, as in some containers.
    return null;
  }
}

/** `import.completed`: the file name (not its path) and the counts, never a record of the file. */
export function importCompleted(file: string, summary: ImportSummary): AuditEvent {
  return {
    type: 'import.completed',
    details: {
      file: path.basename(file),
      organizationsCreated: summary.organizations.created,
      organizationsUpdated: summary.organizations.updated,
      servicesCreated: summary.services.created,
      servicesUpdated: summary.services.updated,
      peopleCreated: summary.people.created,
      peopleUpdated: summary.people.updated,
      passwordsSet: summary.passwordsSet,
      osUser: operatingSystemUser(),
    },
  };
}

/** The `propusk keys` subcommand behind a `keys.rotated` event. */
export type KeyRotationStep = 'stage' | 'activate' | 'rotate';

/** Kids of the keys that one `propusk keys` step changed, by what happened to them. */
export interface KeyRotationResult {
  staged: readonly string[];
  activated: readonly string[];
  retired: readonly string[];
  deleted: readonly string[];
}

/**
 * `keys.rotated`: the step, and how many keys it staged, activated, retired
 * and deleted; key ids stay out, key material never comes near.
 */
export function keysRotated(step: KeyRotationStep, result: KeyRotationResult): AuditEvent {
  return {
    type: 'keys.rotated',
    details: {
      step,
      staged: result.staged.length,
      activated: result.activated.length,
      retired: result.retired.length,
      deleted: result.deleted.length,
      osUser: operatingSystemUser(),
    },
  };
}
