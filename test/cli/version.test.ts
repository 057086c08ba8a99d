/**
 * `secitem --version` and `-V`: `secitem <version>` from package.json on
 * stdout, exit 0, in-process and from the executable.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { makeHome, run } from './helpers.js';

// dist/test/cli/version.test.js → package.json, dist/src/cli/bin.js
const PACKAGE = fileURLToPath(new URL('../../../package.json', import.meta.url));
const BIN = fileURLToPath(new URL('../../src/cli/bin.js', import.meta.url));
const version = (JSON.parse(readFileSync(PACKAGE, 'utf8')) as { version: string }).version;

test('--version and -V print "secitem <package.json version>" on stdout and exit 0, whatever follows', async (t) => {
  const home = makeHome();
  t.after(() => home.cleanup());
  for (const argv of [['--version'], ['-V'], ['-q', '--version'], ['--version', 'find-generic-password', '-s', 'x']]) {
    assert.deepEqual(await run(home, ...argv), { code: 0, stdout: `secitem ${version}\n`, stderr: '', stdoutBytes: Buffer.from(`secitem ${version}\n`) }, argv.join(' '));
  }
});

test('--version=x, and --version after the command name, are not the version option', async (t) => {
  const home = makeHome();
  t.after(() => home.cleanup());
  const valued = await run(home, '--version=x');
  assert.equal(valued.code, 2);
  assert.ok(valued.stdout.startsWith('Usage: secitem '));
  const late = await run(home, 'list-keychains', '--version');
  assert.equal(late.code, 2);
  assert.ok(late.stderr.startsWith('Usage: list-keychains '));
});

test('the executable prints the same line', (t) => {
  const home = makeHome();
  t.after(() => home.cleanup());
  const r = spawnSync(process.execPath, [BIN, '--version'], { env: { PATH: process.env.PATH ?? '', ...home.env }, encoding: 'utf8' });
  assert.deepEqual([r.status, r.stdout, r.stderr], [0, `secitem ${version}\n`, '']);
});
