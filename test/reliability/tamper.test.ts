/**
 * Tamper and corruption (issue 5 §2), beyond test/conformance/at-rest.test.ts:
 * truncated and extended blobs, blobs copied into another access group's
 * row, rows relabelled into another group's index, swapped persistent
 * references, replayed old rows, resurrected deleted rows; damaged or
 * missing device-key files and damaged keybags at open.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { openKeychain, SecError, errSecDecode, errSecInvalidKeychain, errSecAuthFailed, errSecSuccess, kSecAttrService, kSecClass, kSecClassGenericPassword, kSecValueData } from '../../src/index.js';
import { TempKeychain, statusName } from '../helpers.js';
import { Rng, integrityCheck } from './harness/common.js';
import { TAMPER_GROUPS, addItem, applyTamper, checkAfterTamper, clientsOf, read, rowOf, runTamper, writeRow, type TamperItem, type TamperKind } from './harness/tamper.js';

const cleanups: (() => void)[] = [];
after(() => {
  for (const c of cleanups) c();
});

function setup(passcode?: string): { tk: TempKeychain; items: TamperItem[] } {
  const tk = new TempKeychain(passcode);
  cleanups.push(() => tk.cleanup());
  const { owner } = clientsOf(tk.kc);
  const items = [0, 1, 2, 3].map((i) => addItem(owner, TAMPER_GROUPS[i % 2], `fixed-account-${i}`, `fixed-secret-${i}-Zanzibar`));
  tk.kc.close();
  return { tk, items };
}

describe('row tampering: the affected item answers errSecDecode or errSecItemNotFound, never another item\'s bytes nor its own earlier ones; the rest keeps working', () => {
  for (const kind of ['truncate', 'extend', 'copyBlobAcrossGroups', 'relabelGroupIndex', 'swapPersistrefs', 'copyIndexColumns'] as TamperKind[]) {
    it(kind, () => {
      const { tk, items } = setup();
      const affected = applyTamper(tk.path, kind, items, new Rng(7), new Map(), []);
      assert.ok(affected.size > 0);
      tk.reopen();
      checkAfterTamper(tk.kc, items, affected, kind);
      // copyIndexColumns gives a's row b's index columns: b's own row may then answer first, with b's own data
      // (checkAfterTamper allows that); a's row can only be detected.
      const mustFail = kind === 'copyIndexColumns' ? [...affected].slice(0, 1) : [...affected];
      for (const it of mustFail) assert.notEqual(read(clientsOf(tk.kc).owner, it).status, errSecSuccess, `${kind}: ${it.account} is detected`);
    });
  }

  it('a blob copied into another access group\'s row is not readable by a client of that group alone', () => {
    const { tk, items } = setup();
    const [a, b] = [items[0], items[1]]; // groups one and two
    const db = new Database(tk.path);
    writeRow(db, rowOf(db, b.pref).rowid, { blob: rowOf(db, a.pref).blob });
    db.close();
    tk.reopen();
    const two = clientsOf(tk.kc).two;
    const r = read(two, b);
    assert.ok(r.status !== errSecSuccess, `client two read ${r.data}`);
  });

  it('replaying an old version of a row after an update is detected (errSecDecode): never another item\'s bytes, never its own earlier secret', () => {
    const { tk, items } = setup();
    const a = items[0];
    const db = new Database(tk.path);
    const old = rowOf(db, a.pref);
    db.close();
    tk.reopen();
    const { owner } = clientsOf(tk.kc);
    const s = owner.SecItemUpdate({ [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'tamper-service', 'acct': a.account, 'agrp': a.group }, { [kSecValueData]: new TextEncoder().encode('fixed-secret-0-new-Zanzibar') });
    assert.equal(s, errSecSuccess, statusName(s));
    a.earlier.push(a.secret);
    a.secret = 'fixed-secret-0-new-Zanzibar';
    tk.kc.close();
    const raw = new Database(tk.path);
    const { rowid: _rowid, ...values } = old;
    writeRow(raw, rowOf(raw, a.pref).rowid, values);
    raw.close();
    tk.reopen();
    const r = read(clientsOf(tk.kc).owner, a);
    assert.equal(r.status, errSecDecode, `the replayed row answered ${statusName(r.status)} ${JSON.stringify(r.data)}`);
    checkAfterTamper(tk.kc, items, new Set([a]), 'replayOldRow');
  });

  it('60 random tamper cases (flip, truncate, extend, swap, cross-group copy, index relabel, persistref swap, replay, resurrection)', () => {
    const report = runTamper({ cases: 60, seed: 0x7a3e });
    assert.deepEqual(report.failures, [], report.failures.join('\n'));
    assert.equal(report.cases, 60);
  });
});

// ── damaged device key and keybag ────────────────────────────────────────────

function snapshotFiles(path: string): Map<string, Buffer | null> {
  const out = new Map<string, Buffer | null>();
  for (const f of [path, `${path}.devicekey`]) {
    try {
      out.set(f, readFileSync(f));
    } catch {
      out.set(f, null);
    }
  }
  return out;
}

function expectInvalidAtOpen(path: string, what: string, passcode?: string, alsoAllowed: number[] = []): void {
  const before = snapshotFiles(path);
  let thrown: unknown;
  try {
    openKeychain(passcode === undefined ? { path } : { path, passcode }).close();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown instanceof SecError, `${what}: want SecError(errSecInvalidKeychain), got ${thrown === undefined ? 'a keychain' : String((thrown as Error)?.stack ?? thrown)}`);
  assert.ok([errSecInvalidKeychain, ...alsoAllowed].includes(thrown.status), `${what}: got ${statusName(thrown.status)}`);
  const afterFiles = snapshotFiles(path);
  for (const [f, b] of before) {
    const now = afterFiles.get(f);
    assert.ok(b === null ? now === null : now !== null && now !== undefined && now.equals(b), `${what}: ${f} was ${b === null ? 're-created' : 'changed'}`);
  }
}

function keychainWithItem(passcode?: string): TempKeychain {
  const tk = new TempKeychain(passcode);
  cleanups.push(() => tk.cleanup());
  const { owner } = clientsOf(tk.kc);
  addItem(owner, TAMPER_GROUPS[0], 'keybag-account', 'keybag-secret');
  tk.kc.close();
  return tk;
}

describe('a damaged or missing device key gives SecError(errSecInvalidKeychain) at open; nothing is re-created or changed', () => {
  const cases: [string, (file: string) => void][] = [
    ['missing', (f) => rmSync(f)],
    ['empty', (f) => writeFileSync(f, '')],
    ['31 bytes', (f) => writeFileSync(f, readFileSync(f).subarray(0, 31))],
    ['33 bytes', (f) => writeFileSync(f, Buffer.concat([readFileSync(f), Buffer.of(0)]))],
    ['one bit flipped', (f) => {
      const b = readFileSync(f);
      b[5] ^= 0x10;
      writeFileSync(f, b);
    }],
    ['another keychain\'s key', (f) => writeFileSync(f, Buffer.alloc(32, 7))],
    ['a directory', (f) => {
      rmSync(f);
      mkdirSync(f);
    }],
  ];
  for (const [what, damage] of cases) {
    it(what, () => {
      const tk = keychainWithItem();
      damage(`${tk.path}.devicekey`);
      expectInvalidAtOpen(tk.path, `device key ${what}`);
      if (what === 'missing') assert.ok(!existsSync(`${tk.path}.devicekey`), 'the device key file was not re-created');
    });
  }
});

describe('a damaged keybag (the keybag row of the meta table) gives SecError(errSecInvalidKeychain) at open, never a crash; nothing is changed', () => {
  const flip = (b64: string): string => {
    const b = Buffer.from(b64, 'base64');
    b[b.length - 1] ^= 1;
    return b.toString('base64');
  };
  const cases: [string, (record: Record<string, unknown>) => unknown][] = [
    ['not JSON', () => 'not json {'],
    ['an empty object', () => ({})],
    ['JSON null', () => null],
    ['version 2', (r) => ({ ...r, version: 2 })],
    ['wrapped is null', (r) => ({ ...r, wrapped: null })],
    ['the Always class key flipped', (r) => ({ ...r, wrapped: { ...(r['wrapped'] as object), dk: flip((r['wrapped'] as Record<string, string>)['dk']) } })],
    ['the AfterFirstUnlock class key flipped', (r) => ({ ...r, wrapped: { ...(r['wrapped'] as object), ck: flip((r['wrapped'] as Record<string, string>)['ck']) } })],
    ['the Always class key missing', (r) => ({ ...r, wrapped: { ...(r['wrapped'] as object), dk: undefined } })],
    ['a wrapped key that is a number', (r) => ({ ...r, wrapped: { ...(r['wrapped'] as object), dk: 5 } })],
    ['a wrapped key that is an object', (r) => ({ ...r, wrapped: { ...(r['wrapped'] as object), dku: { a: 1 } } })],
    ['kdf is a string', (r) => ({ ...r, kdf: 'scrypt' })],
  ];
  for (const [what, damage] of cases) {
    it(what, () => {
      const tk = keychainWithItem();
      const db = new Database(tk.path);
      const record = JSON.parse(String(db.prepare("SELECT value FROM meta WHERE key = 'keybag'").pluck(true).get())) as Record<string, unknown>;
      const damaged = damage(record);
      db.prepare("UPDATE meta SET value = ? WHERE key = 'keybag'").run(typeof damaged === 'string' ? damaged : JSON.stringify(damaged));
      db.close();
      expectInvalidAtOpen(tk.path, `keybag ${what}`);
    });
  }

  it('the keybag row deleted', () => {
    const tk = keychainWithItem();
    const db = new Database(tk.path);
    db.prepare("DELETE FROM meta WHERE key = 'keybag'").run();
    db.close();
    expectInvalidAtOpen(tk.path, 'keybag deleted');
  });

  it('the keybag stored as random bytes', () => {
    const tk = keychainWithItem();
    const db = new Database(tk.path);
    db.prepare("UPDATE meta SET value = ? WHERE key = 'keybag'").run(Buffer.from([0xff, 0x00, 0x7b, 0x22]));
    db.close();
    expectInvalidAtOpen(tk.path, 'keybag bytes');
  });

  it('the device check row deleted', () => {
    const tk = keychainWithItem();
    const db = new Database(tk.path);
    db.prepare("DELETE FROM meta WHERE key = 'deviceCheck'").run();
    db.close();
    expectInvalidAtOpen(tk.path, 'deviceCheck deleted');
  });

  for (const [what, kdf] of [
    ['N not a power of two', { N: 3, r: 8, p: 1 }],
    ['N absurdly large', { N: 2 ** 40, r: 8, p: 1 }],
    ['salt missing', { N: 2 ** 15, r: 8, p: 1, salt: undefined }],
  ] as const) {
    it(`with a passcode, damaged KDF parameters (${what}): errSecInvalidKeychain (or errSecAuthFailed), not an exception of another kind`, () => {
      const tk = keychainWithItem('pass-1234');
      const db = new Database(tk.path);
      const record = JSON.parse(String(db.prepare("SELECT value FROM meta WHERE key = 'keybag'").pluck(true).get())) as { kdf: Record<string, unknown> };
      record.kdf = { ...record.kdf, ...kdf };
      db.prepare("UPDATE meta SET value = ? WHERE key = 'keybag'").run(JSON.stringify(record));
      db.close();
      expectInvalidAtOpen(tk.path, `kdf ${what}`, 'pass-1234', [errSecAuthFailed]);
    });
  }

  it('after every damaged open above, an undamaged keychain still passes integrity_check', () => {
    const tk = keychainWithItem();
    assert.equal(integrityCheck(tk.path), 'ok');
  });
});
