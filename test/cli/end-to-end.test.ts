/**
 * The built executable as a user runs it: a fresh HOME with nothing set up,
 * add → find -w → delete on the default keychain.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { makeHome } from './helpers.js';

// dist/test/cli/end-to-end.test.js → dist/src/cli/bin.js
const BIN = fileURLToPath(new URL('../../src/cli/bin.js', import.meta.url));

test('secitem add → find -w → delete works on a fresh HOME with no set-up', (t) => {
  const home = makeHome();
  t.after(() => home.cleanup());
  const env = { PATH: process.env.PATH ?? '', HOME: home.env.HOME, XDG_DATA_HOME: home.env.XDG_DATA_HOME };
  const secitem = (...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { env, cwd: home.dir, encoding: 'utf8' });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  assert.deepEqual(secitem('add-generic-password', '-s', 'e2e.example', '-a', 'ci', '-w', 's3cr3t'), {
    code: 0,
    stdout: '',
    stderr: '',
  });
  assert.ok(existsSync(home.defaultKeychain), 'the default keychain was created under XDG_DATA_HOME');
  assert.deepEqual(secitem('find-generic-password', '-s', 'e2e.example', '-w'), {
    code: 0,
    stdout: 's3cr3t\n',
    stderr: '',
  });
  const del = secitem('delete-generic-password', '-s', 'e2e.example', '-a', 'ci');
  assert.equal(del.code, 0);
  assert.ok(del.stdout.startsWith(`keychain: "${home.defaultKeychain}"\nversion: 512\nclass: "genp"\nattributes:\n`));
  assert.equal(del.stderr, 'password has been deleted.\n');
  assert.deepEqual(secitem('find-generic-password', '-s', 'e2e.example', '-w'), {
    code: 44,
    stdout: '',
    stderr: 'secitem: SecKeychainSearchCopyNext: The specified item could not be found in the keychain.\n',
  });
});

test('without XDG_DATA_HOME the default keychain is ~/.local/share/secitem/login.keychain-db', (t) => {
  const home = makeHome();
  t.after(() => home.cleanup());
  const env = { PATH: process.env.PATH ?? '', HOME: home.env.HOME };
  const r = spawnSync(process.execPath, [BIN, 'add-generic-password', '-s', 's', '-a', 'a', '-w', 'p'], {
    env,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(existsSync(`${home.dir}/.local/share/secitem/login.keychain-db`));
});
