// A PostgreSQL cluster and a redis-server owned by one test file, on random
// loopback ports, for fault tests that stop and restart them. The shared
// servers on 5432 and 6379 are never touched.
//
// Gate a suite on the binaries, then start and always destroy:
//
//   describe('faults', await serviceGate(privateServicesAvailable), () => {
//     before(async () => { postgres = await startPrivatePostgres(); });
//     after(async () => { await postgres?.destroy(); });
//   });
import { execFile, execFileSync } from 'node:child_process';
import { constants } from 'node:fs';
import { access, chown, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './propusk-server.js';
import { childPids, stopAtExit } from './processes.js';
import { redisServerAvailable, type BinaryStatus } from './private-redis.js';

export type { BinaryStatus };
export { startPrivateRedis, type PrivateRedis } from './private-redis.js';
export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:PORT/postgres, password-free (trust). */
  url: string;
  port: number;
  /** `pg_ctl stop -m fast`: open connections are terminated. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** `pg_ctl restart -m fast`, on the same port and data. */
  restart(): Promise<void>;
  /**
   * SIGSTOP the server and its backends: connections stay open and new ones
   * wait in the listen queue, but no query gets a reply, as on a hung host.
   */
  freeze(): Promise<void>;
  /** SIGCONT what freeze stopped. */
  thaw(): Promise<void>;
  /** Stop the server if it runs and delete its directory. Safe to call twice. */
  destroy(): Promise<void>;
}

const POSTGRES_ROOT = '/usr/lib/postgresql';
const POSTGRES_USER = 'postgres';
/** Upper bound for initdb and each pg_ctl call; a healthy one takes about a second. */
const COMMAND_TIMEOUT_S = 30;

const execFileAsync = promisify(execFile);

async function isExecutable(file: string): Promise<boolean> {
  return access(file, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/** Find the newest Debian PostgreSQL bin directory that contains initdb and pg_ctl. */
async function findPostgresBin(): Promise<string | undefined> {
  const versions = (await readdir(POSTGRES_ROOT).catch(() => [] as string[])).filter((name) => /^\d+$/.test(name));
  versions.sort((left, right) => Number(right) - Number(left));
  for (const version of versions) {
    const bin = path.join(POSTGRES_ROOT, version, 'bin');
    if ((await isExecutable(path.join(bin, 'initdb'))) && (await isExecutable(path.join(bin, 'pg_ctl')))) {
      return bin;
    }
  }
  return undefined;
}

function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

/** initdb refuses to run as root, so as root every cluster command runs as the postgres user. */
function asClusterOwner(command: string, args: string[]): [string, string[]] {
  return runningAsRoot() ? ['runuser', ['-u', POSTGRES_USER, '--', command, ...args]] : [command, args];
}

async function runClusterCommand(directory: string, label: string, command: string, args: string[]): Promise<void> {
  const [file, argv] = asClusterOwner(command, args);
  try {
    await execFileAsync(file, argv, { cwd: directory, timeout: COMMAND_TIMEOUT_S * 1000 });
  } catch (error) {
    const log = await readFile(path.join(directory, 'log'), 'utf8').catch(() => '(no server log)');
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`${label} failed: ${(error as Error).message}\n${stderr}\nserver log tail:\n${log.slice(-2000)}`);
  }
}

export async function privatePostgresAvailable(): Promise<BinaryStatus> {
  const bin = await findPostgresBin();
  if (bin === undefined) {
    return { ok: false, reason: `no initdb and pg_ctl under ${POSTGRES_ROOT}/<version>/bin (install the Debian package postgresql)` };
  }
  if (runningAsRoot()) {
    try {
      await execFileAsync('runuser', ['-u', POSTGRES_USER, '--', 'true'], { cwd: '/', timeout: 5000 });
    } catch (error) {
      return { ok: false, reason: `running as root, but \`runuser -u ${POSTGRES_USER}\` failed (initdb refuses root): ${(error as Error).message}` };
    }
  }
  return { ok: true, path: bin };
}

/** Both private servers can be started: the gate for the fault tests. */
export async function privateServicesAvailable(): Promise<BinaryStatus> {
  const postgres = await privatePostgresAvailable();
  if (!postgres.ok) return postgres;
  return redisServerAvailable();
}

async function postgresUserId(): Promise<{ uid: number; gid: number }> {
  const { stdout: uid } = await execFileAsync('id', ['-u', POSTGRES_USER]);
  const { stdout: gid } = await execFileAsync('id', ['-g', POSTGRES_USER]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

/** Create a cluster in a new temporary directory and start it on a free loopback port. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = await findPostgresBin();
  if (bin === undefined) throw new Error(`no PostgreSQL binaries under ${POSTGRES_ROOT}`);
  // Under /tmp rather than TMPDIR: the postgres user must be able to enter it, and the Unix
  // socket path inside it must stay within the 107 bytes that Linux allows.
  const directory = await mkdtemp('/tmp/propusk-pg-');
  if (runningAsRoot()) {
    const owner = await postgresUserId();
    await chown(directory, owner.uid, owner.gid);
  }

  const port = await freePort();
  const dataDir = path.join(directory, 'data');
  const pgCtl = path.join(bin, 'pg_ctl');
  // -k puts the Unix socket in the private directory instead of /var/run/postgresql, which the shared server uses.
  const serverOptions = `-p ${port} -k ${directory} -c listen_addresses=127.0.0.1`;
  const control = (action: string) =>
    runClusterCommand(directory, `pg_ctl ${action}`, pgCtl, ['-D', dataDir, '-o', serverOptions, '-l', path.join(directory, 'log'), '-m', 'fast', '-w', '-t', String(COMMAND_TIMEOUT_S), action]);

  let running = false;
  let frozen: number[] = [];
  let cancelEmergencyStop = () => {};
  const thaw = async () => {
    for (const pid of frozen.splice(0)) process.kill(pid, 'SIGCONT');
  };
  // If the test process exits without after() hooks, the server must not outlive it.
  const emergencyStop = () => {
    for (const pid of frozen.splice(0)) process.kill(pid, 'SIGCONT');
    const [file, argv] = asClusterOwner(pgCtl, ['-D', dataDir, '-m', 'immediate', 'stop']);
    execFileSync(file, argv, { cwd: '/', stdio: 'ignore', timeout: COMMAND_TIMEOUT_S * 1000 });
  };
  const destroy = async () => {
    await thaw();
    if (running) {
      await control('stop');
      running = false;
    }
    cancelEmergencyStop();
    await rm(directory, { recursive: true, force: true });
  };

  try {
    await runClusterCommand(directory, 'initdb', path.join(bin, 'initdb'), ['-D', dataDir, '-A', 'trust', '-U', POSTGRES_USER, '--no-sync']);
    await control('start');
    running = true;
    cancelEmergencyStop = stopAtExit(emergencyStop);
  } catch (error) {
    await destroy().catch(() => {});
    throw error;
  }

  return {
    url: `postgres://${POSTGRES_USER}@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      await control('stop');
      running = false;
    },
    async start() {
      await control('start');
      running = true;
    },
    async restart() {
      await control('restart');
      running = true;
    },
    async freeze() {
      const postmaster = Number((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
      // The postmaster first, so that it forks no new backend while its children are listed.
      process.kill(postmaster, 'SIGSTOP');
      frozen.push(postmaster);
      for (const pid of await childPids(postmaster)) {
        process.kill(pid, 'SIGSTOP');
        frozen.push(pid);
      }
    },
    thaw,
    destroy,
  };
}
