/**
 * Holes an adversarial review found (issue 14) that this build closes:
 * a planted device-key file, the wildcard outside keychain-access-groups,
 * a damaged attempt counter, inherited dictionary keys, and data whose
 * length lies.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  openKeychain,
  SecError,
  errSecDecode,
  errSecInvalidKeychain,
  errSecInteractionNotAllowed,
  errSecMissingEntitlement,
  errSecParam,
  errSecSuccess,
} from '../../src/index.js';
import { TempKeychain, tempDir, utf8 } from '../helpers.js';

const invalidKeychain = (pattern: RegExp) => (e: unknown): boolean =>
  e instanceof SecError && e.status === errSecInvalidKeychain && pattern.test(e.message);

describe('a planted device-key file is never adopted (issue 14, hole 4)', () => {
  it('creating a keychain where <name>.devicekey already exists is refused, and the planted file is left as it was', () => {
    const dir = tempDir();
    const path = join(dir, 'ci.keychain-db');
    const planted = Buffer.alloc(32, 7);
    writeFileSync(`${path}.devicekey`, planted, { mode: 0o644 });
    assert.throws(() => openKeychain({ path }), invalidKeychain(/already exists/));
    assert.equal(existsSync(path), false, 'no database is created');
    assert.deepEqual(readFileSync(`${path}.devicekey`), planted);
  });

  it('a key file that others may read (mode 644) is refused with a reason that says how to fix it', () => {
    const tk = new TempKeychain();
    tk.kc.close();
    chmodSync(`${tk.path}.devicekey`, 0o644);
    assert.throws(() => openKeychain({ path: tk.path }), invalidKeychain(/mode 644.*chmod 600/));
    chmodSync(`${tk.path}.devicekey`, 0o600);
    openKeychain({ path: tk.path }).close();
    tk.cleanup();
  });

  it('a key file that is a symbolic link is refused', () => {
    const tk = new TempKeychain();
    tk.kc.close();
    const real = join(tk.dir, 'elsewhere.key');
    writeFileSync(real, readFileSync(`${tk.path}.devicekey`), { mode: 0o600 });
    rmSync(`${tk.path}.devicekey`);
    symlinkSync(real, `${tk.path}.devicekey`);
    assert.throws(() => openKeychain({ path: tk.path }), invalidKeychain(/symbolic link/));
    tk.cleanup();
  });

  it('a key file owned by another user is refused (needs root to make one: CI runs as root)', (t) => {
    if (process.getuid?.() !== 0) {
      t.skip('needs root to chown a file to another user');
      return;
    }
    const tk = new TempKeychain();
    tk.kc.close();
    chownSync(`${tk.path}.devicekey`, 12345, 12345);
    assert.throws(() => openKeychain({ path: tk.path }), invalidKeychain(/owned by uid 12345/));
    assert.equal(statSync(`${tk.path}.devicekey`).uid, 12345);
    tk.cleanup();
  });
});

describe('robustness (issue 14, hole 9)', () => {
  it('`*` grants every group only in keychainAccessGroups: as an application identifier or group it grants nothing', () => {
    const tk = new TempKeychain();
    const owner = tk.client('TEAM.owner');
    assert.equal(owner.SecItemAdd({ class: 'genp', svce: 'private', v_Data: utf8('x') }).status, errSecSuccess);
    for (const app of [tk.kc.client({ applicationIdentifier: '*' }), tk.kc.client({ applicationIdentifier: 'TEAM.other', applicationGroups: ['*'] })]) {
      assert.notEqual(app.SecItemCopyMatching({ class: 'genp', svce: 'private' }).status, errSecSuccess);
      assert.equal(app.SecItemCopyMatching({ class: 'genp', svce: 'private', agrp: 'TEAM.owner' }).status, errSecMissingEntitlement);
    }
    const wildcard = tk.kc.client({ applicationIdentifier: 'TEAM.tool', keychainAccessGroups: ['*'] });
    assert.equal(wildcard.SecItemCopyMatching({ class: 'genp', svce: 'private' }).status, errSecSuccess);
    tk.cleanup();
  });

  it('a malformed attempt counter answers the longest lockout, not a raw SyntaxError from openKeychain', () => {
    const tk = new TempKeychain('1234');
    tk.kc.close();
    const raw = new Database(tk.path);
    raw.prepare("INSERT INTO meta (key, value) VALUES ('attempts', '{not json') ON CONFLICT (key) DO UPDATE SET value = excluded.value").run();
    raw.close();
    assert.throws(() => openKeychain({ path: tk.path, passcode: '1234' }), (e: unknown) => e instanceof SecError && e.status === errSecInteractionNotAllowed);
    const kc = openKeychain({ path: tk.path });
    assert.ok(kc.passcodeRetryDelay > 0);
    kc.close();
    tk.cleanup();
  });

  it('only own properties count: kSecClass inherited through the prototype chain is not a class', () => {
    const tk = new TempKeychain();
    const dict = Object.create({ class: 'genp' }) as Record<string, unknown>;
    dict['svce'] = 'inherited';
    const r = tk.client().SecItemAdd(dict);
    assert.equal(r.status, errSecParam);
    assert.match(r.error?.message ?? '', /kSecClass \(class\) is missing/);
    tk.cleanup();
  });

  it('a Uint8Array subclass cannot lie about its length past the size limits: the data is copied, then checked', () => {
    const tk = new TempKeychain();
    class Liar extends Uint8Array {
      override get length(): number {
        return 1;
      }
    }
    const big = new Liar(16 * 1024 * 1024 + 1);
    assert.equal(tk.client().SecItemAdd({ class: 'genp', svce: 'liar', v_Data: big }).status, errSecParam);
    assert.equal(tk.client().SecItemAdd({ class: 'genp', svce: 'liar', gena: new Liar(64 * 1024 + 1) }).status, errSecParam);
    tk.cleanup();
  });
});

describe('passcodes as bytes (issue 14, hole 7)', () => {
  it('a passcode may be given as bytes (the NFC UTF-8 of a text passcode is the same passcode), and the library wipes its own copies', () => {
    const tk = new TempKeychain();
    tk.kc.close();
    const bytes = utf8('caf\u00e9-1234');
    const kc = openKeychain({ path: tk.path });
    assert.equal(kc.setPasscode(null, bytes), errSecSuccess);
    assert.deepEqual(bytes, utf8('caf\u00e9-1234'), "the caller's bytes are the caller's: never changed");
    kc.close();
    const again = openKeychain({ path: tk.path, passcode: 'cafe\u0301-1234' }); // the decomposed form normalises to the same text
    assert.equal(again.lockState, 'unlocked');
    again.lock();
    assert.equal(again.unlock(utf8('caf\u00e9-1234')), errSecSuccess);
    assert.equal(again.unlock(new Uint8Array(0)), errSecParam);
    again.close();
    tk.cleanup();
  });
});

describe('blind indexes do not link classes (issue 14, hole 8)', () => {
  it('the same account in a generic and an internet password, and the same label on a password and a key, have different stored indexes', () => {
    const tk = new TempKeychain();
    const app = tk.client();
    assert.equal(app.SecItemAdd({ class: 'genp', svce: 's', acct: 'shared-account', labl: 'shared label' }).status, errSecSuccess);
    assert.equal(app.SecItemAdd({ class: 'inet', srvr: 'h', acct: 'shared-account' }).status, errSecSuccess);
    assert.equal(app.SecItemAdd({ class: 'keys', atag: 't', labl: 'shared label' }).status, errSecSuccess);
    const raw = new Database(tk.path, { readonly: true });
    const col = (sql: string): Buffer => raw.prepare(sql).pluck().get() as Buffer;
    assert.ok(!col('SELECT h_acct FROM genp').equals(col('SELECT h_acct FROM inet')));
    assert.ok(!col('SELECT h_labl FROM genp').equals(col('SELECT h_labl FROM keys')));
    raw.close();
    assert.equal(app.SecItemCopyMatching({ class: 'inet', acct: 'shared-account' }).status, errSecSuccess);
    tk.cleanup();
  });
});

describe('a damaged row in a listing (issue 14, hole 9; Apple: s3dl_query_row ignores a corrupt item and keeps going)', () => {
  it('a listing passes over the damaged item and answers the others; a single-item query for it answers errSecDecode; a listing of damaged items only answers errSecDecode', () => {
    const tk = new TempKeychain();
    const app = tk.client();
    for (const acct of ['a', 'b', 'c']) assert.equal(app.SecItemAdd({ class: 'genp', svce: 'list', acct, v_Data: utf8(`s-${acct}`) }).status, errSecSuccess);
    const pref = app.SecItemCopyMatching({ class: 'genp', svce: 'list', acct: 'b', r_PersistentRef: true }).result as Uint8Array;
    const raw = new Database(tk.path);
    raw.prepare("UPDATE genp SET blob = substr(blob, 1, length(blob) - 1) || X'00' WHERE persistref = ?").run(Buffer.from(pref.subarray(4)));
    raw.close();
    const listing = app.SecItemCopyMatching({ class: 'genp', svce: 'list', m_Limit: 'm_LimitAll', r_Attributes: true });
    assert.equal(listing.status, errSecSuccess);
    assert.deepEqual((listing.result as { acct: string }[]).map((i) => i.acct).sort(), ['a', 'c']);
    assert.equal(app.SecItemCopyMatching({ class: 'genp', svce: 'list', acct: 'b', r_Data: true }).status, errSecDecode);
    assert.equal(app.SecItemCopyMatching({ class: 'genp', svce: 'list', acct: 'b', m_Limit: 'm_LimitAll' }).status, errSecDecode);
    tk.cleanup();
  });
});
