import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const SRC = new URL('../src', import.meta.url).pathname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? sourceFiles(full) : full.endsWith('.ts') ? [full] : [];
  });
}

test('only src/oidc imports oidc-provider', () => {
  const offenders = sourceFiles(SRC)
    .filter((file) => !file.startsWith(path.join(SRC, 'oidc') + path.sep))
    .filter((file) => /from 'oidc-provider'|import\('oidc-provider'\)/.test(readFileSync(file, 'utf8')))
    .map((file) => path.relative(SRC, file));
  assert.deepEqual(offenders, []);
});

test('source files stay small', () => {
  const large = sourceFiles(SRC)
    .map((file) => ({ file: path.relative(SRC, file), lines: readFileSync(file, 'utf8').split('\n').length }))
    .filter((entry) => entry.lines > 250);
  assert.deepEqual(large, []);
});
