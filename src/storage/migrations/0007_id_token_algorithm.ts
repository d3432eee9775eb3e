import type { DialectMigration } from './dialect-migration.js';

/*
 * The JWS algorithm of each service's ID tokens and logout tokens. Services
 * stored before this migration get RS256, which they were signed with until
 * then and which OpenID Connect Dynamic Client Registration 1.0 makes the
 * default.
 */
export const idTokenAlgorithmMigration: DialectMigration = {
  async up(db) {
    await db.schema
      .alterTable('services')
      .addColumn('id_token_signed_response_alg', 'text', (column) => column.notNull().defaultTo('RS256'))
      .execute();
  },
};
