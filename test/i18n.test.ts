import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { en } from '../src/i18n/catalogues/en.js';
import { ru } from '../src/i18n/catalogues/ru.js';
import { negotiateLocale } from '../src/i18n/locales.js';
import { translator } from '../src/i18n/translate.js';

const placeholders = (text: string): string[] => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string).sort();

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? sourceFiles(full) : full.endsWith('.ts') ? [full] : [];
  });
}

describe('message catalogues', () => {
  test('every Russian key exists in English', () => {
    const missing = Object.keys(ru).filter((key) => !Object.hasOwn(en, key));
    assert.deepEqual(missing, []);
  });

  test('every English key exists in Russian', () => {
    const extra = Object.keys(en).filter((key) => !Object.hasOwn(ru, key));
    assert.deepEqual(extra, []);
  });

  test('no message is empty', () => {
    for (const [key, text] of [...Object.entries(ru), ...Object.entries(en)]) {
      assert.ok(text.trim().length > 0, `empty message ${key}`);
    }
  });

  test('placeholders match between languages', () => {
    for (const key of Object.keys(ru) as Array<keyof typeof ru>) {
      assert.deepEqual(placeholders(en[key]), placeholders(ru[key]), `placeholders of ${key}`);
    }
  });

  test('keys used in source exist in catalogues', () => {
    const root = new URL('../src', import.meta.url).pathname;
    const used = new Set<string>();
    for (const file of sourceFiles(root)) {
      for (const match of readFileSync(file, 'utf8').matchAll(/\bt\('([a-z_]+\.[a-z_.]+)'/g)) {
        used.add(match[1] as string);
      }
    }
    assert.ok(used.size > 20, `found only ${used.size} keys in source`);
    const unknown = [...used].filter((key) => !Object.hasOwn(ru, key));
    assert.deepEqual(unknown, []);
  });

  test('translator fills placeholders', () => {
    assert.equal(translator('ru')('home.greeting', { name: 'Мария' }), 'Здравствуйте, Мария!');
    assert.equal(translator('en')('home.greeting', { name: 'Maria' }), 'Hello, Maria!');
  });
});

describe('locale negotiation', () => {
  test('ui_locales wins over Accept-Language', () => {
    assert.equal(negotiateLocale('en ru', 'ru-RU,ru;q=0.9'), 'en');
  });

  test('first supported ui_locales entry is used', () => {
    assert.equal(negotiateLocale('de fr en', 'ru'), 'en');
  });

  test('Accept-Language by q-value', () => {
    assert.equal(negotiateLocale(undefined, 'de;q=1, en;q=0.8, ru;q=0.5'), 'en');
    assert.equal(negotiateLocale(undefined, 'en;q=0.3, ru-RU;q=0.9'), 'ru');
  });

  test('Russian by default', () => {
    assert.equal(negotiateLocale(undefined, undefined), 'ru');
    assert.equal(negotiateLocale('<script>', 'zz, *;q=0.1'), 'ru');
  });
});
