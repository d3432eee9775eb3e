// A separate process that appends audit records, standing in for another
// Propusk node. Usage: node --import tsx audit-appender.ts DATABASE_URL COUNT
// Exits non-zero when any append fails.
import os from 'node:os';
import { appendRecord } from '../../src/audit/chain.js';
import { toAuditEntry } from '../../src/audit/sanitize.js';
import { openDatabase } from '../../src/storage/database.js';

const [url, countText] = process.argv.slice(2);
const count = Number(countText);
const store = await openDatabase({ url, dataDir: os.tmpdir() });
try {
  const appends = Array.from({ length: count }, (_, index) => {
    const { entry } = toAuditEntry({ type: 'admin.action', details: { worker: process.pid, index } });
    return appendRecord(store.db, store.dialect, entry);
  });
  await Promise.all(appends);
} finally {
  await store.close();
}
