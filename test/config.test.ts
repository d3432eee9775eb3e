import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../src/config/load.js';
import { ConfigError } from '../src/errors/index.js';

describe('configuration', () => {
  test('defaults for the demo', () => {
    const config = loadConfig({});
    assert.equal(config.port, 3000);
    assert.equal(config.issuer, 'http://localhost:3000');
    assert.equal(config.demo, true);
    assert.equal(config.databaseUrl, undefined);
  });

  test('issuer follows PORT and drops a trailing slash', () => {
    assert.equal(loadConfig({ PORT: '8080' }).issuer, 'http://localhost:8080');
    assert.equal(loadConfig({ PROPUSK_ISSUER: 'https://login.example/' }).issuer, 'https://login.example');
  });

  test('invalid values name the variable', () => {
    assert.throws(() => loadConfig({ PORT: 'eighty' }), (error: unknown) => error instanceof ConfigError && /PORT/.test(error.message));
    assert.throws(() => loadConfig({ DATABASE_URL: 'mysql://x' }), /DATABASE_URL: must start with postgres/);
    assert.throws(() => loadConfig({ PROPUSK_MASTER_KEY: 'short' }), /PROPUSK_MASTER_KEY/);
  });

  test('every problem is reported at once', () => {
    assert.throws(() => loadConfig({ PORT: '0', LOG_LEVEL: 'loud' }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /PORT/);
      assert.match(error.message, /LOG_LEVEL/);
      return true;
    });
  });

  test('production turns the demo off and demands https', () => {
    assert.throws(() => loadConfig({ NODE_ENV: 'production' }), /PROPUSK_ISSUER: must be an https URL/);
    const config = loadConfig({ NODE_ENV: 'production', PROPUSK_ISSUER: 'https://login.example', PROPUSK_DEMO: 'true' });
    assert.equal(config.demo, false);
  });

  test('production with PostgreSQL needs a master key', () => {
    assert.throws(
      () => loadConfig({ NODE_ENV: 'production', PROPUSK_ISSUER: 'https://login.example', DATABASE_URL: 'postgres://db/propusk' }),
      /PROPUSK_MASTER_KEY: required/,
    );
  });
});

describe('configuration docs', () => {
  test('docs/configuration.md matches the schema', async () => {
    const { readFileSync } = await import('node:fs');
    const { renderConfigurationDocs } = await import('../src/config/docs.js');
    const onDisk = readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8');
    assert.equal(onDisk, renderConfigurationDocs(), 'run `npm run docs:config`');
  });
});
