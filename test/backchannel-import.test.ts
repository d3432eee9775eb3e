// The import field backchannel_logout_uri: optional, and checked like the
// redirect URIs (absolute, no fragment, no credentials, https or loopback http).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { serviceSchema } from '../src/importer/format.js';

const SERVICE = {
  client_id: 'dnevnik',
  client_secret: 'a-secret-of-at-least-thirty-two-characters',
  display_name: 'Дневник',
  home_url: 'https://dnevnik.school.example/',
  redirect_uris: ['https://dnevnik.school.example/callback'],
  grant_types: ['authorization_code'],
  accepted_role_kinds: ['parent'],
};

function parseUri(value: unknown) {
  return serviceSchema.safeParse({ ...SERVICE, backchannel_logout_uri: value });
}

test('back-channel logout URI is optional', () => {
  const absent = serviceSchema.parse(SERVICE);
  assert.equal(absent.backchannel_logout_uri, null);
  assert.equal(serviceSchema.parse({ ...SERVICE, backchannel_logout_uri: null }).backchannel_logout_uri, null);
});

test('back-channel logout URI accepts https and loopback http', () => {
  for (const uri of ['https://dnevnik.school.example/backchannel-logout?tenant=57', 'http://localhost:3001/dnevnik/backchannel-logout', 'http://127.0.0.1:8080/logout', 'http://[::1]/logout']) {
    const result = parseUri(uri);
    assert.ok(result.success, `${uri} rejected`);
    assert.equal(result.data.backchannel_logout_uri, uri);
  }
});

test('back-channel logout URI rejects unsafe values', () => {
  const cases: Array<[unknown, RegExp]> = [
    ['http://dnevnik.school.example/logout', /must use https/],
    ['https://dnevnik.school.example/logout#top', /must not contain a fragment/],
    ['/backchannel-logout', /must be an absolute URI/],
    ['https://user:secret@dnevnik.school.example/logout', /must not contain a user name or password/],
    [42, /expected string/i],
  ];
  for (const [value, message] of cases) {
    const result = parseUri(value);
    assert.ok(!result.success, `${String(value)} accepted`);
    const issue = result.error.issues[0];
    assert.deepEqual(issue?.path, ['backchannel_logout_uri']);
    assert.match(issue?.message ?? '', message);
  }
});

test('documented example registers a back-channel logout URI', () => {
  const example = JSON.parse(readFileSync(new URL('../docs/examples/import.example.json', import.meta.url), 'utf8')) as { services: unknown[] };
  const parsed = example.services.map((service) => serviceSchema.parse(service));
  assert.equal(parsed[0]?.backchannel_logout_uri, 'https://dnevnik.school.example/backchannel-logout');
  assert.equal(parsed[1]?.backchannel_logout_uri, null);
});
