import { StorageError } from '../errors/index.js';
import type { Store } from '../storage/database.js';
import { inTransaction } from '../storage/transaction.js';
import { appendLocked, lockChainHead, moveAnchor } from './chain.js';
import { canonicalDetails } from './canonical.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Remove the records older than the retention period and return how many.
 * Only a prefix of the chain goes: the removal stops at the first record
 * that is still young, even if an older-looking one (another node's clock)
 * follows it. The last removed record's hash becomes the anchor that
 * verification starts from, and an `audit.pruned` record appended in the same
 * transaction states that anchor, so removing more records later shows.
 */
export async function pruneAuditLog(store: Store, retentionDays: number, now: number = Date.now()): Promise<number> {
  const cutoff = now - retentionDays * DAY_MS;
  return inTransaction(store.db, async (trx) => {
    const head = await lockChainHead(trx, store.dialect);
    const firstKept = await trx
      .selectFrom('audit_events')
      .select((eb) => eb.fn.min('seq').as('seq'))
      .where('occurred_at', '>=', cutoff)
      .executeTakeFirst();
    const keptSeq = firstKept?.seq ?? null;
    const throughSeq = keptSeq === null ? head.last_seq : Number(keptSeq) - 1;
    if (throughSeq <= head.anchor_seq) {
      return 0;
    }

    const last = await trx.selectFrom('audit_events').select('hash').where('seq', '=', throughSeq).executeTakeFirst();
    if (last === undefined) {
      throw new StorageError(`Audit retention stopped: record ${throughSeq} is missing, so the chain is broken. Run \`propusk audit verify\``);
    }
    const deleted = await trx.deleteFrom('audit_events').where('seq', '<=', throughSeq).executeTakeFirst();
    const removed = Number(deleted.numDeletedRows);
    await moveAnchor(trx, throughSeq, last.hash);
    const details = canonicalDetails({ throughSeq, anchorHash: last.hash, removed, retentionDays });
    const entry = { type: 'audit.pruned' as const, person_id: null, client_id: null, ip: null, user_agent: null, request_id: null, details };
    await appendLocked(trx, head, [{ entry, occurredAt: now }]);
    return removed;
  });
}
