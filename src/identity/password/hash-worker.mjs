// A worker thread of the password hash pool. It runs @node-rs/argon2's
// synchronous functions, one job at a time, so the main thread's event loop
// never blocks on argon2. The messages are typed in hash-protocol.ts.
//
// Plain JavaScript on purpose. On Node 20.20, a worker whose entry file is .ts
// fails with "Unknown file extension" even when the process runs under
// `--import tsx`. Without tsx a worker also starts about three times faster.
import { parentPort, workerData } from 'node:worker_threads';
import { hashSync, verifySync } from '@node-rs/argon2';

const { parameters } = workerData;

function run(job) {
  if (job.kind === 'hash') {
    return hashSync(job.password, parameters);
  }
  return verifySync(job.storedHash, job.password);
}

parentPort.on('message', (request) => {
  let reply;
  try {
    reply = { type: 'result', id: request.id, value: run(request) };
  } catch (error) {
    // The library raises on input such as a stored string that is not an
    // argon2 hash. That fails this job only, and the thread stays up.
    reply = { type: 'failure', id: request.id, message: error instanceof Error ? error.message : String(error) };
  }
  parentPort.postMessage(reply);
});

parentPort.postMessage({ type: 'ready' });
