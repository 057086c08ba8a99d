/**
 * The ledger (src/store/ledger.ts): an item's row restored from an older copy
 * of the file answers errSecDecode, and so does one restored together with its
 * ledger entry or bucket sum. Restoring everything written since a moment
 * (a whole-file rollback) is the documented limit.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import {
  openKeychain,
  SecError,
  errSecDecode,
  errSecInvalidKeychain,
  errSecItemNotFound,
  errSecSuccess,
  kSecAttrService,
  kSecClass,
  kSecClassGenericPassword,
  kSecValueData,
  kSecValuePersistentRef,
} from '../../src/index.js';
import { TempKeychain, statusName } from '../helpers.js';
import { TAMPER_GROUPS, addItem, clientsOf, insertRow, read, rowOf, writeRow, type TamperItem } from '../reliability/harness/tamper.js';

const cleanups: (() => void)[] = [];
after(() => {
  for (const c of cleanups) c();
});

type Snapshot = { row: Record<string, unknown> & { rowid: number }; entry: unknown; bucket: unknown; total: unknown };

/** Everything the ledger holds about one item, as raw rows. */
function snapshot(path: string, item: TamperItem): Snapshot {
  const db = new Database(path);
  const row = rowOf(db, item.pref);
  const entry = db.prepare('SELECT * FROM ledger WHERE uuid = ?').get(row.persistref);
  const bucket = db.prepare('SELECT * FROM ledger_bucket WHERE bucket = ?').get((row.persistref[0]! << 4) | (row.persistref[1]! >> 4));
  const total = db.prepare("SELECT value FROM meta WHERE key = 'ledger'").pluck().get();
  db.close();
  return { row, entry, bucket, total };
}

/** Restores the parts of a snapshot named in `parts`. */
function restore(path: string, s: Snapshot, parts: ReadonlyArray<'row' | 'entry' | 'bucket' | 'total'>): void {
  const db = new Database(path);
  if (parts.includes('row')) {
    const { rowid: _rowid, ...values } = s.row;
    const now = db.prepare('SELECT rowid FROM genp WHERE persistref = ?').pluck().get(s.row['persistref']) as number | undefined;
    if (now === undefined) insertRow(db, values);
    else writeRow(db, now, values);
  }
  if (parts.includes('entry')) db.prepare('INSERT OR REPLACE INTO ledger (uuid, tag) VALUES (@uuid, @tag)').run(s.entry as object);
  if (parts.includes('bucket')) db.prepare('INSERT OR REPLACE INTO ledger_bucket (bucket, sum) VALUES (@bucket, @sum)').run(s.bucket as object);
  if (parts.includes('total')) db.prepare("UPDATE meta SET value = ? WHERE key = 'ledger'").run(s.total);
  db.close();
}

/** A closed keychain with four items; `a` was updated after the snapshot was taken. */
function updatedAfterSnapshot(): { tk: TempKeychain; items: TamperItem[]; before: Snapshot } {
  const tk = new TempKeychain();
  cleanups.push(() => tk.cleanup());
  const { owner } = clientsOf(tk.kc);
  const items = [0, 1, 2, 3].map((i) => addItem(owner, TAMPER_GROUPS[i % 2], `ledger-account-${i}`, `ledger-secret-${i}`));
  tk.kc.close();
  const before = snapshot(tk.path, items[0]);
  tk.reopen();
  const a = items[0];
  const s = clientsOf(tk.kc).owner.SecItemUpdate(
    { [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'tamper-service', acct: a.account, agrp: a.group },
    { [kSecValueData]: new TextEncoder().encode('ledger-secret-0-newer') },
  );
  assert.equal(s, errSecSuccess, statusName(s));
  a.secret = 'ledger-secret-0-newer';
  tk.kc.close();
  return { tk, items, before };
}

/** The ledger bucket of an item: the first 12 bits of its UUID (the persistent reference after the class code). */
const bucketOf = (it: TamperItem): number => (it.pref[4]! << 4) | (it.pref[5]! >> 4);
const othersInOtherBuckets = (items: TamperItem[]): TamperItem[] => items.slice(1).filter((it) => bucketOf(it) !== bucketOf(items[0]));

describe('the ledger: an item restored from an older copy of the file answers errSecDecode', () => {
  it('its row alone: errSecDecode for that item; every other item answers its current secret', () => {
    const { tk, items, before } = updatedAfterSnapshot();
    restore(tk.path, before, ['row']);
    tk.reopen();
    const { owner } = clientsOf(tk.kc);
    assert.equal(read(owner, items[0]).status, errSecDecode);
    for (const it of items.slice(1)) assert.deepEqual(read(owner, it), { status: errSecSuccess, data: it.secret });
  });

  it('its row and its ledger entry: errSecDecode for that item (its bucket no longer adds up); items of other buckets keep working', () => {
    const { tk, items, before } = updatedAfterSnapshot();
    restore(tk.path, before, ['row', 'entry']);
    tk.reopen();
    const { owner } = clientsOf(tk.kc);
    assert.equal(read(owner, items[0]).status, errSecDecode);
    for (const it of othersInOtherBuckets(items)) assert.deepEqual(read(owner, it), { status: errSecSuccess, data: it.secret });
  });

  it('its row, entry and bucket sum: every item answers errSecDecode (the sealed total no longer adds up); writing is refused; deleting works', () => {
    const { tk, items, before } = updatedAfterSnapshot();
    restore(tk.path, before, ['row', 'entry', 'bucket']);
    tk.reopen();
    const { owner } = clientsOf(tk.kc);
    for (const it of items) assert.equal(read(owner, it).status, errSecDecode, it.account);
    const add = owner.SecItemAdd({ [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'tamper-service', acct: 'new', agrp: TAMPER_GROUPS[0], [kSecValueData]: new Uint8Array([1]) });
    assert.equal(add.status, errSecDecode);
    for (const it of items) assert.equal(owner.SecItemDelete({ [kSecValuePersistentRef]: it.pref }), errSecSuccess);
    assert.equal(read(owner, items[1]).status, errSecItemNotFound);
  });

  it('a deleted item\'s row and entry brought back: errSecDecode', () => {
    const tk = new TempKeychain();
    cleanups.push(() => tk.cleanup());
    const { owner } = clientsOf(tk.kc);
    const items = [0, 1].map((i) => addItem(owner, TAMPER_GROUPS[0], `gone-${i}`, `gone-secret-${i}`));
    tk.kc.close();
    const before = snapshot(tk.path, items[0]);
    tk.reopen();
    assert.equal(clientsOf(tk.kc).owner.SecItemDelete({ [kSecValuePersistentRef]: items[0].pref }), errSecSuccess);
    tk.kc.close();
    restore(tk.path, before, ['row']);
    tk.reopen();
    assert.equal(read(clientsOf(tk.kc).owner, items[0]).status, errSecDecode, 'row alone');
    tk.kc.close();
    restore(tk.path, before, ['entry']);
    tk.reopen();
    assert.equal(read(clientsOf(tk.kc).owner, items[0]).status, errSecDecode, 'row and entry');
  });

  it('a damaged or missing sealed total: every item answers errSecDecode, never a crash', () => {
    for (const damage of ["UPDATE meta SET value = randomblob(48) WHERE key = 'ledger'", "DELETE FROM meta WHERE key = 'ledger'"]) {
      const tk = new TempKeychain();
      cleanups.push(() => tk.cleanup());
      const item = addItem(clientsOf(tk.kc).owner, TAMPER_GROUPS[0], 'acct', 'secret');
      tk.kc.close();
      const db = new Database(tk.path);
      db.exec(damage);
      db.close();
      tk.reopen();
      assert.equal(read(clientsOf(tk.kc).owner, item).status, errSecDecode, damage);
    }
  });

  it('the documented limit: restoring everything written since a moment (row, entry, bucket and total) is a whole-file rollback and is not detected', () => {
    const { tk, items, before } = updatedAfterSnapshot();
    restore(tk.path, before, ['row', 'entry', 'bucket', 'total']);
    tk.reopen();
    assert.deepEqual(read(clientsOf(tk.kc).owner, items[0]), { status: errSecSuccess, data: 'ledger-secret-0' });
  });

  it('a keychain file of format 1 (made before the ledger) is refused with errSecInvalidKeychain, not converted', () => {
    const tk = new TempKeychain();
    cleanups.push(() => tk.cleanup());
    tk.kc.close();
    const db = new Database(tk.path);
    db.exec("UPDATE meta SET value = 'secitem keychain 1' WHERE key = 'format'");
    db.close();
    assert.throws(() => openKeychain({ path: tk.path }), (e: unknown) => e instanceof SecError && e.status === errSecInvalidKeychain);
  });
});
