// Child process of the argon2id ceiling: hash for a fixed time with the
// server's parameters and library, then print one JSON line
// {"hashes","cpuSeconds","wallSeconds"}. Run alone, so process.cpuUsage
// counts only the hashing (main thread and libuv pool together).
//
// Usage: node --import tsx bench/ceilings/argon2-child.ts async|sync IN_FLIGHT SECONDS
import { hash, hashSync } from '@node-rs/argon2';
import { performance } from 'node:perf_hooks';
import { PASSWORD_HASH_PARAMETERS } from '../../src/identity/password/hash.js';

const [mode = 'async', inFlightText = '1', secondsText = '3'] = process.argv.slice(2);
const inFlight = Number(inFlightText);
const end = performance.now() + Number(secondsText) * 1000;
const password = 'Kolokol-ceiling-Vesna';

// One hash first, so that loading the native module is not measured.
await hash(password, PASSWORD_HASH_PARAMETERS);

const cpuBefore = process.cpuUsage();
const begin = performance.now();
let hashes = 0;
if (mode === 'sync') {
  // hashSync on the main thread: no thread pool hand-off, the cheapest way per hash.
  while (performance.now() < end) {
    hashSync(password, PASSWORD_HASH_PARAMETERS);
    hashes += 1;
  }
} else {
  const worker = async () => {
    while (performance.now() < end) {
      await hash(password, PASSWORD_HASH_PARAMETERS);
      hashes += 1;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}
const cpu = process.cpuUsage(cpuBefore);
console.log(JSON.stringify({ hashes, cpuSeconds: (cpu.user + cpu.system) / 1e6, wallSeconds: (performance.now() - begin) / 1000 }));
