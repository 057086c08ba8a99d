/**
 * Golden tests for the keychain-file commands: create-, delete-, lock-,
 * unlock-keychain, list-/default-/login-keychain, set-keychain-password,
 * set-keychain-settings, show-keychain-info, and the lock state of a
 * keychain with a password across invocations (SECITEM_KEYCHAIN_PASSWORD,
 * exit 36 without a terminal). Passworded keychains cost a KDF per open, so
 * one is shared per suite.
 */
import assert from 'node:assert/strict';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeHome, run, runWith } from './helpers.js';
import type { Home } from './helpers.js';

const AUTH_FAILED = 'The user name or passphrase you entered is not correct.';
const NO_SUCH_KEYCHAIN = 'The specified keychain could not be found.';

describe('search list, default and login keychain (no passwords)', () => {
  let home: Home;
  let kcDir: string;
  before(() => {
    home = makeHome();
    kcDir = join(home.dir, 'data', 'secitem');
  });
  after(() => home.cleanup());

  test('fresh HOME: the search list, default and login keychain are the built-in default keychain', async () => {
    for (const cmd of ['list-keychains', 'default-keychain', 'login-keychain']) {
      const r = await run(home, cmd);
      assert.deepEqual([r.code, r.stdout, r.stderr], [0, `    "${home.defaultKeychain}"\n`, ''], cmd);
    }
    assert.equal(existsSync(home.defaultKeychain), false, 'listing does not create it');
    const sys = await run(home, 'list-keychains', '-d', 'system');
    assert.deepEqual([sys.code, sys.stdout], [0, '']);
  });

  test('create-keychain -p "" makes a keychain without a password, in the keychain directory, on the search list', async () => {
    const r = await run(home, 'create-keychain', '-p', '', 'one.keychain', 'two.keychain-db');
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', '']);
    assert.ok(existsSync(join(kcDir, 'one.keychain-db')), '.keychain becomes .keychain-db');
    assert.equal(statSync(join(kcDir, 'two.keychain-db')).mode & 0o777, 0o600);
    const list = await run(home, 'list-keychains');
    assert.equal(
      list.stdout,
      `    "${home.defaultKeychain}"\n    "${join(kcDir, 'one.keychain-db')}"\n    "${join(kcDir, 'two.keychain-db')}"\n`,
    );
  });

  test('create-keychain on an existing keychain: errSecDuplicateKeychain, exit 48', async () => {
    const r = await run(home, 'create-keychain', '-p', 'x', 'one.keychain');
    assert.deepEqual(
      [r.code, r.stdout, r.stderr],
      [48, '', 'secitem: SecKeychainCreate one.keychain: A keychain with the same name already exists.\n'],
    );
  });

  test('create-keychain without a name, or with an unknown option: usage, exit 2', async () => {
    const usage =
      'Usage: create-keychain [-hP] [-p password] [keychain...]\n' +
      '    -p  Use "password" as the password for the keychains being created\n' +
      '    -P  Prompt the user for a password (on the terminal, as without -p)\n' +
      'Use of the -p option is insecure\n' +
      '        Create keychains and add them to the search list.\n';
    for (const argv of [[], ['-p', 'secretpw'], ['-Z', 'x.keychain']]) {
      const r = await run(home, 'create-keychain', ...argv);
      assert.deepEqual([r.code, r.stdout, r.stderr], [2, '', usage], argv.join(' '));
    }
  });

  test('list-keychains -s sets the list (no args: empty); -d with a bad domain is a usage error', async () => {
    assert.equal((await run(home, 'list-keychains', '-s', 'two.keychain-db', 'one.keychain')).code, 0);
    assert.equal(
      (await run(home, 'list-keychains')).stdout,
      `    "${join(kcDir, 'two.keychain-db')}"\n    "${join(kcDir, 'one.keychain-db')}"\n`,
    );
    assert.deepEqual(await run(home, 'list-keychains', '-s'), { code: 0, stdout: '', stderr: '', stdoutBytes: Buffer.alloc(0) });
    assert.equal((await run(home, 'list-keychains')).stdout, '');
    const bad = await run(home, 'list-keychains', '-d', 'galaxy');
    assert.equal(bad.code, 2);
    assert.ok(bad.stderr.startsWith('Usage: list-keychains [-h] [-d user|system|common|dynamic] [-s [keychain...]]\n'));
    await run(home, 'list-keychains', '-s', home.defaultKeychain, 'one.keychain', 'two.keychain-db');
  });

  test('find with no keychain searches the search list in order', async () => {
    await run(home, 'add-generic-password', '-s', 'listed', '-a', 'a', '-w', 'in-two', 'two.keychain-db');
    const r = await run(home, 'find-generic-password', '-s', 'listed', '-g');
    assert.equal(r.code, 0);
    assert.ok(r.stdout.startsWith(`keychain: "${join(kcDir, 'two.keychain-db')}"\n`));
    assert.equal(r.stderr, 'password: "in-two"\n');
  });

  test('default-keychain -s changes where add-* without a keychain goes; -s alone restores the built-in one', async () => {
    assert.equal((await run(home, 'default-keychain', '-s', 'one.keychain')).code, 0);
    assert.equal((await run(home, 'default-keychain')).stdout, `    "${join(kcDir, 'one.keychain-db')}"\n`);
    assert.equal((await run(home, 'add-generic-password', '-s', 'dflt', '-a', 'a', '-w', 'pw')).code, 0);
    assert.equal((await run(home, 'find-generic-password', '-s', 'dflt', '-w', 'one.keychain')).stdout, 'pw\n');
    const dup = await run(home, 'add-generic-password', '-s', 'dflt', '-a', 'a', '-w', 'pw');
    assert.deepEqual(
      [dup.code, dup.stderr],
      [45, 'secitem: SecKeychainItemCreateFromContent (<default>): The specified item already exists in the keychain.\n'],
    );
    assert.equal((await run(home, 'default-keychain', '-s')).code, 0);
    assert.equal((await run(home, 'default-keychain')).stdout, `    "${home.defaultKeychain}"\n`);
    assert.equal((await run(home, 'login-keychain', '-s', 'two.keychain-db')).code, 0);
    assert.equal((await run(home, 'login-keychain')).stdout, `    "${join(kcDir, 'two.keychain-db')}"\n`);
    const none = await run(home, 'default-keychain', '-d', 'system');
    assert.deepEqual([none.code, none.stderr], [37, 'secitem: SecKeychainCopyDomainDefault: A default keychain could not be found.\n']);
  });

  test('set-keychain-settings is stored and show-keychain-info prints it on stderr', async () => {
    const fresh = await run(home, 'show-keychain-info', 'one.keychain');
    assert.deepEqual([fresh.code, fresh.stdout, fresh.stderr], [0, '', 'Keychain "one.keychain" no-timeout\n']);
    assert.equal((await run(home, 'set-keychain-settings', '-lu', '-t', '300', 'one.keychain')).code, 0);
    assert.equal(
      (await run(home, 'show-keychain-info', 'one.keychain')).stderr,
      'Keychain "one.keychain" lock-on-sleep use-lock-interval timeout=300s\n',
    );
    // No -t: no timeout, and -u is dropped.
    await run(home, 'set-keychain-settings', '-u', 'one.keychain');
    assert.equal((await run(home, 'show-keychain-info', 'one.keychain')).stderr, 'Keychain "one.keychain" no-timeout\n');
    await run(home, 'add-generic-password', '-s', 'x', '-a', 'y');
    assert.equal((await run(home, 'show-keychain-info')).stderr, 'Keychain "<NULL>" no-timeout\n');
    const missing = await run(home, 'show-keychain-info', 'nope.keychain');
    assert.deepEqual([missing.code, missing.stderr], [50, `secitem: SecKeychainCopySettings nope.keychain: ${NO_SUCH_KEYCHAIN}\n`]);
    const setMissing = await run(home, 'set-keychain-settings', '-t', '5', 'nope.keychain');
    assert.deepEqual([setMissing.code, setMissing.stderr], [50, `secitem: SecKeychainSetSettings nope.keychain: ${NO_SUCH_KEYCHAIN}\n`]);
  });

  test('delete-keychain removes the files and the list entry; a missing one is exit 50; a non-keychain is left alone', async () => {
    const r = await run(home, 'delete-keychain', 'two.keychain-db');
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', '']);
    for (const suffix of ['', '.devicekey', '-wal', '-shm']) assert.equal(existsSync(join(kcDir, `two.keychain-db${suffix}`)), false);
    assert.equal((await run(home, 'list-keychains')).stdout, `    "${home.defaultKeychain}"\n    "${join(kcDir, 'one.keychain-db')}"\n`);
    const again = await run(home, 'delete-keychain', 'two.keychain-db');
    assert.deepEqual([again.code, again.stdout, again.stderr], [50, '', `secitem: SecKeychainDelete: ${NO_SUCH_KEYCHAIN}\n`]);
    const notes = join(home.dir, 'notes.txt');
    writeFileSync(notes, 'keep me\n');
    const refused = await run(home, 'delete-keychain', notes);
    assert.deepEqual(
      [refused.code, refused.stderr],
      [-25295 & 0xff, 'secitem: SecKeychainDelete: The specified keychain is not a valid keychain file.\n'],
    );
    assert.ok(existsSync(notes));
    assert.equal((await run(home, 'delete-keychain')).code, 2, 'no keychain named: usage, never the default one');
  });
});

describe('a keychain with a password', () => {
  let home: Home;
  before(async () => {
    home = makeHome();
    const r = await run(home, 'create-keychain', '-p', 'kc-pässword', 'ci.keychain');
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => home.cleanup());
  const env = { SECITEM_KEYCHAIN_PASSWORD: 'kc-pässword' };

  test('create-keychain prompts twice on stderr and reads stdin lines when stdin is not a terminal', async () => {
    const r = await runWith(home, { stdin: 'typed-pw\ntyped-pw\n' }, 'create-keychain', 'prompted.keychain');
    assert.deepEqual(
      [r.code, r.stdout, r.stderr],
      [0, '', 'password for new keychain: retype password for new keychain: '],
    );
    const ok = await run(home, 'unlock-keychain', '-p', 'typed-pw', 'prompted.keychain');
    assert.equal(ok.code, 0);
    const mismatch = await runWith(home, { stdin: 'a\nb\n' }, 'create-keychain', 'never.keychain');
    assert.deepEqual(
      [mismatch.code, mismatch.stderr],
      [255, "password for new keychain: retype password for new keychain: passwords don't match\npassword for new keychain: "],
    );
    assert.equal((await run(home, 'delete-keychain', 'prompted.keychain')).code, 0);
  });

  test('without a password and without a terminal: locked, exit 36, nothing asked', async () => {
    const add = await run(home, 'add-generic-password', '-s', 'svc', '-a', 'acct', '-w', 'pw', 'ci.keychain');
    assert.deepEqual(
      [add.code, add.stdout, add.stderr],
      [36, '', 'secitem: SecKeychainItemCreateFromContent (ci.keychain): User interaction is not allowed.\n'],
    );
    const addInet = await run(home, 'add-internet-password', '-s', 'host', '-a', 'acct', 'ci.keychain');
    assert.deepEqual([addInet.code, addInet.stderr], [36, 'secitem: SecKeychainAddInternetPassword ci.keychain: User interaction is not allowed.\n']);
  });

  test('SECITEM_KEYCHAIN_PASSWORD unlocks for the call; a wrong one is exit 51 without echoing it', async () => {
    const add = await runWith(home, { env }, 'add-generic-password', '-s', 'svc', '-a', 'acct', '-w', 'wört', 'ci.keychain');
    assert.deepEqual([add.code, add.stderr], [0, '']);
    const find = await runWith(home, { env }, 'find-generic-password', '-s', 'svc', '-w', 'ci.keychain');
    assert.deepEqual([find.code, find.stdout, find.stderr], [0, '77c3b67274\n', '']);
    const locked = await run(home, 'find-generic-password', '-s', 'svc', '-w', 'ci.keychain');
    assert.deepEqual(
      [locked.code, locked.stdout, locked.stderr],
      [36, '', 'secitem: SecKeychainSearchCopyNext: User interaction is not allowed.\n'],
    );
    const wrong = await runWith(home, { env: { SECITEM_KEYCHAIN_PASSWORD: 'wrong-pw' } }, 'find-generic-password', '-s', 'svc', 'ci.keychain');
    assert.deepEqual([wrong.code, wrong.stdout, wrong.stderr], [51, '', `secitem: SecKeychainSearchCopyNext: ${AUTH_FAILED}\n`]);
  });

  test('unlock-keychain: -p right is silent; wrong is exit 51; missing keychain 50; prompt reads stdin; EOF is 255; -u needs a terminal', async () => {
    assert.deepEqual(await run(home, 'unlock-keychain', '-p', 'kc-pässword', 'ci.keychain'), {
      code: 0, stdout: '', stderr: '', stdoutBytes: Buffer.alloc(0),
    });
    const wrong = await run(home, 'unlock-keychain', '-p', 'nope-pw', 'ci.keychain');
    assert.deepEqual([wrong.code, wrong.stdout, wrong.stderr], [51, '', `secitem: SecKeychainUnlock ci.keychain: ${AUTH_FAILED}\n`]);
    const missing = await run(home, 'unlock-keychain', '-p', 'x', 'gone.keychain');
    assert.deepEqual([missing.code, missing.stderr], [50, `secitem: SecKeychainUnlock gone.keychain: ${NO_SUCH_KEYCHAIN}\n`]);
    const prompted = await runWith(home, { stdin: 'kc-pässword\n' }, 'unlock-keychain', 'ci.keychain');
    assert.deepEqual([prompted.code, prompted.stderr], [0, 'password to unlock ci.keychain: ']);
    const eof = await run(home, 'unlock-keychain', 'ci.keychain');
    assert.deepEqual([eof.code, eof.stderr], [255, 'password to unlock ci.keychain: ']);
    const u = await run(home, 'unlock-keychain', '-u', 'ci.keychain');
    assert.deepEqual([u.code, u.stderr], [36, 'secitem: SecKeychainUnlock ci.keychain: User interaction is not allowed.\n']);
    const verbose = await run(home, '-v', 'unlock-keychain', '-p', 'nope-pw', 'ci.keychain');
    assert.equal(verbose.stderr, `unlock-keychain "-p" "********" "ci.keychain"\nsecitem: SecKeychainUnlock ci.keychain: ${AUTH_FAILED}\n`);
  });

  test('lock-keychain succeeds on an existing keychain (-a too); a missing one is exit 50', async () => {
    assert.equal((await run(home, 'lock-keychain', 'ci.keychain')).code, 0);
    assert.equal((await run(home, 'lock-keychain', '-a')).code, 0);
    const missing = await run(home, 'lock-keychain', 'gone.keychain');
    assert.deepEqual([missing.code, missing.stderr], [50, `secitem: SecKeychainLock gone.keychain: ${NO_SUCH_KEYCHAIN}\n`]);
    assert.equal((await run(home, 'lock-keychain', '-a', 'ci.keychain')).code, 2);
  });

  test('set-keychain-password: wrong old password exit 51; prompts Old/New/Retype; the new one unlocks', async () => {
    const wrong = await run(home, 'set-keychain-password', '-o', 'bad-old', '-p', 'next-pw', 'ci.keychain');
    assert.deepEqual([wrong.code, wrong.stdout, wrong.stderr], [51, '', `secitem: SecKeychainChangePassword ci.keychain: ${AUTH_FAILED}\n`]);
    const prompted = await runWith(home, { stdin: 'kc-pässword\nnext-pw\nnext-pw\n' }, 'set-keychain-password', 'ci.keychain');
    assert.deepEqual([prompted.code, prompted.stderr], [0, 'Old Password: New Password: Retype New Password: ']);
    assert.equal((await run(home, 'unlock-keychain', '-p', 'kc-pässword', 'ci.keychain')).code, 51);
    const find = await runWith(home, { env: { SECITEM_KEYCHAIN_PASSWORD: 'next-pw' } }, 'find-generic-password', '-s', 'svc', '-w', 'ci.keychain');
    assert.deepEqual([find.code, find.stdout], [0, '77c3b67274\n']);
    assert.equal((await run(home, 'set-keychain-password', '-o', 'next-pw', '-p', 'kc-pässword', 'ci.keychain')).code, 0);
  });
});
