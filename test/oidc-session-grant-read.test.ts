import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CompiledQuery } from 'kysely';
import { client, demoPerson, passwordLogin, relyingParty, type RelyingParty } from './helpers/oidc-flow.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';

/*
 * A token bound to a session has its session checked and then its grant
 * loaded. With sessions in the database, one query on userinfo, the token
 * endpoint and introspection reads the Session record, the session's facts
 * and the grant with its roles (src/oidc/grant-roles-read.ts). These tests
 * count the SQL statements of real requests on SQLite.
 */
describe('session check reads the token grant', () => {
  let propusk: RunningPropusk;
  let dnevnik: RelyingParty;
  let statements: string[] | undefined;
  const parent = demoPerson((p) => p.email === 'ivanova@example.ru');

  before(async () => {
    propusk = await startPropusk();
    dnevnik = await relyingParty(propusk.issuer, 'dnevnik');
    // Record the SQL of every query outside a transaction while `statements` is set.
    const executor = propusk.runtime.store.db.getExecutor();
    const execute = executor.executeQuery.bind(executor);
    executor.executeQuery = ((query: CompiledQuery, ...rest: unknown[]) => {
      statements?.push(query.sql);
      return (execute as (...args: unknown[]) => ReturnType<typeof execute>)(query, ...rest);
    }) as typeof executor.executeQuery;
  });
  after(async () => propusk?.stop());

  async function recorded<T>(run: () => Promise<T>): Promise<{ result: T; sql: string[] }> {
    statements = [];
    try {
      const result = await run();
      return { result, sql: statements };
    } finally {
      statements = undefined;
    }
  }

  const grantReads = (sql: string[]) => sql.filter((text) => text.includes('"grant_roles"'));
  const sessionReads = (sql: string[]) => sql.filter((text) => text.includes('"session_activity"') || /"model" = \? and "uid" = \?/.test(text));
  const readsSessionOnce = (sql: string[]) => {
    const reads = sessionReads(sql);
    assert.equal(reads.length, 1, `expected one read of the session, got:\n${sql.join('\n')}`);
    assert.match(reads[0] as string, /from "oidc_payloads" as "session_record"/);
  };

  test('userinfo: one query for session and grant', async () => {
    const { tokens } = await passwordLogin(propusk.issuer, dnevnik, parent.email as string);
    const { result: userinfo, sql } = await recorded(() => client.fetchUserInfo(dnevnik.config, tokens.access_token, tokens.claims()?.sub as string));
    assert.equal((userinfo.role as { kind: string }).kind, 'parent');
    const reads = grantReads(sql);
    assert.equal(reads.length, 1, `expected one read of the grant's roles, got:\n${sql.join('\n')}`);
    assert.match(reads[0] as string, /from "oidc_payloads" as "session_record"/);
    readsSessionOnce(sql);
  });

  test('refresh grant: one query for session and grant', async () => {
    const { tokens } = await passwordLogin(propusk.issuer, dnevnik, parent.email as string);
    assert.ok(tokens.refresh_token, 'Дневник gets a refresh token');
    const { result: refreshed, sql } = await recorded(() => client.refreshTokenGrant(dnevnik.config, tokens.refresh_token as string));
    assert.equal((refreshed.claims()?.role as { kind: string } | undefined)?.kind, 'parent', 'the new ID token carries the grant role');
    const reads = grantReads(sql);
    assert.equal(reads.length, 1, `expected one read of the grant's roles, got:\n${sql.join('\n')}`);
    assert.match(reads[0] as string, /from "oidc_payloads" as "session_record"/);
    readsSessionOnce(sql);
  });

  test('introspection: one query for session and grant', async () => {
    const { tokens } = await passwordLogin(propusk.issuer, dnevnik, parent.email as string);
    const { result: introspected, sql } = await recorded(() => client.tokenIntrospection(dnevnik.config, tokens.access_token, { token_type_hint: 'access_token' }));
    assert.equal(introspected.active, true);
    const reads = grantReads(sql);
    assert.equal(reads.length, 1, `expected one read of the grant, got:\n${sql.join('\n')}`);
    assert.match(reads[0] as string, /from "oidc_payloads" as "session_record"/);
    readsSessionOnce(sql);
    // oidc-provider looks the value up as an AccessToken and as a ClientCredentials token at once; one statement reads both.
    const tokenReads = sql.filter((text) => text.startsWith('select * from "oidc_payloads" where "id" = ?'));
    assert.equal(tokenReads.length, 1, `expected one read of the token, got:\n${sql.join('\n')}`);
    assert.match(tokenReads[0] as string, /"model" in \(\?, \?\)/);
  });

  test('userinfo: a deleted grant rejects the token', async () => {
    const { tokens } = await passwordLogin(propusk.issuer, dnevnik, parent.email as string);
    const db = propusk.runtime.store.db;
    const grants = await db.selectFrom('oidc_payloads').select(['id', 'payload']).where('model', '=', 'Grant').execute();
    const sub = tokens.claims()?.sub as string;
    const grant = grants.find((row) => (JSON.parse(row.payload) as { accountId?: string }).accountId === sub);
    assert.ok(grant, 'the login stored a grant');
    await db.deleteFrom('oidc_payloads').where('model', '=', 'Grant').execute();
    await assert.rejects(() => client.fetchUserInfo(dnevnik.config, tokens.access_token, sub), (error: Error & { status?: number; code?: string }) => {
      assert.equal(error.status ?? (error as { cause?: { status?: number } }).cause?.status, 401, String(error));
      return true;
    });
  });
});
