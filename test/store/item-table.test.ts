/**
 * Item tables (src/store/item-table.ts): a row sits at the rowid its
 * persistent-reference UUID names, so a persistent reference needs no index
 * of its own.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { KeychainDatabase } from '../../src/store/database.js';
import { rowidOf } from '../../src/store/row-uuid.js';
import { MultisetHash } from '../../src/crypto/multiset-hash.js';
import { itemClasses } from '../../src/schema/classes.js';
import { errSecDecode, errSecItemNotFound, errSecSuccess, kSecClass, kSecClassGenericPassword, kSecValuePersistentRef } from '../../src/index.js';
import { TempKeychain } from '../helpers.js';
import { TAMPER_GROUPS, addItem, clientsOf, read, rowOf, type TamperItem } from '../reliability/harness/tamper.js';

const cleanups: (() => void)[] = [];
after(() => {
  for (const c of cleanups) c();
});

/** A reopened keychain with one item whose row was moved, from outside, to `rowid`. */
function itemMovedTo(rowid: number, account: string, secret: string): { tk: TempKeychain; moved: TamperItem } {
  const tk = new TempKeychain();
  cleanups.push(() => tk.cleanup());
  const moved = addItem(clientsOf(tk.kc).owner, TAMPER_GROUPS[0], account, secret);
  tk.kc.close();
  const db = new Database(tk.path);
  db.prepare('UPDATE genp SET rowid = ? WHERE rowid = ?').run(rowid, rowOf(db, moved.pref).rowid);
  db.close();
  tk.reopen();
  return { tk, moved };
}

describe('rows at their UUID\'s rowid', () => {
  it('a row\'s rowid is the first 48 bits of its persistent-reference UUID, rowids grow (adds append), and no index is kept on the UUID', () => {
    const tk = new TempKeychain();
    cleanups.push(() => tk.cleanup());
    const items = [0, 1, 2].map((i) => addItem(clientsOf(tk.kc).owner, TAMPER_GROUPS[0], `rowid-${i}`, `secret-${i}`));
    tk.kc.close();
    const db = new Database(tk.path, { readonly: true });
    for (const it of items) {
      const row = rowOf(db, it.pref);
      assert.equal(row.rowid, Buffer.from(it.pref.subarray(4)).readUIntBE(0, 6));
    }
    const rowids = items.map((it) => rowOf(db, it.pref).rowid);
    assert.deepEqual(rowids, [...rowids].sort((x, y) => x - y), 'appended: rowids grow');
    const indexed = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'genp'").all() as { name: string; sql: string | null }[];
    assert.deepEqual(indexed.map((i) => i.name).sort(), ['genp_acct', 'genp_unique']);
    db.close();
  });

  it('inserting a row whose UUID\'s rowid is taken fails with SQLITE_CONSTRAINT_PRIMARYKEY, distinct from a duplicate item', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'secitem-table-')), 'k.db');
    const hash = new MultisetHash(randomBytes(32));
    const kdb = KeychainDatabase.create(path, [...itemClasses.values()], new Map(), hash);
    cleanups.push(() => kdb.close());
    kdb.startLedger(hash);
    const table = kdb.table('genp');
    const blank = table.cls.searchable.map(() => null);
    const first = randomBytes(16);
    const twin = Buffer.concat([first.subarray(0, 6), randomBytes(10)]); // same 48 bits, another UUID
    const row = (uuid: Buffer) => ({ persistref: uuid, pdmn: 'ak', index: blank, blob: randomBytes(120), sealTag: randomBytes(16) });
    kdb.write(() => table.insert(row(first)));
    assert.throws(() => kdb.write(() => table.insert(row(twin))), (e: unknown) => (e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY');
    assert.equal(rowidOf(twin), rowidOf(first));
  });

  it('after a row written from outside at the last 48-bit rowid, an add answers errSecDecode and writes nothing', () => {
    const { tk } = itemMovedTo(2 ** 48 - 1, 'highest', 'highest-secret');
    const { owner } = clientsOf(tk.kc);
    assert.equal(owner.SecItemAdd({ [kSecClass]: kSecClassGenericPassword, acct: 'next', agrp: TAMPER_GROUPS[0], v_Data: new Uint8Array([1]) }).status, errSecDecode);
    assert.equal(owner.SecItemCopyMatching({ [kSecClass]: kSecClassGenericPassword, acct: 'next', agrp: TAMPER_GROUPS[0] }).status, errSecItemNotFound);
  });

  it('a row moved to another rowid is not found by its persistent reference and answers errSecDecode by its attributes; it can still be deleted', () => {
    const { tk, moved } = itemMovedTo(12345, 'moved', 'moved-secret');
    const { owner } = clientsOf(tk.kc);
    assert.equal(owner.SecItemCopyMatching({ [kSecValuePersistentRef]: moved.pref, r_Data: true }).status, errSecItemNotFound);
    assert.equal(read(owner, moved).status, errSecDecode);
    assert.equal(owner.SecItemDelete({ [kSecClass]: kSecClassGenericPassword, acct: moved.account, agrp: moved.group }), errSecSuccess);
    assert.equal(read(owner, moved).status, errSecItemNotFound);
  });

  it('deleting a row that claims another item\'s UUID (not at that UUID\'s rowid) leaves that item\'s ledger record alone: the item keeps answering', () => {
    const tk = new TempKeychain();
    cleanups.push(() => tk.cleanup());
    const [forged, victim] = [0, 1].map((i) => addItem(clientsOf(tk.kc).owner, TAMPER_GROUPS[0], `claim-${i}`, `claim-secret-${i}`));
    tk.kc.close();
    const db = new Database(tk.path);
    db.prepare('UPDATE genp SET persistref = ? WHERE rowid = ?').run(rowOf(db, victim.pref).persistref, rowOf(db, forged.pref).rowid);
    db.close();
    tk.reopen();
    const { owner } = clientsOf(tk.kc);
    assert.equal(owner.SecItemDelete({ [kSecClass]: kSecClassGenericPassword, acct: forged.account, agrp: forged.group }), errSecSuccess);
    assert.deepEqual(read(owner, victim), { status: errSecSuccess, data: victim.secret });
  });
});
