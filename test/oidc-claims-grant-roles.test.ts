import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { createFindAccount } from '../src/oidc/accounts.js';
import type { ClientDirectory } from '../src/oidc/clients.js';
import { createRequestFacts, type RequestFacts } from '../src/oidc/request-facts.js';
import type { GrantRoles } from '../src/storage/grant-with-roles.js';
import type { IdentifierCipher } from '../src/storage/identifier-cipher.js';
import type { DatabaseSchema } from '../src/storage/schema.js';
import type { PersonProfile } from '../src/storage/types.js';

/*
 * The claims of a token or userinfo request take the roles that the grant
 * lookup of the same request read (src/oidc/grant-roles-read.ts), so they run
 * no roles query. The database here has no tables: any query fails.
 */
describe('claims with the roles of the grant lookup', () => {
  const database = new BetterSqlite3(':memory:');
  const db = new Kysely<DatabaseSchema>({ dialect: new SqliteDialect({ database }) });
  after(async () => db.destroy());

  const person: PersonProfile = {
    id: 'person-1',
    externalId: 'teacher-1',
    familyName: 'Иванова',
    givenName: 'Мария',
    middleName: 'Петровна',
    birthdate: null,
    status: 'active',
    createdAt: 0,
    updatedAt: 0,
  };
  const teacher = {
    id: 'role-teacher',
    personId: person.id,
    kind: 'teacher' as const,
    organizationId: null,
    className: null,
    position: null,
    organizationName: null,
    organizationShortName: null,
    createdAt: 1,
  };
  const clients: ClientDirectory = {
    metadata: async () => undefined,
    profile: async (clientId) => ({ clientId, displayName: 'Журнал', homeUrl: 'http://127.0.0.1:9/', acceptedRoleKinds: ['teacher'] }),
  };
  const identifiers = {} as IdentifierCipher;
  const ctx = { oidc: { entities: {} } } as never;
  const token = { grantId: 'grant-1', clientId: 'zhurnal' } as never;

  function facts(grantRoles: GrantRoles | undefined): RequestFacts {
    return {
      ...createRequestFacts(),
      takePerson: (_ctx, personId) => (personId === person.id ? person : undefined),
      takeGrantRoles: (_ctx, grantId, personId) => (grantId === 'grant-1' && personId === grantRoles?.personId ? grantRoles : undefined),
    };
  }

  test('roles read with the grant: role and roles claims, no query', async () => {
    const findAccount = createFindAccount(db, identifiers, clients, facts({ personId: person.id, grantRoleId: teacher.id, roles: [teacher] }));
    const account = await findAccount(ctx, person.id, token);
    const claims = await account?.claims('userinfo', 'openid roles', {}, []);
    assert.equal((claims?.role as { id: string } | undefined)?.id, teacher.id);
    assert.deepEqual((claims?.roles as Array<{ id: string }> | undefined)?.map((role) => role.id), [teacher.id]);
  });

  test('roles read for another person are not used', async () => {
    const findAccount = createFindAccount(db, identifiers, clients, facts({ personId: 'someone-else', grantRoleId: teacher.id, roles: [teacher] }));
    const account = await findAccount(ctx, person.id, token);
    // Without them the claims read the roles, which this database cannot.
    await assert.rejects(async () => account?.claims('userinfo', 'openid roles', {}, []), /no such table/);
  });

  test('outside a provider request nothing is kept', () => {
    const requestFacts = createRequestFacts();
    requestFacts.rememberGrantRoles('grant-1', { personId: person.id, grantRoleId: null, roles: [] });
    assert.equal(requestFacts.takeGrantRoles(ctx, 'grant-1', person.id), undefined);
  });
});
