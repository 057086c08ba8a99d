/**
 * Rollback and replay attacks with the database file alone (issue 14,
 * holes 1–3): each reproduces the attack as the adversarial review
 * described it, and now gets the documented answer.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import {
  openKeychain,
  SecError,
  errSecDecode,
  errSecInvalidKeychain,
  errSecSuccess,
  kSecAttrAccessGroup,
  kSecAttrAccessible,
  kSecAttrAccessibleAfterFirstUnlock,
  kSecAttrAccessibleAlways,
  kSecAttrAccount,
  kSecAttrService,
  kSecClass,
  kSecClassGenericPassword,
  kSecReturnData,
  kSecValueData,
} from '../../src/index.js';
import { fromLanes, sumAdjust, toLanes } from '../../src/crypto/multiset-hash.js';
import { TOTAL_ROW } from '../../src/store/ledger.js';
import { bucketOf } from '../../src/store/row-uuid.js';
import { TempKeychain, utf8 } from '../helpers.js';

const SHARED = 'TEAM.shared';
const MAIL = 'TEAM.com.example.mail';
const OTHER = 'TEAM.com.example.other';

type Row = Record<string, unknown>;
const lanesOf = (r: Row): Buffer => fromLanes([r['s0'], r['s1'], r['s2'], r['s3']])!;

/** The sum of every bucket's lanes, as a 128-bit value (what the root's enciphered sum must equal). */
function bucketSum(db: Database.Database): Buffer {
  let sum: Buffer = Buffer.alloc(16);
  for (const r of db.prepare('SELECT s0, s1, s2, s3 FROM ledger WHERE bucket IS NOT ?').all(TOTAL_ROW) as Row[]) sum = sumAdjust(sum, lanesOf(r));
  return sum;
}

describe('single-item rollback with the database file alone (hole 1)', () => {
  it('an item moved by its app from a shared group and an Always class to its own group and a passcode class, restored with its old bucket and a forged bucket that makes the clear sums match, answers errSecDecode to the other app — also before first unlock', () => {
    const tk = new TempKeychain('7531');
    const mail = tk.kc.client({ applicationIdentifier: MAIL, keychainAccessGroups: [SHARED] });
    const other = tk.kc.client({ applicationIdentifier: OTHER, keychainAccessGroups: [SHARED] });
    tk.kc.batch(() => {
      for (let i = 0; i < 300; i++) {
        mail.SecItemAdd({ [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'mail', [kSecAttrAccount]: `user${i}`, [kSecAttrAccessGroup]: SHARED, [kSecAttrAccessible]: kSecAttrAccessibleAlways, [kSecValueData]: utf8(`secret${i}`) });
      }
    });
    const target = { [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'mail', [kSecAttrAccount]: 'user150' };
    const pref = mail.SecItemCopyMatching({ ...target, r_PersistentRef: true }).result as Uint8Array;
    const uuid = Buffer.from(pref.subarray(4));
    tk.kc.close();

    // Copy 1: before the move.
    let db = new Database(tk.path);
    const oldRow = db.prepare('SELECT * FROM genp WHERE persistref = ?').get(uuid) as Row;
    const oldBucket = db.prepare('SELECT * FROM ledger WHERE bucket = ?').get(bucketOf(uuid)) as Row;
    db.close();

    // The app moves the item to its own group and a passcode class.
    tk.reopen('7531');
    const app = tk.kc.client({ applicationIdentifier: MAIL, keychainAccessGroups: [SHARED] });
    assert.equal(app.SecItemUpdate(target, { [kSecAttrAccessGroup]: MAIL, [kSecAttrAccessible]: kSecAttrAccessibleAfterFirstUnlock }), errSecSuccess);
    tk.kc.close();

    // The attack, on copy 2: old row, old bucket, and a forged bucket that makes up the difference.
    db = new Database(tk.path);
    const sumBefore = bucketSum(db);
    const newBucket = db.prepare('SELECT * FROM ledger WHERE bucket = ?').get(bucketOf(uuid)) as Row;
    const { rowid: _r, ...values } = oldRow;
    db.prepare(`UPDATE genp SET ${Object.keys(values).map((k) => `"${k}" = @${k}`).join(', ')} WHERE persistref = @persistref`).run(values);
    db.prepare('INSERT OR REPLACE INTO ledger (bucket, s0, s1, s2, s3, entries) VALUES (@bucket, @s0, @s1, @s2, @s3, @entries)').run(oldBucket);
    const difference = sumAdjust(lanesOf(newBucket), Buffer.alloc(16), lanesOf(oldBucket)); // new − old
    const forgedNumber = (db.prepare('SELECT max(bucket) FROM ledger WHERE bucket IS NOT ?').pluck().get(TOTAL_ROW) as number) + 1;
    const [s0, s1, s2, s3] = toLanes(difference);
    // Its entries: a copy of a real bucket row's.
    db.prepare('INSERT INTO ledger (bucket, s0, s1, s2, s3, entries) VALUES (?, ?, ?, ?, ?, ?)').run(forgedNumber, s0, s1, s2, s3, newBucket['entries']);
    assert.ok(bucketSum(db).equals(sumBefore), 'the forged bucket makes the clear sums match the root, as the attack needs');
    db.close();

    for (const passcode of [undefined, '7531']) {
      const kc = openKeychain(passcode === undefined ? { path: tk.path } : { path: tk.path, passcode });
      const otherApp = kc.client({ applicationIdentifier: OTHER, keychainAccessGroups: [SHARED] });
      const r = otherApp.SecItemCopyMatching({ ...target, [kSecReturnData]: true });
      assert.equal(r.status, errSecDecode, `other app ${passcode === undefined ? 'before first unlock' : 'unlocked'}: ${r.error?.message}`);
      kc.close();
    }
    void other;
    tk.cleanup();
  });
});

describe('replay while the keychain is open (hole 2)', () => {
  it('a row and bucket restored by another process are refused at their next read (errSecDecode), while another writer\'s changes keep being served', () => {
    const tk = new TempKeychain();
    const app = tk.client();
    const item = { [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'replay', [kSecAttrAccount]: 'a' };
    assert.equal(app.SecItemAdd({ ...item, [kSecValueData]: utf8('old secret') }).status, errSecSuccess);
    const pref = app.SecItemCopyMatching({ ...item, r_PersistentRef: true }).result as Uint8Array;
    const uuid = Buffer.from(pref.subarray(4));
    const raw = new Database(tk.path);
    const oldRow = raw.prepare('SELECT * FROM genp WHERE persistref = ?').get(uuid) as Row;
    const oldBucket = raw.prepare('SELECT * FROM ledger WHERE bucket = ?').get(bucketOf(uuid)) as Row;
    assert.equal(app.SecItemUpdate(item, { [kSecValueData]: utf8('new secret') }), errSecSuccess);

    // Another writer (a second open of the same file) changes the item: the first keeps serving it.
    const second = openKeychain({ path: tk.path });
    assert.equal(second.client({ applicationIdentifier: 'SKMME9E2Y8.com.example.app' }).SecItemUpdate(item, { [kSecValueData]: utf8('newest secret') }), errSecSuccess);
    second.close();
    assert.equal(Buffer.from(app.SecItemCopyMatching({ ...item, [kSecReturnData]: true }).result as Uint8Array).toString(), 'newest secret');

    // The restore, behind the keychain's back.
    const { rowid: _r, ...values } = oldRow;
    raw.prepare(`UPDATE genp SET ${Object.keys(values).map((k) => `"${k}" = @${k}`).join(', ')} WHERE persistref = @persistref`).run(values);
    raw.prepare('INSERT OR REPLACE INTO ledger (bucket, s0, s1, s2, s3, entries) VALUES (@bucket, @s0, @s1, @s2, @s3, @entries)').run(oldBucket);
    raw.close();
    const r = app.SecItemCopyMatching({ ...item, [kSecReturnData]: true });
    assert.equal(r.status, errSecDecode, r.error?.message);
    tk.cleanup();
  });
});

describe('keybag rollback (hole 3)', () => {
  it('the keybag row from before a passcode change, restored, answers errSecInvalidKeychain: the old passcode unlocks nothing added since', () => {
    const tk = new TempKeychain('old-passcode');
    tk.kc.close();
    let raw = new Database(tk.path);
    const oldKeybag = raw.prepare("SELECT value FROM meta WHERE key = 'keybag'").pluck().get();
    raw.close();
    tk.reopen('old-passcode');
    assert.equal(tk.kc.setPasscode('old-passcode', 'new-passcode'), errSecSuccess);
    assert.equal(tk.client().SecItemAdd({ [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'after-change', [kSecValueData]: utf8('s') }).status, errSecSuccess);
    tk.kc.close();
    raw = new Database(tk.path);
    raw.prepare("UPDATE meta SET value = ? WHERE key = 'keybag'").run(oldKeybag);
    raw.close();
    const invalid = (e: unknown): boolean => e instanceof SecError && e.status === errSecInvalidKeychain && /keybag/.test(e.message);
    assert.throws(() => openKeychain({ path: tk.path, passcode: 'old-passcode' }), invalid);
    assert.throws(() => openKeychain({ path: tk.path }), invalid);
    tk.cleanup();
  });

  it('restored while the keychain is open, the old keybag is refused at the next unlock', () => {
    const tk = new TempKeychain('old-passcode');
    let raw = new Database(tk.path);
    const oldKeybag = raw.prepare("SELECT value FROM meta WHERE key = 'keybag'").pluck().get();
    raw.close();
    assert.equal(tk.kc.setPasscode('old-passcode', 'new-passcode'), errSecSuccess);
    tk.kc.lock();
    raw = new Database(tk.path);
    raw.prepare("UPDATE meta SET value = ? WHERE key = 'keybag'").run(oldKeybag);
    raw.close();
    assert.equal(tk.kc.unlock('old-passcode'), errSecInvalidKeychain);
    tk.cleanup();
  });
});
