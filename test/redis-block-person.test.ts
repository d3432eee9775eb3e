// `propusk people block` with REDIS_URL set: the command reaches the sessions
// and access tokens kept in Redis, not only the records in the database.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import pino from 'pino';
import { peopleCommand } from '../src/cli/people-commands.js';
import { authorizationRequest, callbackUrl, client, demoPerson, passwordLogin, relyingParty, type RelyingParty } from './helpers/oidc-flow.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';
import { redisAvailable, redisUrl, serviceGate } from './helpers/services.js';

const person = demoPerson((p) => p.email === 'ivanova@example.ru');

describe('blocking a person with sessions in Redis', await serviceGate(redisAvailable), () => {
  const prefix = `propusk-test-${randomBytes(4).toString('hex')}:`;
  let propusk: RunningPropusk;
  let dnevnik: RelyingParty;
  let redis: Redis;

  before(async () => {
    propusk = await startPropusk({ env: { REDIS_URL: redisUrl(), PROPUSK_REDIS_PREFIX: prefix } });
    dnevnik = await relyingParty(propusk.issuer, 'dnevnik');
    redis = new Redis(redisUrl());
  });

  after(async () => {
    await propusk?.stop();
    const keys = (await redis?.keys(`${prefix}*`)) ?? [];
    if (keys.length > 0) {
      await redis.del(...keys);
    }
    redis?.disconnect();
  });

  test('end the sessions and tokens kept in Redis', async () => {
    const { tokens, browser } = await passwordLogin(propusk.issuer, dnevnik, '+79160000001');
    assert.equal((await redis.keys(`${prefix}oidc:s:*`)).length, 1, 'one session in Redis');

    const output: unknown[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => void output.push(args.join(' '));
    try {
      await peopleCommand(propusk.runtime.config, pino({ level: 'silent' }), ['block', person.id]);
    } finally {
      console.log = log;
    }
    assert.match(String(output[0]), /1 sessions ended/);

    assert.deepEqual(await redis.keys(`${prefix}oidc:s:*`), [], 'the session is gone from Redis');
    assert.deepEqual(await redis.keys(`${prefix}oidc:a:*`), [], 'the access tokens are gone from Redis');
    await assert.rejects(client.fetchUserInfo(dnevnik.config, tokens.access_token, tokens.claims()?.sub as string));
    const silent = await authorizationRequest(dnevnik, { prompt: 'none' });
    const hop = await browser.follow(silent.url.toString());
    assert.equal(callbackUrl(hop, dnevnik).searchParams.get('error'), 'login_required');
  });
});
