import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../../src/storage/schema.js';
import { TestBrowser } from './browser.js';

/** oidc-provider's session cookie over http (see providerCookieNames), and its signature cookie. */
export const SESSION_COOKIE = 'propusk-session';
const SIGNATURE_SUFFIX = '.sig';

export interface SessionCookie {
  value: string;
  signature: string;
}

/** Return the browser's session cookie, which must be there. */
export function sessionCookie(browser: TestBrowser): SessionCookie {
  const value = browser.cookie(SESSION_COOKIE);
  const signature = browser.cookie(`${SESSION_COOKIE}${SIGNATURE_SUFFIX}`);
  assert.ok(value !== undefined, 'the browser has a session cookie');
  assert.ok(signature !== undefined, 'the session cookie is signed');
  return { value, signature };
}

/** Create a fresh browser whose only cookie is a copy of this session cookie, as a thief would have. */
export function browserWithSessionCookie(issuer: string, cookie: SessionCookie): TestBrowser {
  const browser = new TestBrowser(issuer);
  browser.setCookie(SESSION_COOKIE, cookie.value);
  browser.setCookie(`${SESSION_COOKIE}${SIGNATURE_SUFFIX}`, cookie.signature);
  return browser;
}

/** Check whether the browser is signed in: the home page then greets the person. */
export async function isSignedIn(browser: TestBrowser): Promise<boolean> {
  const home = await browser.request('/');
  assert.equal(home.status, 200);
  return /Здравствуйте, /.test(home.body);
}


/** Return the Propusk id of a demo person, found by external id. */
export async function personIdOf(db: Kysely<DatabaseSchema>, externalId: string): Promise<string> {
  const row = await db.selectFrom('people').select('id').where('external_id', '=', externalId).executeTakeFirstOrThrow();
  return row.id;
}

/** Return the uid of the session behind the browser's session cookie, which must exist on the server. */
export async function sessionUidOf(db: Kysely<DatabaseSchema>, browser: TestBrowser): Promise<string> {
  const row = await db
    .selectFrom('oidc_payloads')
    .select('uid')
    .where('model', '=', 'Session')
    .where('id', '=', sessionCookie(browser).value)
    .executeTakeFirst();
  assert.ok(row !== undefined, 'the session cookie names a stored session');
  assert.ok(row.uid !== null, 'the stored session has a uid');
  return row.uid;
}

/** Check whether a session record with this id (the session cookie's value) is stored. */
export async function sessionStored(db: Kysely<DatabaseSchema>, sessionId: string): Promise<boolean> {
  const row = await db.selectFrom('oidc_payloads').select('id').where('model', '=', 'Session').where('id', '=', sessionId).executeTakeFirst();
  return row !== undefined;
}
