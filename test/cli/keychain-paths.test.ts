/**
 * Every form of keychain name `security` accepts, in every command that
 * takes a keychain: bare names in the keychain directory, relative and
 * absolute paths, `~`, and `x.keychain` meaning the `x.keychain-db` file that
 * create-keychain made (what fastlane's keychain actions rely on).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { openKeychain } from '../../src/index.js';
import { makeHome, run, runWith } from './helpers.js';
import type { Home } from './helpers.js';

let home: Home;
let kcDir: string;
beforeEach(() => {
  home = makeHome();
  kcDir = join(home.dir, 'data', 'secitem');
});
afterEach(() => home.cleanup());

/** Adds an item to the keychain `name` and finds it again through `lookups`, each another name of the same file. */
async function sameKeychain(name: string, lookups: readonly string[]): Promise<void> {
  assert.equal((await run(home, 'add-generic-password', '-s', 'svc', '-a', 'acct', '-w', 'pw', name)).code, 0, name);
  for (const other of lookups) {
    const r = await run(home, 'find-generic-password', '-s', 'svc', '-w', other);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'pw\n', ''], other);
  }
}

describe('bare names', () => {
  test('build, build.keychain and build.keychain-db are one file: $XDG_DATA_HOME/secitem/build.keychain-db', async () => {
    for (const name of ['build', 'build.keychain', 'build.keychain-db']) {
      const created = await run(home, 'create-keychain', '-p', '', name);
      assert.equal(created.code, name === 'build' ? 0 : 48, name);
    }
    assert.ok(existsSync(join(kcDir, 'build.keychain-db')));
    assert.equal(existsSync(join(kcDir, 'build')) || existsSync(join(kcDir, 'build.keychain')), false);
    await sameKeychain('build', ['build.keychain', 'build.keychain-db', join(kcDir, 'build.keychain')]);
  });

  test('login names the default keychain', async () => {
    assert.equal((await run(home, 'add-generic-password', '-s', 'svc', '-a', 'acct', '-w', 'pw')).code, 0);
    for (const name of ['login', 'login.keychain', 'login.keychain-db']) {
      assert.equal((await run(home, 'find-generic-password', '-s', 'svc', '-w', name)).stdout, 'pw\n', name);
    }
  });

  test('a file that exists under the name itself, without a -db file, is that file', async () => {
    mkdirSync(kcDir, { recursive: true });
    openKeychain({ path: join(kcDir, 'old') }).close();
    openKeychain({ path: join(kcDir, 'older.keychain') }).close();
    await sameKeychain('old', [join(kcDir, 'old')]);
    await sameKeychain('older.keychain', [join(kcDir, 'older.keychain')]);
    assert.equal(existsSync(join(kcDir, 'old.keychain-db')) || existsSync(join(kcDir, 'older.keychain-db')), false);
  });

  test('when both x.keychain and x.keychain-db exist, x.keychain is the -db file', async () => {
    mkdirSync(kcDir, { recursive: true });
    openKeychain({ path: join(kcDir, 'both.keychain') }).close();
    assert.equal((await run(home, 'create-keychain', '-p', '', join(kcDir, 'both.keychain-db'))).code, 0);
    await sameKeychain('both.keychain', ['both.keychain-db']);
    assert.equal((await run(home, 'find-generic-password', '-s', 'svc', join(kcDir, 'both.keychain'))).code, 0);
  });
});

describe('paths', () => {
  test('a relative path with / is under the working directory, and x.keychain there is x.keychain-db', async () => {
    for (const name of ['./rel.keychain', 'sub/nested.keychain']) {
      assert.equal((await run(home, 'create-keychain', '-p', '', name)).code, 0, name);
    }
    assert.ok(existsSync(join(home.dir, 'rel.keychain-db')));
    assert.ok(existsSync(join(home.dir, 'sub', 'nested.keychain-db')));
    await sameKeychain('./rel.keychain', ['./rel.keychain-db', join(home.dir, 'rel.keychain')]);
    await sameKeychain('sub/nested.keychain', ['sub/nested.keychain-db', './sub/../sub/nested.keychain']);
  });

  test('an absolute path: x.keychain is x.keychain-db, which create-keychain makes', async () => {
    const path = join(home.dir, 'abs', 'ci.keychain');
    assert.equal((await run(home, 'create-keychain', '-p', '', path)).code, 0);
    assert.ok(existsSync(`${path}-db`));
    assert.equal(existsSync(path), false);
    await sameKeychain(path, [`${path}-db`]);
  });

  test('an absolute path without a keychain suffix is taken as is', async () => {
    const path = join(home.dir, 'plain.db');
    assert.equal((await run(home, 'create-keychain', '-p', '', path)).code, 0);
    assert.ok(existsSync(path));
    await sameKeychain(path, [path]);
  });

  test('~ and ~/… are under HOME', async () => {
    assert.equal((await run(home, 'create-keychain', '-p', '', '~/Library/Keychains/tilde.keychain')).code, 0);
    assert.ok(existsSync(join(home.dir, 'Library', 'Keychains', 'tilde.keychain-db')));
    await sameKeychain('~/Library/Keychains/tilde.keychain', [join(home.dir, 'Library/Keychains/tilde.keychain-db')]);
  });

  test('a missing keychain is errSecNoSuchKeychain under the name as typed, whatever its form', async () => {
    for (const name of ['gone', 'gone.keychain', './gone.keychain', '~/gone.keychain', join(home.dir, 'gone.keychain')]) {
      const r = await run(home, 'show-keychain-info', name);
      assert.deepEqual([r.code, r.stderr], [50, `secitem: SecKeychainCopySettings ${name}: The specified keychain could not be found.\n`], name);
    }
  });
});

describe('every command that takes a keychain resolves x.keychain to x.keychain-db', () => {
  test('list-, default- and login-keychain -s, lock, unlock, show, set-settings, set-password, find/add/delete/dump, item -k, delete', async () => {
    const typed = join(home.dir, 'Library', 'Keychains', 'all.keychain');
    const file = `${typed}-db`;
    const env = { SECITEM_KEYCHAIN_PASSWORD: 'first' };
    assert.equal((await run(home, 'create-keychain', '-p', 'first', typed)).code, 0);
    const ok = async (argv: string[], options: { env?: Record<string, string>; stdout?: string; stderr?: string } = {}) => {
      const r = await runWith(home, { env: options.env }, ...argv);
      assert.equal(r.code, 0, `${argv.join(' ')}: ${r.stderr}`);
      if (options.stdout !== undefined) assert.equal(r.stdout, options.stdout, argv.join(' '));
      if (options.stderr !== undefined) assert.equal(r.stderr, options.stderr, argv.join(' '));
      return r;
    };
    await ok(['list-keychains', '-s', typed], { stdout: '' });
    await ok(['list-keychains'], { stdout: `    "${file}"\n` });
    await ok(['default-keychain', '-s', typed]);
    await ok(['default-keychain'], { stdout: `    "${file}"\n` });
    await ok(['login-keychain', '-s', typed]);
    await ok(['login-keychain'], { stdout: `    "${file}"\n` });
    await ok(['unlock-keychain', '-p', 'first', typed]);
    await ok(['lock-keychain', typed]);
    await ok(['set-keychain-settings', '-l', '-t', '60', typed]);
    await ok(['show-keychain-info', typed], { stderr: `Keychain "${typed}" lock-on-sleep timeout=60s\n` });
    await ok(['set-keychain-password', '-o', 'first', '-p', 'second', typed]);
    const env2 = { SECITEM_KEYCHAIN_PASSWORD: 'second' };
    assert.equal((await runWith(home, { env }, 'unlock-keychain', '-p', 'first', typed)).code, 51);
    await ok(['add-generic-password', '-s', 'svc', '-a', 'acct', '-w', 'pw', typed], { env: env2 });
    await ok(['add-internet-password', '-s', 'host', '-a', 'acct', '-w', 'ipw', typed], { env: env2 });
    await ok(['find-generic-password', '-s', 'svc', '-w', typed], { env: env2, stdout: 'pw\n' });
    await ok(['find-internet-password', '-s', 'host', '-w', typed], { env: env2, stdout: 'ipw\n' });
    await ok(['item', '-k', typed, '-a', '-d', 'ipw2', 'class=genp,svce=item'], { env: env2 });
    const listed = await ok(['item', '-k', typed, 'class=genp,svce=item'], { env: env2 });
    assert.ok(listed.stdout.includes('svce       : item\n'));
    const dump = await ok(['dump-keychain', typed], { env: env2 });
    assert.ok(dump.stdout.startsWith(`keychain: "${file}"\n`));
    await ok(['delete-generic-password', '-s', 'svc', typed], { env: env2 });
    await ok(['delete-internet-password', '-s', 'host', typed], { env: env2 });
    await ok(['delete-keychain', typed]);
    assert.equal(existsSync(file), false);
    await ok(['list-keychains'], { stdout: '' });
    await ok(['default-keychain'], { stdout: `    "${home.defaultKeychain}"\n` });
  });
});

describe("fastlane's keychain sequence, HOME a fresh directory", () => {
  for (const form of ['absolute', '~/'] as const) {
    test(`create, add to the search list, unlock, settings, add and find, delete: ${form} path`, async () => {
      const typed = form === 'absolute' ? join(home.dir, 'Library/Keychains/fastlane_tmp.keychain') : '~/Library/Keychains/fastlane_tmp.keychain';
      const file = join(home.dir, 'Library/Keychains/fastlane_tmp.keychain-db');
      const unlocked = { env: { SECITEM_KEYCHAIN_PASSWORD: 'fl-pw' } };
      const step = async (argv: string[], options: { env?: Record<string, string> } = {}) => {
        const r = await runWith(home, options, ...argv);
        assert.equal(r.code, 0, `${argv.join(' ')}: ${r.stderr}`);
        return r;
      };
      await step(['create-keychain', '-p', 'fl-pw', typed]);
      assert.ok(existsSync(file));
      const defaultLine = `    "${home.defaultKeychain}"\n`;
      await step(['list-keychains', '-d', 'user', '-s', home.defaultKeychain, typed]);
      assert.equal((await step(['list-keychains', '-d', 'user'])).stdout, `${defaultLine}    "${file}"\n`);
      await step(['unlock-keychain', '-p', 'fl-pw', typed]);
      await step(['set-keychain-settings', '-t', '3600', '-l', typed]);
      await step(['add-generic-password', '-s', 'match', '-a', 'ci', '-w', 'token', typed], unlocked);
      assert.equal((await step(['find-generic-password', '-s', 'match', '-w', typed], unlocked)).stdout, 'token\n');
      // The search list finds it too, as `security find-generic-password` without a keychain does.
      assert.equal((await step(['find-generic-password', '-s', 'match', '-w'], unlocked)).stdout, 'token\n');
      await step(['delete-keychain', typed]);
      assert.equal(existsSync(file), false);
      assert.equal((await step(['list-keychains', '-d', 'user'])).stdout, defaultLine);
    });
  }

  test('a file that is not a keychain under x.keychain is refused, never replaced', async () => {
    const typed = join(home.dir, 'notes.keychain');
    writeFileSync(typed, 'not a keychain\n');
    const r = await run(home, 'delete-keychain', typed);
    assert.deepEqual([r.code, r.stderr], [-25295 & 0xff, 'secitem: SecKeychainDelete: The specified keychain is not a valid keychain file.\n']);
    assert.ok(existsSync(typed));
  });
});
