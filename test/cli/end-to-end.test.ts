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

/** A fresh HOME, removed after the test, and the built executable run in it. */
function executableIn(t: { after(fn: () => void): void }) {
  const home = makeHome();
  t.after(() => home.cleanup());
  const env = { PATH: process.env.PATH ?? '', ...home.env };
  const secitem = (...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { env, cwd: home.dir, encoding: 'utf8' });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  return { home, env, secitem };
}

test('secitem add → find -w → delete works on a fresh HOME with no set-up', (t) => {
  const { home, secitem } = executableIn(t);

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
  assert.equal(secitem('add-generic-password', '-U', '-s', 'e2e.example', '-a', 'ci', '-w', 'n3w').code, 0);
  assert.equal(secitem('find-generic-password', '-s', 'e2e.example', '-w').stdout, 'n3w\n');
  const dump = secitem('dump-keychain', '-d');
  assert.equal(dump.code, 0);
  assert.ok(dump.stdout.startsWith(`keychain: "${home.defaultKeychain}"\nversion: 512\nclass: "genp"\n`));
  assert.ok(dump.stdout.endsWith('data:\n"n3w"\n'));
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

test('a keychain with a password, as a CI script uses it: create, add, find -w, -U, dump, lock, 36, unlock, delete', (t) => {
  const home = makeHome();
  t.after(() => home.cleanup());
  const base = { PATH: process.env.PATH ?? '', ...home.env };
  const secitem = (env: Record<string, string>, input: string | undefined, ...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], {
      env: { ...base, ...env },
      cwd: home.dir,
      encoding: 'utf8',
      input: input ?? '',
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const unlocked = { SECITEM_KEYCHAIN_PASSWORD: 'ci-päss' };

  assert.deepEqual(secitem({}, 'ci-päss\nci-päss\n', 'create-keychain', 'build.keychain'), {
    code: 0,
    stdout: '',
    stderr: 'password for new keychain: retype password for new keychain: ',
  });
  assert.deepEqual(secitem(unlocked, undefined, 'add-generic-password', '-s', 'deploy', '-a', 'bot', '-w', 'v1', 'build.keychain'), {
    code: 0, stdout: '', stderr: '',
  });
  assert.deepEqual(secitem(unlocked, undefined, 'find-generic-password', '-s', 'deploy', '-w', 'build.keychain'), {
    code: 0, stdout: 'v1\n', stderr: '',
  });
  assert.equal(secitem(unlocked, undefined, 'add-generic-password', '-U', '-s', 'deploy', '-a', 'bot', '-w', 'v2', 'build.keychain').code, 0);
  const dump = secitem(unlocked, undefined, 'dump-keychain', '-d', 'build.keychain');
  assert.equal(dump.code, 0, dump.stderr);
  assert.ok(dump.stdout.includes('    "svce"<blob>="deploy"\n'));
  assert.ok(dump.stdout.endsWith('data:\n"v2"\n'));
  assert.deepEqual(secitem({}, undefined, 'lock-keychain', 'build.keychain'), { code: 0, stdout: '', stderr: '' });
  assert.deepEqual(secitem({}, undefined, 'find-generic-password', '-s', 'deploy', '-w', 'build.keychain'), {
    code: 36,
    stdout: '',
    stderr: 'secitem: SecKeychainSearchCopyNext: User interaction is not allowed.\n',
  });
  assert.deepEqual(secitem({}, undefined, 'unlock-keychain', '-p', 'wrong', 'build.keychain'), {
    code: 51,
    stdout: '',
    stderr: 'secitem: SecKeychainUnlock build.keychain: The user name or passphrase you entered is not correct.\n',
  });
  assert.deepEqual(secitem({}, 'ci-päss\n', 'unlock-keychain', 'build.keychain'), {
    code: 0, stdout: '', stderr: 'password to unlock build.keychain: ',
  });
  const del = secitem(unlocked, undefined, 'delete-generic-password', '-s', 'deploy', 'build.keychain');
  assert.equal(del.code, 0);
  assert.equal(del.stderr, 'password has been deleted.\n');
  assert.equal(secitem(unlocked, undefined, 'find-generic-password', '-s', 'deploy', 'build.keychain').code, 44);
  assert.deepEqual(secitem({}, undefined, 'delete-keychain', 'build.keychain'), { code: 0, stdout: '', stderr: '' });
  assert.equal(secitem({}, undefined, 'list-keychains').stdout, `    "${home.defaultKeychain}"\n`);
});

test('without XDG_DATA_HOME the default keychain is ~/.local/share/secitem/login.keychain-db', (t) => {
  const home = makeHome();
  t.after(() => home.cleanup());
  const env = { PATH: process.env.PATH ?? '', HOME: home.env.HOME, XDG_CONFIG_HOME: home.env.XDG_CONFIG_HOME };
  const r = spawnSync(process.execPath, [BIN, 'add-generic-password', '-s', 's', '-a', 'a', '-w', 'p'], {
    env,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(existsSync(`${home.dir}/.local/share/secitem/login.keychain-db`));
});

test('the executable loads each group of commands: help, error, item, and usage from a command loaded on first use', (t) => {
  const { home, secitem } = executableIn(t);
  const help = secitem('help');
  assert.equal(help.code, 0);
  assert.ok(help.stdout.startsWith('    help                                 Show all commands, or show usage for a command.\n'));
  assert.deepEqual(secitem('error', '-25300'), {
    code: 1,
    stdout: 'Error: 0xFFFF9D2C -25300 The specified item could not be found in the keychain.\n',
    stderr: '',
  });
  assert.equal(secitem('item', '-a', '-d', 's3cr3t', 'class=genp,svce=e2e,acct=me').code, 0);
  const listed = secitem('item', '-j', '-g', 'class=genp,svce=e2e');
  assert.equal(listed.code, 0, listed.stderr);
  assert.equal(JSON.parse(listed.stdout).v_Data.base64, Buffer.from('s3cr3t').toString('base64'));
  const missing = secitem('item', 'class=genp,svce=none');
  assert.deepEqual([missing.code, missing.stderr], [44, 'secitem: SecItemCopyMatching: The specified item could not be found in the keychain.\n']);
  const usage = secitem('unlock-keychain', '-Z');
  assert.equal(usage.code, 2);
  assert.ok(usage.stderr.startsWith('Usage: unlock-keychain [-hu] [-p password] [keychain]\n'));
  const four = secitem('find-generic-password', '-c', 'abc');
  assert.deepEqual([four.code, four.stderr], [1, 'Error: four-character types must be exactly 4 characters long.\n(Try "abc " instead of "abc")\n']);
});
