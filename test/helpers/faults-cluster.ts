// Two Propusk nodes, A and B, as separate processes behind one load balancer,
// sharing a private PostgreSQL and a private Redis, with the demo school
// imported. Fault tests stop, kill and restart any of these parts.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { SuiteContext, TestContext } from 'node:test';
import { serviceAt } from './backchannel-flow.js';
import { startLoadBalancer, type LoadBalancer } from './load-balancer.js';
import type { RelyingParty } from './oidc-flow.js';
import { startPrivatePostgres, startPrivateRedis, type PrivatePostgres, type PrivateRedis } from './private-services.js';
import { freePort } from './propusk-server.js';
import { runPropuskCommand, spawnPropusk, type PropuskNode } from './propusk-process.js';

export type NodeName = 'a' | 'b';

export interface FaultCluster {
  postgres: PrivatePostgres;
  redis: PrivateRedis;
  balancer: LoadBalancer;
  /** The issuer of both nodes: the load balancer's URL. */
  issuer: string;
  nodes: Record<NodeName, PropuskNode>;
  /** A demo service as a relying party, its URIs moved to a closed loopback port. */
  service(clientId: string): Promise<RelyingParty>;
  /** Send the balancer's later requests to this node. */
  use(name: NodeName): void;
  /**
   * Stop the node with SIGTERM (it must exit with status 0) unless it was
   * killed, and start it again on the same port, data directory and settings.
   */
  restart(name: NodeName): Promise<PropuskNode>;
  /** Log tails of both nodes, for failure messages. */
  logs(): Promise<string>;
  destroy(): Promise<void>;
}

const DEMO_DATA_FILE = new URL('../../src/demo/demo-data.json', import.meta.url);
const DEMO_RP_BASE = 'http://localhost:3001';

/**
 * Write the demo school with its services' URLs on `rpBase`. The nodes then
 * send back-channel logouts there, not to a demo relying party that someone
 * else may run on port 3001.
 */
async function writeDemoData(file: string, rpBase: string): Promise<void> {
  const text = await readFile(DEMO_DATA_FILE, 'utf8');
  await writeFile(file, text.replaceAll(DEMO_RP_BASE, rpBase));
}

export async function startFaultCluster(options: { appendOnlyRedis?: boolean } = {}): Promise<FaultCluster> {
  const cleanups: Array<() => Promise<void>> = [];
  const destroy = async () => {
    const errors: unknown[] = [];
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) => errors.push(error));
    }
    cleanups.length = 0;
    if (errors.length > 0) throw new AggregateError(errors, 'fault cluster cleanup failed');
  };

  try {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'propusk-faults-'));
    cleanups.push(() => rm(directory, { recursive: true, force: true }));
    const postgres = await startPrivatePostgres();
    cleanups.push(() => postgres.destroy());
    const redis = await startPrivateRedis({ appendOnly: options.appendOnlyRedis === true });
    cleanups.push(() => redis.destroy());
    const balancer = await startLoadBalancer();
    cleanups.push(() => balancer.close());

    // One master key for both nodes, as production requires: it decrypts the shared signing and cookie keys.
    const shared: Record<string, string> = {
      NODE_ENV: 'test',
      PROPUSK_DEMO: 'false',
      PROPUSK_ISSUER: balancer.url,
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      PROPUSK_MASTER_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'info',
    };
    const nodeEnv = async (name: string) => {
      const dataDir = path.join(directory, name);
      await mkdir(dataDir, { recursive: true });
      return { ...shared, PORT: String(await freePort()), PROPUSK_DATA_DIR: dataDir };
    };
    const logFile = (name: string) => path.join(directory, `${name}.log`);

    // Nothing listens on this port, so back-channel logouts fail there and are retried later.
    const rpBase = `http://127.0.0.1:${await freePort()}`;
    const demoData = path.join(directory, 'demo-data.json');
    await writeDemoData(demoData, rpBase);
    // The import migrates the empty database and creates the keys, so the nodes start on a ready schema.
    await runPropuskCommand(['import', demoData], await nodeEnv('import'), logFile('import'));

    const envs = { a: await nodeEnv('a'), b: await nodeEnv('b') };
    const launch = async (name: NodeName) => {
      const node = await spawnPropusk(name.toUpperCase(), envs[name], logFile(name));
      cleanups.push(async () => void (await node.stop()));
      return node;
    };
    // allSettled, so that a node that starts after the other failed is still stopped by destroy.
    const [a, b] = await Promise.allSettled([launch('a'), launch('b')]);
    if (a.status === 'rejected') throw a.reason;
    if (b.status === 'rejected') throw b.reason;
    const nodes: Record<NodeName, PropuskNode> = { a: a.value, b: b.value };
    balancer.routeTo(nodes.a.port);

    return {
      postgres,
      redis,
      balancer,
      issuer: balancer.url,
      nodes,
      service: (clientId) => serviceAt(balancer.url, rpBase, clientId),
      use(name) {
        balancer.routeTo(nodes[name].port);
      },
      async restart(name) {
        const old = nodes[name];
        const wasRunning = old.child.exitCode === null && old.child.signalCode === null;
        const status = await old.stop();
        // A graceful shutdown exits with 0; anything else is a failure the test must see.
        if (wasRunning && status.code !== 0) {
          throw new Error(`node ${old.name} exited with ${status.code ?? status.signal} on SIGTERM:\n${await old.logTail()}`);
        }
        nodes[name] = await launch(name);
        return nodes[name];
      },
      async logs() {
        return `--- node A ---\n${await nodes.a.logTail()}\n--- node B ---\n${await nodes.b.logTail()}`;
      },
      destroy,
    };
  } catch (error) {
    await destroy().catch(() => {});
    throw error;
  }
}

/** An afterEach hook that adds both nodes' log tails to the report of a failed test. */
export function logsOnFailure(cluster: () => FaultCluster | undefined): (context: TestContext | SuiteContext) => Promise<void> {
  return async (context) => {
    // TestContext.passed exists since Node 20.12, but @types/node 20 does not declare it.
    const passed = (context as { passed?: boolean }).passed;
    const running = cluster();
    if (passed === false && running !== undefined && 'diagnostic' in context) {
      context.diagnostic(await running.logs());
    }
  };
}
