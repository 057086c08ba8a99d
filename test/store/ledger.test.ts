/**
 * The ledger (src/store/ledger.ts): an item's row restored from an older copy
 * of the file answers errSecDecode, and so does one restored together with its
 * ledger entry or its whole ledger bucket. Restoring everything written since
 * a moment (a whole-file rollback) is the documented limit.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { Ledger, TOTAL_ROW, type BucketColumns } from '../../src/store/ledger.js';
import { ITEMS_PER_BUCKET, MAX_BUCKET, bucketOf as bucketOfUuid } from '../../src/store/row-uuid.js';
import { MultisetHash } from '../../src/crypto/multiset-hash.js';
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

type Snapshot = { row: Record<string, unknown> & { rowid: number }; bucket: Record<string, unknown> | undefined; total: unknown };

const RECORD = 32;

/** Everything the ledger holds about one item, as raw rows. */
function snapshot(path: string, item: TamperItem): Snapshot {
  const db = new Database(path);
  const row = rowOf(db, item.pref);
  const bucket = db.prepare('SELECT * FROM ledger WHERE bucket = ?').get(bucketOfUuid(row.persistref)) as Record<string, unknown> | undefined;
  const total = db.prepare('SELECT entries FROM ledger WHERE bucket = ?').pluck().get(TOTAL_ROW);
  db.close();
  return { row, bucket, total };
}

/** The item's record (UUID ‖ tag) in a bucket row's entries, if there. */
function recordIn(bucket: Record<string, unknown> | undefined, uuid: Buffer): Buffer | undefined {
  const entries = bucket?.['entries'] as Buffer | undefined;
  for (let at = 0; entries !== undefined && at < entries.length; at += RECORD) {
    if (entries.subarray(at, at + 16).equals(uuid)) return entries.subarray(at, at + RECORD);
  }
  return undefined;
}

/**
 * Restores the parts of a snapshot named in `parts`: the item's row; its
 * entry alone (its old record spliced into the bucket's current entries,
 * the bucket's sum left as it is); its whole bucket row; the sealed total.
 */
function restore(path: string, s: Snapshot, parts: ReadonlyArray<'row' | 'entry' | 'bucket' | 'total'>): void {
  const db = new Database(path);
  const uuid = s.row['persistref'] as Buffer;
  if (parts.includes('row')) {
    const { rowid: _rowid, ...values } = s.row;
    const now = db.prepare('SELECT rowid FROM genp WHERE persistref = ?').pluck().get(uuid) as number | undefined;
    if (now === undefined) insertRow(db, values);
    else writeRow(db, now, values);
  }
  if (parts.includes('entry')) {
    const old = recordIn(s.bucket, uuid)!;
    const current = db.prepare('SELECT * FROM ledger WHERE bucket = ?').get(bucketOfUuid(uuid)) as Record<string, unknown> | undefined;
    const kept: Buffer[] = [];
    const entries = (current?.['entries'] as Buffer | undefined) ?? Buffer.alloc(0);
    for (let at = 0; at < entries.length; at += RECORD) if (!entries.subarray(at, at + 16).equals(uuid)) kept.push(entries.subarray(at, at + RECORD));
    const spliced = Buffer.concat([...kept, old].sort((x, y) => x.subarray(0, 16).compare(y.subarray(0, 16))));
    const lanes = current ?? { s0: 0, s1: 0, s2: 0, s3: 0 };
    db.prepare('INSERT OR REPLACE INTO ledger VALUES (?, ?, ?, ?, ?, ?)').run(bucketOfUuid(uuid), lanes['s0'], lanes['s1'], lanes['s2'], lanes['s3'], spliced);
  }
  if (parts.includes('bucket')) db.prepare('INSERT OR REPLACE INTO ledger (bucket, s0, s1, s2, s3, entries) VALUES (@bucket, @s0, @s1, @s2, @s3, @entries)').run(s.bucket as object);
  if (parts.includes('total')) db.prepare('UPDATE ledger SET entries = ? WHERE bucket = ?').run(s.total, TOTAL_ROW);
  db.close();
}

/** A closed keychain with items in two ledger buckets; `a` (the first) was updated after the snapshot was taken. */
function updatedAfterSnapshot(): { tk: TempKeychain; items: TamperItem[]; before: Snapshot } {
  const tk = new TempKeychain();
  cleanups.push(() => tk.cleanup());
  const { owner } = clientsOf(tk.kc);
  const items = Array.from({ length: ITEMS_PER_BUCKET + 2 }, (_, i) => i).map((i) => addItem(owner, TAMPER_GROUPS[i % 2], `ledger-account-${i}`, `ledger-secret-${i}`));
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

/** The ledger bucket of an item (of its UUID: the persistent reference after the class code). */
const bucketOf = (it: TamperItem): number => bucketOfUuid(Buffer.from(it.pref).subarray(4));
function othersInOtherBuckets(items: TamperItem[]): TamperItem[] {
  const others = items.slice(1).filter((it) => bucketOf(it) !== bucketOf(items[0]));
  assert.ok(others.length > 0, 'items in another bucket');
  return others;
}

describe('the ledger: an item restored from an older copy of the file answers errSecDecode', () => {
  it('its row alone: errSecDecode for that item; every other item answers its current secret', () => {
    const { tk, items, before } = updatedAfterSnapshot();
    restore(tk.path, before, ['row']);
    tk.reopen();
    const { owner } = clientsOf(tk.kc);
    assert.equal(read(owner, items[0]).status, errSecDecode);
    for (const it of items.slice(1)) assert.deepEqual(read(owner, it), { status: errSecSuccess, data: it.secret });
  });

  it('its row and its ledger entry (the bucket sum left as it is): its bucket no longer adds up, which at open makes every item answer errSecDecode (a bucket that fails cannot be told from a forged one); deleting works', () => {
    const { tk, items, before } = updatedAfterSnapshot();
    restore(tk.path, before, ['row', 'entry']);
    tk.reopen();
    const { owner } = clientsOf(tk.kc);
    assert.equal(read(owner, items[0]).status, errSecDecode);
    for (const it of othersInOtherBuckets(items)) assert.equal(read(owner, it).status, errSecDecode);
    assert.equal(owner.SecItemDelete({ [kSecValuePersistentRef]: items[1]!.pref }), errSecSuccess);
  });

  it('its row and its whole ledger bucket (entries and sum): every item answers errSecDecode (the sealed total no longer adds up); writing is refused; deleting works', () => {
    const { tk, items, before } = updatedAfterSnapshot();
    restore(tk.path, before, ['row', 'bucket']);
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
    tk.kc.close();
    restore(tk.path, before, ['bucket']);
    tk.reopen();
    assert.equal(read(clientsOf(tk.kc).owner, items[0]).status, errSecDecode, 'row and whole bucket');
  });

  it('a bucket already checked by a read is checked again once its bytes change: a row and entry restored while the keychain is open answer errSecDecode', () => {
    const { tk, items, before } = updatedAfterSnapshot();
    tk.reopen();
    const { owner } = clientsOf(tk.kc);
    for (const it of items) assert.deepEqual(read(owner, it), { status: errSecSuccess, data: it.secret }, 'every bucket checked once');
    restore(tk.path, before, ['row', 'entry']); // through another connection, while this one stays open
    assert.equal(read(owner, items[0]).status, errSecDecode);
    for (const it of othersInOtherBuckets(items)) assert.deepEqual(read(owner, it), { status: errSecSuccess, data: it.secret });
  });

  it('a damaged or missing sealed total: every item answers errSecDecode, never a crash', () => {
    for (const damage of [`UPDATE ledger SET entries = randomblob(16) WHERE bucket = ${TOTAL_ROW}`, `UPDATE ledger SET entries = randomblob(48) WHERE bucket = ${TOTAL_ROW}`, `DELETE FROM ledger WHERE bucket = ${TOTAL_ROW}`]) {
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

  it('the documented limit: restoring everything written since a moment (row, bucket and total) is a whole-file rollback and is not detected', () => {
    const { tk, items, before } = updatedAfterSnapshot();
    restore(tk.path, before, ['row', 'bucket', 'total']);
    tk.reopen();
    assert.deepEqual(read(clientsOf(tk.kc).owner, items[0]), { status: errSecSuccess, data: 'ledger-secret-0' });
  });

  for (const [format, why] of [
    ['secitem keychain 1', 'made before the ledger'],
    ['secitem keychain 2', 'a ledger entry per row, a uniqueness column'],
    ['secitem keychain 3', 'ledger buckets by UUID bits, the total in the meta table'],
  ]) {
    it(`a keychain file of format "${format}" (${why}) is refused with errSecInvalidKeychain, not converted`, () => {
      const tk = new TempKeychain();
      cleanups.push(() => tk.cleanup());
      tk.kc.close();
      const db = new Database(tk.path);
      db.prepare("UPDATE meta SET value = ? WHERE key = 'format'").run(format);
      db.close();
      assert.throws(() => openKeychain({ path: tk.path }), (e: unknown) => e instanceof SecError && e.status === errSecInvalidKeychain);
    });
  }
});

describe('Ledger, on its own', () => {
  const fresh = (): { db: Database.Database; ledger: Ledger; hash: MultisetHash } => {
    const db = new Database(':memory:');
    db.exec(Ledger.ddl);
    const hash = new MultisetHash(randomBytes(32));
    Ledger.create(db, hash, 'keybag');
    const ledger = new Ledger(db, 4);
    ledger.start(hash, 'keybag');
    return { db, ledger, hash };
  };
  /** A UUID in `bucket`, at `slot` of its ITEMS_PER_BUCKET rows, ending in byte `tail`. */
  const uuid = (bucket: number, slot = 0, tail = 0): Buffer => {
    const u = Buffer.alloc(16);
    u.writeUIntBE(bucket * ITEMS_PER_BUCKET + slot, 0, 6);
    u[15] = tail;
    return u;
  };
  /** The bucket columns a read brings along with the row of `u`. */
  const columnsOf = (db: Database.Database, u: Buffer): BucketColumns =>
    (db.prepare('SELECT bucket, s0, s1, s2, s3, entries FROM ledger WHERE bucket = ?').get(bucketOfUuid(u)) as BucketColumns | undefined) ??
    { bucket: null, s0: null, s1: null, s2: null, s3: null, entries: null };

  it('vouches for the current tag only, and for no row it has no entry for', () => {
    const { db, ledger } = fresh();
    const u = randomBytes(16);
    const [t1, t2] = [randomBytes(16), randomBytes(16)];
    ledger.set(u, t1);
    assert.equal(ledger.vouchesFor(u, columnsOf(db, u), t1), true);
    ledger.set(u, t2);
    assert.equal(ledger.vouchesFor(u, columnsOf(db, u), t2), true);
    assert.equal(ledger.vouchesFor(u, columnsOf(db, u), t1), false, 'an older seal of the row');
    const stranger = Buffer.from(u);
    stranger[15] ^= 1; // same bucket, no entry
    assert.equal(ledger.vouchesFor(stranger, columnsOf(db, stranger), t2), false, 'no entry');
    ledger.remove(u);
    assert.equal(ledger.vouchesFor(u, columnsOf(db, u), t2), false, 'removed');
    assert.equal(db.prepare('SELECT count(*) FROM ledger WHERE bucket != ?').pluck().get(TOTAL_ROW), 0, 'an emptied bucket leaves no row');
    ledger.remove(u); // twice: nothing to do
  });

  it('keeps a bucket\'s entries sorted by UUID whatever the order of writes, and each one vouched for', () => {
    const { db, ledger } = fresh();
    const us = [5, 1, 3, 7, 0].map((slot) => uuid(0x00aa, slot, 0xff - slot));
    const tags = us.map(() => randomBytes(16));
    us.forEach((u, i) => ledger.set(u, tags[i]!));
    const entries = columnsOf(db, us[0]!).entries as Buffer;
    const order = Array.from({ length: entries.length / RECORD }, (_, r) => entries.subarray(r * RECORD, r * RECORD + 16).toString('hex'));
    assert.deepEqual(order, [...order].sort());
    us.forEach((u, i) => assert.equal(ledger.vouchesFor(u, columnsOf(db, u), tags[i]!), true));
  });

  it('buckets at the edges (the first, the last before the total\'s row) add up like any other; a stray entry spliced into one makes the whole ledger untrusted at open', () => {
    const { db, ledger, hash } = fresh();
    const edges = [uuid(0), uuid(0, ITEMS_PER_BUCKET - 1), uuid(1), uuid(MAX_BUCKET), Buffer.alloc(16, 0xff)];
    const tags = edges.map(() => randomBytes(16));
    edges.forEach((u, i) => ledger.set(u, tags[i]!));
    const reopened = new Ledger(db, 4);
    assert.equal(reopened.start(hash, 'keybag'), 'trusted');
    assert.deepEqual(edges.map((u, i) => reopened.vouchesFor(u, columnsOf(db, u), tags[i]!)), [true, true, true, true, true]);
    // A record spliced into bucket 1 behind the ledger's back.
    db.prepare('UPDATE ledger SET entries = entries || ? WHERE bucket = 1').run(Buffer.concat([uuid(1, ITEMS_PER_BUCKET - 1), randomBytes(16)]));
    const again = new Ledger(db, 4);
    assert.equal(again.start(hash, 'keybag'), 'untrusted');
    assert.deepEqual(edges.map((u, i) => again.vouchesFor(u, columnsOf(db, u), tags[i]!)), [false, false, false, false, false]);
  });

  it('a bucket row read for another item\'s bucket vouches for nothing', () => {
    const { db, ledger } = fresh();
    const [u, v] = [uuid(0x0a0a), uuid(0x0b0b)];
    const t = randomBytes(16);
    ledger.set(u, t);
    ledger.set(v, randomBytes(16));
    assert.equal(ledger.vouchesFor(u, columnsOf(db, v), t), false);
  });

  it('a ledger whose sums were written with another key vouches for nothing', () => {
    const { db, ledger } = fresh();
    const u = randomBytes(16);
    const t = randomBytes(16);
    ledger.set(u, t);
    const other = new Ledger(db, 4);
    other.start(new MultisetHash(randomBytes(32)), 'keybag');
    assert.equal(other.vouchesFor(u, columnsOf(db, u), t), false);
  });
});

describe('the ledger in a file whose columns hold the wrong types: errSecDecode, never a crash', () => {
  const damages: [string, string][] = [
    ['bucket entries holding a number', 'UPDATE ledger SET entries = 42'],
    ['bucket entries holding text', "UPDATE ledger SET entries = 'thirty-two characters of text...'"],
    ['bucket entries cut short of a whole record', 'UPDATE ledger SET entries = substr(entries, 1, 20)'],
    ['a bucket sum holding text', "UPDATE ledger SET s1 = 'not a sum'"],
    ['a bucket sum with a lane out of range', 'UPDATE ledger SET s2 = -1'],
    ['a bucket row past the last bucket', `INSERT INTO ledger VALUES (${MAX_BUCKET + 5}, 0, 0, 0, 0, x'')`],
    ['a bucket row before the first bucket', "INSERT INTO ledger VALUES (-1, 0, 0, 0, 0, x'')"],
    ['a bucket row moved to another bucket', `UPDATE ledger SET bucket = bucket + 1 WHERE bucket != ${TOTAL_ROW}`],
    ['a row whose blob is text', "UPDATE genp SET blob = 'a blob of text'"],
    ['a row whose persistent reference is a number', 'UPDATE genp SET persistref = 7'],
  ];
  for (const [what, sql] of damages) {
    it(what, () => {
      const tk = new TempKeychain();
      cleanups.push(() => tk.cleanup());
      const item = addItem(clientsOf(tk.kc).owner, TAMPER_GROUPS[0], 'typed-account', 'typed-secret');
      tk.kc.close();
      const db = new Database(tk.path);
      db.exec(sql);
      db.close();
      tk.reopen();
      const { owner } = clientsOf(tk.kc);
      assert.ok([errSecDecode, errSecItemNotFound].includes(read(owner, item).status), statusName(read(owner, item).status));
      const del = owner.SecItemDelete({ [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'tamper-service' });
      assert.equal(del, errSecSuccess, `deleting the damaged item: ${statusName(del)}`);
    });
  }
});

describe('updates keep each bucket adding up', () => {
  it('an update of one row and a bulk update of a whole bucket\'s rows (each rewriting the same bucket) leave every item answering its new secret', () => {
    const tk = new TempKeychain();
    cleanups.push(() => tk.cleanup());
    const { owner } = clientsOf(tk.kc);
    const items = Array.from({ length: ITEMS_PER_BUCKET + 3 }, (_, i) => addItem(owner, TAMPER_GROUPS[0], `bulk-${i}`, `bulk-secret-${i}`));
    assert.ok(new Set(items.map(bucketOf)).size < items.length, 'rows share buckets');
    const one = owner.SecItemUpdate({ [kSecValuePersistentRef]: items[1].pref }, { [kSecValueData]: new TextEncoder().encode('one-new') });
    assert.equal(one, errSecSuccess, statusName(one));
    const bulk = owner.SecItemUpdate({ [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'tamper-service' }, { [kSecValueData]: new TextEncoder().encode('all-new') });
    assert.equal(bulk, errSecSuccess, statusName(bulk));
    tk.kc.close();
    tk.reopen();
    for (const it of items) assert.deepEqual(read(clientsOf(tk.kc).owner, it), { status: errSecSuccess, data: 'all-new' }, it.account);
  });
});

describe('listings check the ledger as they read rows one at a time', () => {
  it('a kSecMatchLimitAll listing of 200 items answers all of them (each row checked with its bucket); with one replayed row it passes over that item (as Apple\'s server ignores a corrupt one), which alone answers errSecDecode', () => {
    const tk = new TempKeychain();
    cleanups.push(() => tk.cleanup());
    const { owner } = clientsOf(tk.kc);
    const items = Array.from({ length: 200 }, (_, i) => addItem(owner, TAMPER_GROUPS[i % 2], `listed-${i}`, `listed-secret-${i}`));
    const list = (): { status: number; count?: number } => {
      const r = clientsOf(tk.kc).owner.SecItemCopyMatching({ [kSecClass]: kSecClassGenericPassword, m_Limit: 'm_LimitAll', r_Data: true });
      return r.status === errSecSuccess ? { status: r.status, count: (r.result as unknown[]).length } : { status: r.status };
    };
    tk.kc.close();
    const before = snapshot(tk.path, items[7]);
    tk.reopen();
    assert.deepEqual(list(), { status: errSecSuccess, count: 200 });
    const s = clientsOf(tk.kc).owner.SecItemUpdate({ [kSecValuePersistentRef]: items[7].pref }, { [kSecValueData]: new Uint8Array([9]) });
    assert.equal(s, errSecSuccess);
    tk.kc.close();
    restore(tk.path, before, ['row']);
    tk.reopen();
    assert.deepEqual(list(), { status: errSecSuccess, count: 199 });
    assert.equal(read(clientsOf(tk.kc).owner, items[7]).status, errSecDecode);
  });
});
