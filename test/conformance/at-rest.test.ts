/**
 * At-rest protection: no plaintext on disk, tamper detection, and files that
 * are not keychains (issue 3 §5; design ARCHITECTURE.md "Keys and at-rest
 * protection"; reference §4.6: "errSecDecode → row skipped (treated as
 * absent)").
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  openKeychain,
  SecError,
  kSecAttrAccessGroup,
  kSecAttrAccessible,
  kSecAttrAccessibleWhenUnlocked,
  kSecAttrComment,
  kSecAttrGeneric,
  kSecAttrLabel,
  kSecAttrPath,
  kSecAttrDescription,
  kSecClass,
  kSecClassGenericPassword,
  kSecValueData,
  kSecValuePersistentRef,
  kSecReturnData,
  kSecReturnPersistentRef,
  kSecReturnAttributes,
  kSecMatchLimit,
  kSecMatchLimitAll,
  errSecSuccess,
  errSecDecode,
  errSecItemNotFound,
  errSecInteractionNotAllowed,
  errSecInvalidKeychain,
} from '../../src/index.js';
import {
  TempKeychain,
  type Client,
  genp,
  genpWithData,
  inet,
  utf8,
  ok,
  expectStatus,
  bytes,
  dict,
  array,
  sameBytes,
  statusName,
  tempDir,
  filesUnder,
} from '../helpers.js';

const cleanups: (() => void)[] = [];
after(() => {
  for (const c of cleanups) c();
});

function fresh(passcode?: string): TempKeychain {
  const tk = new TempKeychain(passcode);
  cleanups.push(() => tk.cleanup());
  return tk;
}

/** Asserts that none of the needles occurs in any file of the keychain's directory, in UTF-8, UTF-16LE or UTF-16BE. */
function assertNoPlaintext(dir: string, needles: readonly (string | Uint8Array)[], when: string): void {
  const files = filesUnder(dir);
  assert.ok(files.length > 0, 'the keychain directory has files');
  for (const file of files) {
    const content = readFileSync(file);
    for (const needle of needles) {
      const forms: [string, Buffer][] =
        typeof needle === 'string'
          ? [
              ['UTF-8', Buffer.from(needle, 'utf8')],
              ['UTF-16LE', Buffer.from(needle, 'utf16le')],
              ['UTF-16BE', Buffer.from(needle, 'utf16le').swap16()],
            ]
          : [['bytes', Buffer.from(needle)]];
      for (const [enc, b] of forms) {
        assert.equal(content.indexOf(b), -1, `${when}: ${file} contains ${JSON.stringify(typeof needle === 'string' ? needle : Buffer.from(needle).toString('hex'))} as ${enc}`);
      }
    }
  }
}

describe('"No secret and no caller-supplied attribute value is stored in plaintext in the database, its WAL or its journal"', () => {
  it('the bytes of the database, -wal, -journal and every other file beside it never contain the stored secrets or attribute values (UTF-8 and UTF-16)', () => {
    const tk = fresh();
    const group = 'SKMME9E2Y8.plaintextGroupZorkmid';
    const app = tk.client('SKMME9E2Y8.com.example.plaintext', [group]);
    const secrets = ['Sup3rS3cretPassw0rd-XYZZY', 'an0ther-s3cret-PLUGH-42', 'updated-s3cret-FROBOZZ-7'];
    const attrs = [
      'distinctive-service-Grue',
      'distinctive-account-Zork',
      'distinctive-label-Flathead',
      'distinctive-comment-Borphee',
      'distinctive-description-Quendor',
      'distinctive-server.example.org',
      '/distinctive/path/Aragain',
      group,
    ];
    const genericBytes = utf8('distinctive-generic-Bozbar');
    ok(app.SecItemAdd({
      ...genpWithData(attrs[0], attrs[1], secrets[0]),
      [kSecAttrLabel]: attrs[2],
      [kSecAttrComment]: attrs[3],
      [kSecAttrDescription]: attrs[4],
      [kSecAttrGeneric]: genericBytes,
      [kSecAttrAccessGroup]: group,
    }));
    ok(app.SecItemAdd(inet(attrs[5], attrs[1], { [kSecAttrPath]: attrs[6], [kSecValueData]: utf8(secrets[1]) })));
    // Exercise update and delete too: old and new values must not leak.
    ok(app.SecItemAdd(genpWithData(`${attrs[0]}-2`, `${attrs[1]}-2`, secrets[0])));
    expectStatus(app.SecItemUpdate(genp(`${attrs[0]}-2`, `${attrs[1]}-2`), { [kSecValueData]: utf8(secrets[2]) }), errSecSuccess);
    expectStatus(app.SecItemDelete(genp(`${attrs[0]}-2`)), errSecSuccess);
    // Everything is readable back, so the values really were stored.
    sameBytes(ok(app.SecItemCopyMatching(genp(attrs[0], attrs[1], { [kSecReturnData]: true }))), secrets[0]);
    const needles = [...secrets, ...attrs, genericBytes];
    assertNoPlaintext(tk.dir, needles, 'while open');
    tk.kc.close();
    assertNoPlaintext(tk.dir, needles, 'after close');
  });

  it('"device key file (0600)": the database and the key file beside it are readable by their owner only', () => {
    const tk = fresh();
    ok(tk.client().SecItemAdd(genpWithData('perm', 'a', 'p')));
    tk.kc.close();
    for (const file of filesUnder(tk.dir)) {
      if (/-(wal|shm|journal)$/.test(file)) continue;
      const mode = statSync(file).mode & 0o777;
      assert.equal(mode & 0o077, 0, `${file} has mode ${mode.toString(8)}`);
    }
  });
});

// ── tamper detection ─────────────────────────────────────────────────────────

interface Located {
  table: string;
  column: string;
  rowid: number;
}

/** The encrypted blob column of a table: named like one, else the longest BLOB column. */
function blobColumn(db: Database.Database, table: string): string {
  const cols = (db.prepare(`PRAGMA table_info("${table}")`).all() as { name: string; type: string }[]).map((c) => c.name);
  const named = cols.find((c) => /^(blob|data|sealed|ciphertext|encrypted)$/i.test(c)) ?? cols.find((c) => /blob|seal|cipher|encrypt/i.test(c));
  if (named !== undefined) return named;
  let best = '';
  let bestLen = -1;
  for (const c of cols) {
    const v = db.prepare(`SELECT "${c}" AS v FROM "${table}" LIMIT 1`).get() as { v: unknown } | undefined;
    if (v && Buffer.isBuffer(v.v) && v.v.length > bestLen) {
      best = c;
      bestLen = v.v.length;
    }
  }
  assert.ok(best !== '', `no blob column in ${table}`);
  return best;
}

/** Finds the row of an item by the UUID inside its persistent reference (pref = class code ‖ UUID). */
function locate(db: Database.Database, pref: Uint8Array): Located {
  const uuid = Buffer.from(pref.subarray(4));
  const classTable = Buffer.from(pref.subarray(0, 4)).toString('latin1');
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
  // The class table first: other tables (the ledger) also hold the UUID.
  for (const table of [classTable, ...tables.filter((t) => t !== classTable)]) {
    if (!tables.includes(table)) continue;
    const cols = (db.prepare(`PRAGMA table_info("${table}")`).all() as { name: string }[]).map((c) => c.name);
    for (const c of cols) {
      const row = db.prepare(`SELECT rowid AS id FROM "${table}" WHERE "${c}" = ?`).get(uuid) as { id: number } | undefined;
      if (row) return { table, column: blobColumn(db, table), rowid: row.id };
    }
  }
  assert.ok(tables.includes(classTable), `cannot find the row of persistent ref ${Buffer.from(pref).toString('hex')}`);
  throw new Error('persistent reference UUID not stored in any column');
}

function withDb<T>(path: string, fn: (db: Database.Database) => T): T {
  const db = new Database(path);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

function getBlob(db: Database.Database, at: Located): Buffer {
  const row = db.prepare(`SELECT "${at.column}" AS v FROM "${at.table}" WHERE rowid = ?`).get(at.rowid) as { v: unknown };
  assert.ok(Buffer.isBuffer(row.v), 'blob column holds bytes');
  return row.v;
}

function setBlob(db: Database.Database, at: Located, value: Buffer): void {
  db.prepare(`UPDATE "${at.table}" SET "${at.column}" = ? WHERE rowid = ?`).run(value, at.rowid);
}

const TAMPERED = [errSecDecode, errSecItemNotFound];

function expectTampered(outcome: { status: number; result?: unknown }, forbidden: readonly string[], what: string): void {
  assert.ok(TAMPERED.includes(outcome.status), `${what}: want errSecDecode or errSecItemNotFound, got ${statusName(outcome.status)}`);
  assert.equal(outcome.result, undefined, `${what}: no result with an error`);
  void forbidden;
}

/** A listing of all generic passwords with data must hold only `allowed` secrets (or fail with errSecDecode). */
function expectListingClean(app: Client, allowed: readonly string[], what: string): void {
  const all = app.SecItemCopyMatching({ [kSecClass]: kSecClassGenericPassword, [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnData]: true });
  if (all.status === errSecDecode || all.status === errSecItemNotFound) return;
  expectStatus(all.status, errSecSuccess, what);
  for (const d of array(all.result)) {
    const s = Buffer.from(bytes(d)).toString('utf8');
    assert.ok(allowed.includes(s), `${what}: listing returned ${JSON.stringify(s)}`);
  }
}

describe('"a tampered row gives errSecDecode for that item (or, as Apple\'s server does, is treated as absent) and never wrong data"', () => {
  function twoItems(passcode?: string): { tk: TempKeychain; prefA: Uint8Array; prefB: Uint8Array } {
    const tk = fresh(passcode);
    const app = tk.client();
    const prefA = bytes(ok(app.SecItemAdd(genpWithData('tamper', 'alice', 'alice-secret', { [kSecReturnPersistentRef]: true }))));
    const prefB = bytes(ok(app.SecItemAdd(genpWithData('tamper', 'bob', 'bob-secret', { [kSecReturnPersistentRef]: true }))));
    tk.kc.close();
    return { tk, prefA, prefB };
  }

  for (const [where, offset] of [
    ['the first byte', (): number => 0],
    ['a middle byte', (n: number): number => Math.floor(n / 2)],
    ['the last byte', (n: number): number => n - 1],
  ] as const) {
    it(`flipping ${where} of the encrypted blob: that item → errSecDecode or errSecItemNotFound; the other item still reads correctly`, () => {
      const { tk, prefA } = twoItems();
      withDb(tk.path, (db) => {
        const at = locate(db, prefA);
        const blob = Buffer.from(getBlob(db, at));
        blob[offset(blob.length)] ^= 0x01;
        setBlob(db, at, blob);
      });
      tk.reopen();
      const app = tk.client();
      expectTampered(app.SecItemCopyMatching(genp('tamper', 'alice', { [kSecReturnData]: true })), ['bob-secret'], 'by attributes');
      expectTampered(app.SecItemCopyMatching({ [kSecValuePersistentRef]: prefA, [kSecReturnData]: true }), ['bob-secret'], 'by persistent ref');
      sameBytes(ok(app.SecItemCopyMatching(genp('tamper', 'bob', { [kSecReturnData]: true })), 'the untouched item'), 'bob-secret');
      expectListingClean(app, ['bob-secret'], 'listing');
      // "Delete always works", also on a damaged item.
      expectStatus(app.SecItemDelete(genp('tamper', 'alice')), errSecSuccess, 'delete of the damaged item');
    });
  }

  it('"a ciphertext moved or altered is detected (errSecDecode), never returned": swapping the blobs of two rows returns neither secret for the wrong item', () => {
    const { tk, prefA, prefB } = twoItems();
    withDb(tk.path, (db) => {
      const a = locate(db, prefA);
      const b = locate(db, prefB);
      const blobA = getBlob(db, a);
      const blobB = getBlob(db, b);
      setBlob(db, a, blobB);
      setBlob(db, b, blobA);
    });
    tk.reopen();
    const app = tk.client();
    expectTampered(app.SecItemCopyMatching(genp('tamper', 'alice', { [kSecReturnData]: true, [kSecReturnAttributes]: true })), [], 'alice');
    expectTampered(app.SecItemCopyMatching(genp('tamper', 'bob', { [kSecReturnData]: true, [kSecReturnAttributes]: true })), [], 'bob');
    expectTampered(app.SecItemCopyMatching({ [kSecValuePersistentRef]: prefA, [kSecReturnData]: true }), [], 'alice by ref');
    expectListingClean(app, [], 'listing');
  });

  it('copying one row\'s blob over another (a replay of a sealed item into a different row) is detected', () => {
    const { tk, prefA, prefB } = twoItems();
    withDb(tk.path, (db) => setBlob(db, locate(db, prefA), getBlob(db, locate(db, prefB))));
    tk.reopen();
    const app = tk.client();
    expectTampered(app.SecItemCopyMatching(genp('tamper', 'alice', { [kSecReturnData]: true })), [], 'alice now holding bob\'s blob');
    sameBytes(ok(app.SecItemCopyMatching(genp('tamper', 'bob', { [kSecReturnData]: true }))), 'bob-secret');
  });

  it('relabelling a WhenUnlocked row as Always in the database does not make its secret readable while locked', () => {
    const PASS = 'tamper-pass';
    const tk = fresh(PASS);
    const app0 = tk.client();
    const pref = bytes(ok(app0.SecItemAdd(genpWithData('relabel', 'a', 'locked-secret', { [kSecAttrAccessible]: kSecAttrAccessibleWhenUnlocked, [kSecReturnPersistentRef]: true }))));
    tk.kc.close();
    let changed = 0;
    withDb(tk.path, (db) => {
      const at = locate(db, pref);
      const cols = (db.prepare(`PRAGMA table_info("${at.table}")`).all() as { name: string }[]).map((c) => c.name);
      for (const c of cols) {
        const v = db.prepare(`SELECT "${c}" AS v FROM "${at.table}" WHERE rowid = ?`).get(at.rowid) as { v: unknown };
        if (v.v === kSecAttrAccessibleWhenUnlocked) {
          db.prepare(`UPDATE "${at.table}" SET "${c}" = 'dk' WHERE rowid = ?`).run(at.rowid);
          changed += 1;
        }
      }
    });
    const kc = tk.reopen(PASS);
    expectStatus(kc.lock(), errSecSuccess);
    const app = tk.client();
    const outcome = app.SecItemCopyMatching(genp('relabel', 'a', { [kSecReturnData]: true }));
    assert.ok(
      [errSecDecode, errSecItemNotFound, errSecInteractionNotAllowed].includes(outcome.status),
      `got ${statusName(outcome.status)} (${changed} protection column(s) relabelled)`,
    );
    assert.equal(outcome.result, undefined);
  });
});

describe('"a file that is not a keychain throws SecError(errSecInvalidKeychain) and is never overwritten"', () => {
  function expectInvalid(path: string): void {
    const before = readFileSync(path);
    assert.throws(
      () => openKeychain({ path }),
      (e: unknown) => e instanceof SecError && e.status === errSecInvalidKeychain,
    );
    assert.ok(readFileSync(path).equals(before), 'the file is byte-identical');
    assert.ok(!existsSync(`${path}-wal`) || statSync(`${path}-wal`).size === 0, 'no WAL written');
  }

  it('a text file', () => {
    const dir = tempDir();
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'notes.keychain-db');
    writeFileSync(path, 'these are my notes, not a keychain\n'.repeat(20));
    expectInvalid(path);
  });

  it('an SQLite database of some other program', () => {
    const dir = tempDir();
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'other.db');
    const db = new Database(path);
    db.exec("CREATE TABLE genp (acct TEXT, svce TEXT); INSERT INTO genp VALUES ('x', 'y');");
    db.close();
    expectInvalid(path);
  });

  it('an empty file', () => {
    const dir = tempDir();
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'empty.keychain-db');
    writeFileSync(path, '');
    expectInvalid(path);
  });

  it('a keychain reopened after close keeps its items (it is a keychain)', () => {
    const tk = fresh();
    ok(tk.client().SecItemAdd(genpWithData('persist', 'a', 'kept')));
    tk.reopen();
    const d = dict(ok(tk.client().SecItemCopyMatching(genp('persist', 'a', { [kSecReturnData]: true, [kSecReturnAttributes]: true }))));
    sameBytes(d[kSecValueData], 'kept');
  });
});
