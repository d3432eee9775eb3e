import { withTransaction, type Store } from '../storage/database.js';
import type { IdentifierCipher } from '../storage/identifier-cipher.js';
import { findOrganization, upsertOrganization } from '../storage/organizations.js';
import { findService, upsertService } from '../storage/services.js';
import type { ImportPlan } from './plan.js';
import { emptySummary, type ImportSummary } from './summary.js';
import { writeChildren, writeIdentifiers, writePeople, writeRoles } from './write-people.js';

/**
 * Write a checked import in one transaction: organizations, services,
 * people, then their identifiers, roles and children, each replaced by the
 * file's. Any error rolls the whole import back. An identifier taken by
 * someone else after the file was checked becomes an ImportError naming the
 * person's place in the file.
 */
export async function applyImport(store: Store, cipher: IdentifierCipher, plan: ImportPlan): Promise<ImportSummary> {
  return withTransaction(store, async (trx) => {
    const summary = emptySummary();

    for (const organization of plan.organizations) {
      const existed = (await findOrganization(trx, organization.id)) !== undefined;
      await upsertOrganization(trx, organization);
      summary.organizations[existed ? 'updated' : 'created'] += 1;
    }
    for (const service of plan.services) {
      const existed = (await findService(trx, service.clientId)) !== undefined;
      await upsertService(trx, service);
      summary.services[existed ? 'updated' : 'created'] += 1;
    }

    const { personIds, passwordsSet } = await writePeople(trx, plan.people, summary.people);
    summary.passwordsSet = passwordsSet;
    await writeIdentifiers(trx, cipher, plan.people, personIds);
    await writeRoles(trx, plan.people, personIds);
    await writeChildren(trx, plan.people, personIds);
    return summary;
  });
}
