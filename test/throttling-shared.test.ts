// Two Propusk nodes on one PostgreSQL database share the failure counters:
// in the database by default, in Redis when REDIS_URL is set.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { createPostgresSchema } from './helpers/databases.js';
import { openLoginForm, postLogin } from './helpers/login-form.js';
import { DEMO_PASSWORD } from './helpers/oidc-flow.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';
import { postgresAvailable, redisAvailable, redisUrl, serviceGate } from './helpers/services.js';

const FREE = 2;

function runSharedSuite(name: string, extraEnv: () => Record<string, string>, login: string, gates: Array<{ skip?: string }>) {
  const skip = gates.find((gate) => gate.skip !== undefined);
  describe(`two nodes share counters ${name}`, skip ?? {}, () => {
    let schema: { url: string; drop(): Promise<void> };
    let first: RunningPropusk;
    let second: RunningPropusk;

    before(async () => {
      schema = await createPostgresSchema();
      const env = {
        PROPUSK_MASTER_KEY: randomBytes(32).toString('base64'),
        PROPUSK_THROTTLE_ACCOUNT_FREE_FAILURES: String(FREE),
        PROPUSK_THROTTLE_FIRST_DELAY: '60',
        ...extraEnv(),
      };
      first = await startPropusk({ databaseUrl: schema.url, env });
      second = await startPropusk({ databaseUrl: schema.url, env });
    });
    after(async () => {
      await first?.stop();
      await second?.stop();
      await schema?.drop();
    });

    test('failures on one node delay the login on the other', async () => {
      const formOnFirst = await openLoginForm(first.issuer);
      for (let i = 1; i <= FREE + 1; i += 1) {
        assert.equal((await postLogin(formOnFirst, login, 'wrong password')).status, 401, `failure ${i} on the first node`);
      }
      const formOnSecond = await openLoginForm(second.issuer);
      const rejected = await postLogin(formOnSecond, login, DEMO_PASSWORD);
      assert.equal(rejected.status, 429);
      assert.ok(Number(rejected.headers.get('retry-after')) > 0);
    });

    test('the counters live where the configuration says', async () => {
      const rows = await sql<{ count: number }>`select count(*) as count from throttle_counters`.execute(first.runtime.store.db);
      const count = Number(rows.rows[0]?.count);
      if (extraEnv().REDIS_URL === undefined) {
        assert.ok(count > 0, 'counters in PostgreSQL');
      } else {
        assert.equal(count, 0, 'no counters in PostgreSQL when Redis holds them');
      }
    });
  });
}

const postgresGate = await serviceGate(postgresAvailable);
runSharedSuite('in PostgreSQL', () => ({}), '+7 916 000-00-01', [postgresGate]);
runSharedSuite('in Redis', () => ({ REDIS_URL: redisUrl() }), 'ivanova@example.ru', [postgresGate, await serviceGate(redisAvailable)]);
