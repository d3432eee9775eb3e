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

/** `keys.rotated`: how many keys were retired and deleted; key ids stay out, key material never comes near. */
export function keysRotated(result: { retired: readonly string[]; deleted: readonly string[] }): AuditEvent {
  return {
    type: 'keys.rotated',
    details: { retired: result.retired.length, deleted: result.deleted.length, osUser: operatingSystemUser() },
  };
}
