/**
 * `secitem keychain verify` and Keychain.verify (issue 14, hole 9): the
 * ledger's state and every damaged or locked item, without changing anything.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { openKeychain } from '../../src/index.js';
import { makeHome, run, runWith } from './helpers.js';
import type { Home } from './helpers.js';

describe('keychain verify', () => {
  let home: Home;
  beforeEach(() => (home = makeHome()));
  afterEach(() => home.cleanup());
  const loginPath = (): string => join(home.dir, 'data', 'secitem', 'login.keychain-db');

  test('a sound keychain: ledger trusted, every item ok, exit 0', async () => {
    for (const s of ['a', 'b']) assert.equal((await run(home, 'add-generic-password', '-s', s, '-a', 'me', '-w', 'pw')).code, 0);
    const r = await run(home, 'keychain', 'verify');
    assert.deepEqual([r.code, r.stdout], [0, `keychain: "${loginPath()}"\nledger: trusted\nitems: 2 ok, 0 damaged, 0 locked\n`]);
  });

  test('a damaged item is reported by class and persistent reference, exit 93 (errSecDecode), and the file is not changed', async () => {
    for (const s of ['a', 'b']) assert.equal((await run(home, 'add-generic-password', '-s', s, '-a', 'me', '-w', 'pw')).code, 0);
    const raw = new Database(loginPath());
    const uuid = raw.prepare('SELECT persistref FROM genp ORDER BY rowid LIMIT 1').pluck().get() as Buffer;
    raw.prepare("UPDATE genp SET blob = substr(blob, 1, length(blob) - 1) || X'00' WHERE persistref = ?").run(uuid);
    raw.pragma('wal_checkpoint(TRUNCATE)');
    raw.close();
    const before = readFileSync(loginPath());
    const r = await run(home, 'keychain', 'verify');
    assert.equal(r.code, 93);
    assert.match(r.stdout, /items: 1 ok, 1 damaged, 0 locked\n/);
    assert.ok(r.stdout.includes(`damaged: genp ${Buffer.concat([Buffer.from('genp'), uuid]).toString('base64')}\n`), r.stdout);
    assert.deepEqual(readFileSync(loginPath()), before);
  });

  test('items of a locked keychain count as locked; with the password they are ok', async () => {
    const path = join(home.dir, 'ci.keychain-db');
    assert.equal((await run(home, 'create-keychain', '-p', 'kcpw', path)).code, 0);
    const env = { ...home.env, SECITEM_KEYCHAIN_PASSWORD: 'kcpw' };
    assert.equal((await runWith(home, { env }, 'add-generic-password', '-s', 'x', '-a', 'me', '-w', 'pw', path)).code, 0);
    const locked = await run(home, 'keychain', 'verify', path);
    assert.deepEqual([locked.code, /items: 0 ok, 0 damaged, 1 locked/.test(locked.stdout)], [0, true]);
    const unlocked = await runWith(home, { env }, 'keychain', 'verify', path);
    assert.match(unlocked.stdout, /items: 1 ok, 0 damaged, 0 locked/);
  });

  test('an unknown action is a usage error (exit 2)', async () => {
    assert.equal((await run(home, 'keychain', 'fix')).code, 2);
    assert.equal((await run(home, 'keychain')).code, 2);
    assert.equal((await run(home, 'keychain', 'verify', '--delete-damaged')).code, 2);
  });

  test('repair after a forged bucket: the ledger vouches again for every item that authenticates; a damaged one is kept, or deleted with --delete-damaged', async () => {
    for (const s of ['a', 'b', 'c']) assert.equal((await run(home, 'add-generic-password', '-s', s, '-a', 'me', '-w', `pw-${s}`)).code, 0);
    const raw = new Database(loginPath());
    raw.prepare("INSERT INTO ledger (bucket, s0, s1, s2, s3, entries) VALUES (999, 1, 2, 3, 4, X'')").run();
    const uuid = raw.prepare("SELECT persistref FROM genp ORDER BY rowid LIMIT 1").pluck().get() as Buffer;
    raw.prepare("UPDATE genp SET blob = substr(blob, 1, length(blob) - 1) || X'00' WHERE persistref = ?").run(uuid);
    raw.close();
    assert.equal((await run(home, 'find-generic-password', '-s', 'b', '-w')).code, 93);
    const kept = await run(home, 'keychain', 'repair');
    assert.deepEqual([kept.code, kept.stdout], [0, `keychain: "${loginPath()}"\nvouched for: 2\ndamaged: 1 (kept)\n`]);
    assert.deepEqual([(await run(home, 'find-generic-password', '-s', 'b', '-w')).stdout], ['pw-b\n']);
    assert.match((await run(home, 'keychain', 'verify')).stdout, /ledger: trusted\nitems: 2 ok, 1 damaged, 0 locked/);
    const removed = await run(home, 'keychain', 'repair', '--delete-damaged');
    assert.match(removed.stdout, /vouched for: 2\ndamaged: 1 \(deleted: 1\)/);
    assert.equal((await run(home, 'keychain', 'verify')).code, 0);
  });

  test('repair of a locked keychain is refused (every item must be opened): exit 36', async () => {
    const path = join(home.dir, 'locked.keychain-db');
    assert.equal((await run(home, 'create-keychain', '-p', 'kcpw', path)).code, 0);
    assert.equal((await run(home, 'keychain', 'repair', path)).code, 36);
  });

  test('Keychain.verify reports an untrusted ledger after a forged bucket', () => {
    const path = join(home.dir, 'api.keychain-db');
    let kc = openKeychain({ path });
    const app = kc.client({ applicationIdentifier: 'T.app' });
    app.SecItemAdd({ class: 'genp', svce: 's', v_Data: new Uint8Array([1]) });
    assert.deepEqual(kc.verify().counts, { ok: 1, damaged: 0, locked: 0 });
    kc.close();
    const raw = new Database(path);
    raw.prepare('INSERT INTO ledger (bucket, s0, s1, s2, s3, entries) VALUES (999, 1, 2, 3, 4, X\'\')').run();
    raw.close();
    kc = openKeychain({ path });
    const report = kc.verify();
    assert.equal(report.ledger, 'untrusted');
    assert.deepEqual(report.counts, { ok: 0, damaged: 1, locked: 0 });
    kc.close();
  });
});
