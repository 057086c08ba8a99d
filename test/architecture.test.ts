/**
 * The layers of src/, lowest first: no module imports from a layer above
 * its own (ARCHITECTURE.md: nothing flows backwards).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { repoFile } from './helpers.js';

const SRC = repoFile('src');

/** Layer of a module (path from src/), by file first, then by folder. */
const layers: [prefix: string, rank: number][] = [
  ['status.ts', 0],
  ['constants.ts', 0],
  ['types.ts', 0],
  ['schema/protection.ts', 0],
  ['schema/', 1],
  ['crypto/', 2],
  ['dictionary/', 3],
  ['access/', 3],
  ['results/', 3],
  ['objects/', 3],
  ['enclave/', 3],
  ['store/', 4],
  ['secitem/', 5],
  ['daemon/', 6],
  ['index.ts', 6],
  ['cli/', 7],
  // The bridges (keytar, keyring, git's credential helper) share the CLI's default keychain; the CLI runs the credential helper.
  ['bridges/', 7],
];

function rankOf(path: string): number {
  const hit = layers.find(([prefix]) => (prefix.endsWith('/') ? path.startsWith(prefix) : path === prefix));
  assert.ok(hit, `${path} has no layer: add it to test/architecture.test.ts`);
  return hit[1];
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('architecture', () => {
  it('no module of src/ imports from a layer above its own', () => {
    const violations: string[] = [];
    for (const file of sources(SRC)) {
      const from = relative(SRC, file);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:import|export)[^'"]*?from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g)) {
        const spec = (m[1] ?? m[2])!;
        const to = relative(SRC, resolve(dirname(file), spec)).replace(/\.js$/, '.ts');
        if (rankOf(to) > rankOf(from)) violations.push(`${from} → ${to}`);
      }
    }
    assert.deepEqual(violations, []);
  });

  it('index.ts only re-exports', () => {
    const text = readFileSync(join(SRC, 'index.ts'), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
    for (const line of text.split('\n').filter((l) => l.trim() !== '')) assert.match(line, /^\s*(export\b|[A-Za-z_$][\w$]*,?$|\}\s*from\b)/, line);
  });
});
