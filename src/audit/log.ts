import type { Logger } from 'pino';
import type { Store } from '../storage/database.js';
import { appendRecords, type PendingEntry } from './chain.js';
import type { AuditEvent, AuditLog } from './events.js';
import { toAuditEntry } from './sanitize.js';

/** Maximum number of records appended in one transaction: 200 rows bind 2,200 parameters, far below either database's limit. */
const MAX_BATCH = 200;

interface Queued {
  pending: PendingEntry;
  done: () => void;
}

/**
 * Create the audit log over the database. Each event becomes one record of
 * the hash chain and one `audit event` log line, so a log shipper also
 * carries it off the machine.
 *
 * Events that arrive while an append is in flight wait and go in the next
 * transaction together, so the lock on the chain head is taken once per
 * batch instead of once per event. `record` resolves when its batch is
 * committed, and it never rejects: a failed write is logged as an error
 * with the event types, and the request that caused the event goes on.
 * On SQLite, do not await it inside another transaction of the same store:
 * that transaction has the only connection, so the append waits for it
 * forever.
 */
export function createAuditLog(store: Store, logger: Logger): AuditLog {
  const queue: Queued[] = [];
  let draining = false;

  const appendBatch = async (batch: Queued[]) => {
    try {
      const rows = await appendRecords(store.db, store.dialect, batch.map((item) => item.pending));
      for (const row of rows) {
        const details = JSON.parse(row.details) as unknown;
        logger.info({ auditSeq: row.seq, auditType: row.type, personId: row.person_id, clientId: row.client_id, requestId: row.request_id, details }, 'audit event');
      }
    } catch (error) {
      const types = batch.map((item) => item.pending.entry.type);
      logger.error({ err: error, auditTypes: types, personIds: batch.map((item) => item.pending.entry.person_id) }, 'audit events could not be stored');
    }
    for (const item of batch) {
      item.done();
    }
  };

  const drain = async () => {
    draining = true;
    while (queue.length > 0) {
      await appendBatch(queue.splice(0, MAX_BATCH));
    }
    draining = false;
  };

  return {
    record(event: AuditEvent): Promise<void> {
      return new Promise((resolve) => {
        let converted;
        try {
          converted = toAuditEntry(event);
        } catch (error) {
          logger.error({ err: error, auditType: event.type }, 'audit event could not be stored: its fields are not strings where strings are expected');
          resolve();
          return;
        }
        if (converted.droppedDetails.length > 0) {
          logger.warn({ auditType: event.type, dropped: converted.droppedDetails }, 'audit event details dropped: keys must be short identifiers, at most 16');
        }
        queue.push({ pending: { entry: converted.entry, occurredAt: Date.now() }, done: resolve });
        if (!draining) {
          void drain();
        }
      });
    },
  };
}
