// Measure argon2id hashes per CPU-second at PASSWORD_HASH_PARAMETERS on three
// paths: @node-rs/argon2's async hash on the libuv thread pool (what Propusk
// used before the worker pool), the worker pool of hash-pool.ts, and hashSync
// on the main thread, which is the cost of the hash alone. CPU time is the
// whole process's (process.cpuUsage), so it includes every thread.
//
//   node --import tsx scripts/measure-hash-pool.ts [seconds per run] [runs]
//
// Not part of the tests: the numbers depend on the machine and its load.
import os from 'node:os';
import { hash, hashSync } from '@node-rs/argon2';
import { PASSWORD_HASH_PARAMETERS } from '../src/identity/password/hash.js';
import { createHashPool } from '../src/identity/password/hash-pool.js';
import { createLogger } from '../src/logging/logger.js';

const seconds = Number(process.argv[2] ?? 5);
const runs = Number(process.argv[3] ?? 3);
const cpus = os.availableParallelism();

interface Sample {
  hashes: number;
  wallSeconds: number;
  cpuSeconds: number;
}

/** Keep `inFlight` hashes running until the time is up; count the finished ones. */
async function measure(inFlight: number, hashOnce: () => Promise<unknown>): Promise<Sample> {
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  const deadline = wallStart + seconds * 1000;
  let hashes = 0;
  const loop = async () => {
    while (performance.now() < deadline) {
      await hashOnce();
      hashes += 1;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, loop));
  const cpu = process.cpuUsage(cpuStart);
  return { hashes, wallSeconds: (performance.now() - wallStart) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function summary(label: string, samples: Sample[]): string {
  const perSecond = samples.map((sample) => sample.hashes / sample.wallSeconds);
  const perCpuSecond = samples.map((sample) => sample.hashes / sample.cpuSeconds);
  const range = (values: number[]) => `${Math.min(...values).toFixed(0)}/${median(values).toFixed(0)}/${Math.max(...values).toFixed(0)}`;
  return `| ${label} | ${range(perSecond)} | ${range(perCpuSecond)} |`;
}

async function repeat(inFlight: number, hashOnce: () => Promise<unknown>): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let run = 0; run < runs; run += 1) {
    samples.push(await measure(inFlight, hashOnce));
  }
  return samples;
}

const password = 'measure-hash-pool';
const logger = createLogger({ level: 'warn', pretty: false });
const pool = createHashPool({ threads: cpus, maxWaitMs: Number.MAX_SAFE_INTEGER, logger });
// The first job waits until a worker has started, so startup is not measured.
await pool.hash(password, { admission: 'wait' });

const libuvThreads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
const lines = [
  `Node ${process.version}, ${cpus} CPUs available (${os.cpus()[0]?.model ?? 'unknown CPU'}), libuv pool of ${libuvThreads}, load average ${os.loadavg()[0]?.toFixed(1)} at the start.`,
  `Parameters: m=${PASSWORD_HASH_PARAMETERS.memoryCost} KiB, t=${PASSWORD_HASH_PARAMETERS.timeCost}, p=${PASSWORD_HASH_PARAMETERS.parallelism}; ${runs} runs of ${seconds} s each, min/median/max.`,
  '',
  '| path | hashes per second | hashes per CPU-second |',
  '| --- | --- | --- |',
];
lines.push(summary('hashSync on the main thread, 1 at a time', await repeat(1, async () => hashSync(password, PASSWORD_HASH_PARAMETERS))));
for (const inFlight of [1, cpus, 2 * cpus]) {
  lines.push(summary(`libuv (async hash), ${inFlight} in flight`, await repeat(inFlight, () => hash(password, PASSWORD_HASH_PARAMETERS))));
  lines.push(summary(`worker pool of ${cpus}, ${inFlight} in flight`, await repeat(inFlight, () => pool.hash(password, { admission: 'wait' }))));
}

/*
 * jose signs JWTs through WebCrypto, which also runs on the libuv thread
 * pool. Measure how long one ES256 signature takes while hashes keep the
 * pool busy: the SSO hops and token refreshes of a login peak wait that long
 * for each token they sign.
 */
const signingKey = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
const payload = new TextEncoder().encode('header.payload');

async function signLatencies(hashOnce: (() => Promise<unknown>) | undefined): Promise<string> {
  const deadline = performance.now() + seconds * 1000;
  const load = hashOnce === undefined ? [] : Array.from({ length: 2 * cpus }, async () => {
    while (performance.now() < deadline) await hashOnce();
  });
  const latencies: number[] = [];
  while (performance.now() < deadline) {
    const start = performance.now();
    await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, signingKey.privateKey, payload);
    latencies.push(performance.now() - start);
  }
  await Promise.all(load);
  latencies.sort((a, b) => a - b);
  const p99 = latencies[Math.floor(latencies.length * 0.99)] ?? Number.NaN;
  return `${median(latencies).toFixed(2)} ms / ${p99.toFixed(2)} ms`;
}

lines.push('', '| ES256 signature (WebCrypto) while hashing | median / p99 latency |', '| --- | --- |');
lines.push(`| no hashing | ${await signLatencies(undefined)} |`);
lines.push(`| libuv, ${2 * cpus} hashes in flight | ${await signLatencies(() => hash(password, PASSWORD_HASH_PARAMETERS))} |`);
lines.push(`| worker pool, ${2 * cpus} hashes in flight | ${await signLatencies(() => pool.hash(password, { admission: 'wait' }))} |`);

await pool.close();
lines.push('', `Load average ${os.loadavg()[0]?.toFixed(1)} at the end.`);
console.log(lines.join('\n'));
