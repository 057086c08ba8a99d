/**
 * Random tampering with a closed keychain's rows: flip or truncate a blob,
 * swap two items' blobs, copy a blob into another access group's row,
 * relabel a row's access-group index, swap persistent references, replay an
 * old version of a row after an update, resurrect a deleted row. After each
 * tamper the keychain is reopened and
 *   - every item answers its own current bytes, errSecDecode or
 *     errSecItemNotFound, never an earlier secret of its own (the ledger
 *     catches replayed and resurrected rows) and never another item's
 *     bytes, through an owner and through a client of another group;
 *   - every item the tamper did not touch is still readable by a precise query;
 *   - no listing returns bytes that belong to another item.
 * Then the tampered items are deleted and re-added, and the next case runs.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  openKeychain,
  kSecAttrAccessGroup,
  kSecAttrAccount,
  kSecAttrService,
  kSecClass,
  kSecClassGenericPassword,
  kSecMatchLimit,
  kSecMatchLimitAll,
  kSecReturnData,
  kSecReturnPersistentRef,
  kSecValueData,
  kSecValuePersistentRef,
  errSecDecode,
  errSecItemNotFound,
  errSecSuccess,
} from '../../../src/index.js';
import { statusName, type Client, type Keychain } from '../../helpers.js';
import { Rng, integrityCheck } from './common.js';

export const TAMPER_GROUPS = ['TAMPTEAM.grp-one', 'TAMPTEAM.grp-two'] as const;
const SERVICE = 'tamper-service';

export interface TamperItem {
  group: string;
  account: string;
  secret: string;
  /** Secrets this item held before (a replayed row may answer one of them). */
  earlier: string[];
  pref: Uint8Array;
}

export type Row = Record<string, unknown> & { rowid: number; persistref: Buffer; blob: Buffer };

export const tamperKinds = ['flip', 'truncate', 'extend', 'swapBlobs', 'copyBlobAcrossGroups', 'relabelGroupIndex', 'swapPersistrefs', 'replayOldRow', 'resurrectDeletedRow', 'copyIndexColumns'] as const;
export type TamperKind = (typeof tamperKinds)[number];

export function rowOf(db: Database.Database, pref: Uint8Array): Row {
  const row = db.prepare('SELECT rowid, * FROM genp WHERE persistref = ?').get(Buffer.from(pref.subarray(4))) as Row | undefined;
  assert.ok(row, 'row of the item');
  return row;
}

export function writeRow(db: Database.Database, rowid: number, values: Record<string, unknown>): void {
  const cols = Object.keys(values).filter((c) => c !== 'rowid');
  db.prepare(`UPDATE genp SET ${cols.map((c) => `"${c}" = ?`).join(', ')} WHERE rowid = ?`).run(...cols.map((c) => values[c]), rowid);
}

export function insertRow(db: Database.Database, values: Record<string, unknown>): void {
  const cols = Object.keys(values).filter((c) => c !== 'rowid');
  db.prepare(`INSERT INTO genp (${cols.map((c) => `"${c}"`).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`).run(...cols.map((c) => values[c]));
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

export function clientsOf(kc: Keychain): { owner: Client; one: Client; two: Client } {
  return {
    owner: kc.client({ applicationIdentifier: 'TAMPTEAM.app', keychainAccessGroups: [...TAMPER_GROUPS] }),
    one: kc.client({ applicationIdentifier: 'TAMPTEAM.one', keychainAccessGroups: [TAMPER_GROUPS[0]] }),
    two: kc.client({ applicationIdentifier: 'TAMPTEAM.two', keychainAccessGroups: [TAMPER_GROUPS[1]] }),
  };
}

export function addItem(client: Client, group: string, account: string, secret: string): TamperItem {
  const r = client.SecItemAdd({
    [kSecClass]: kSecClassGenericPassword,
    [kSecAttrService]: SERVICE,
    [kSecAttrAccount]: account,
    [kSecAttrAccessGroup]: group,
    [kSecValueData]: enc(secret),
    [kSecReturnPersistentRef]: true,
  });
  assert.equal(r.status, errSecSuccess, `add ${account}: ${statusName(r.status)}`);
  return { group, account, secret, earlier: [], pref: r.result as Uint8Array };
}

/** The data a precise query for `item` answers through `client`. */
export function read(client: Client, item: TamperItem, withGroup = true): { status: number; data?: string } {
  const r = client.SecItemCopyMatching({
    [kSecClass]: kSecClassGenericPassword,
    [kSecAttrService]: SERVICE,
    [kSecAttrAccount]: item.account,
    ...(withGroup ? { [kSecAttrAccessGroup]: item.group } : {}),
    [kSecReturnData]: true,
  });
  return r.status === errSecSuccess ? { status: r.status, data: Buffer.from(r.result as Uint8Array).toString('utf8') } : { status: r.status };
}

/**
 * Checks the invariants after a tamper: items in `affected` answer their
 * current bytes, errSecDecode or errSecItemNotFound (never an earlier
 * secret: the ledger catches replayed and resurrected rows); the
 * others answer exactly their current bytes; no client ever sees bytes of
 * an item it asked nothing about; listings hold only the lister's own items' bytes.
 */
export function checkAfterTamper(kc: Keychain, items: readonly TamperItem[], affected: ReadonlySet<TamperItem>, what: string): void {
  const clients = clientsOf(kc);
  const ownerOf = new Map<string, TamperItem>();
  for (const it of items) for (const s of [it.secret, ...it.earlier]) ownerOf.set(s, it);
  for (const it of items) {
    for (const [name, client] of Object.entries(clients)) {
      const entitled = name === 'owner' || (name === 'one' ? it.group === TAMPER_GROUPS[0] : it.group === TAMPER_GROUPS[1]);
      for (const withGroup of [true, false]) {
        if (withGroup && !entitled) continue; // asking for a group one lacks is errSecMissingEntitlement
        const r = read(client, it, withGroup);
        const where = `${what}: ${name} reading ${it.account}${withGroup ? ' in its group' : ''}`;
        if (r.status === errSecSuccess) {
          const owner = ownerOf.get(r.data!);
          assert.ok(owner !== undefined, `${where}: returned unknown bytes ${JSON.stringify(r.data)}`);
          assert.equal(owner, it, `${where}: returned ${owner.account}/${owner.group}'s secret`);
          assert.ok(entitled, `${where}: a client without the item's group read it`);
          assert.equal(r.data, it.secret, `${where}: answered an earlier secret of its own (a replayed or resurrected row went undetected)`);
        } else {
          assert.ok(affected.has(it) || !entitled, `${where}: an untouched item answered ${statusName(r.status)}`);
          assert.ok([errSecDecode, errSecItemNotFound].includes(r.status), `${where}: ${statusName(r.status)}`);
        }
      }
    }
  }
  // Listings: each lister sees only items of its groups, with their own bytes.
  for (const [name, client] of Object.entries(clients)) {
    const r = client.SecItemCopyMatching({ [kSecClass]: kSecClassGenericPassword, [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnData]: true });
    if (r.status !== errSecSuccess) {
      assert.ok([errSecDecode, errSecItemNotFound].includes(r.status), `${what}: listing by ${name}: ${statusName(r.status)}`);
      continue;
    }
    for (const d of r.result as Uint8Array[]) {
      const owner = ownerOf.get(Buffer.from(d).toString('utf8'));
      assert.ok(owner !== undefined, `${what}: listing by ${name} returned unknown bytes`);
      assert.ok(name === 'owner' || (name === 'one') === (owner.group === TAMPER_GROUPS[0]), `${what}: listing by ${name} returned ${owner.account}/${owner.group}`);
    }
  }
}

export interface TamperReport {
  cases: number;
  byKind: Record<string, number>;
  /** Tampered items that still answered data (necessarily their own current data). */
  ownDataAnswers: number;
  failures: string[];
}

/** Applies one random tamper of `kind` to the closed keychain; returns the affected items. */
export function applyTamper(path: string, kind: TamperKind, items: TamperItem[], rng: Rng, history: Map<TamperItem, Row[]>, deleted: { item: TamperItem; row: Row }[]): Set<TamperItem> {
  const db = new Database(path);
  try {
    const a = rng.pick(items);
    let b = rng.pick(items);
    while (b === a) b = rng.pick(items);
    const ra = rowOf(db, a.pref);
    const rb = rowOf(db, b.pref);
    switch (kind) {
      case 'flip': {
        const blob = Buffer.from(ra.blob);
        blob[rng.int(blob.length)] ^= 1 << rng.int(8);
        writeRow(db, ra.rowid, { blob });
        return new Set([a]);
      }
      case 'truncate':
        writeRow(db, ra.rowid, { blob: ra.blob.subarray(0, rng.int(ra.blob.length)) });
        return new Set([a]);
      case 'extend':
        writeRow(db, ra.rowid, { blob: Buffer.concat([ra.blob, Buffer.from([rng.int(256)])]) });
        return new Set([a]);
      case 'swapBlobs':
        writeRow(db, ra.rowid, { blob: rb.blob });
        writeRow(db, rb.rowid, { blob: ra.blob });
        return new Set([a, b]);
      case 'copyBlobAcrossGroups': {
        const other = items.find((x) => x.group !== a.group) ?? b;
        writeRow(db, rowOf(db, other.pref).rowid, { blob: ra.blob });
        return new Set([other]);
      }
      case 'relabelGroupIndex': {
        const other = items.find((x) => x.group !== a.group);
        if (other === undefined) return new Set();
        writeRow(db, ra.rowid, { h_agrp: rowOf(db, other.pref)['h_agrp'] });
        return new Set([a]);
      }
      case 'swapPersistrefs':
        writeRow(db, ra.rowid, { persistref: Buffer.alloc(16) });
        writeRow(db, rb.rowid, { persistref: ra.persistref });
        writeRow(db, ra.rowid, { persistref: rb.persistref });
        return new Set([a, b]);
      case 'copyIndexColumns': {
        // a's row takes b's index columns, but for one key column no query here names (h_tkid), made unique.
        const idx: Record<string, unknown> = { h_tkid: Buffer.from(rng.hex(16), 'hex') };
        for (const c of Object.keys(rb)) if (c.startsWith('h_') && c !== 'h_tkid') idx[c] = rb[c];
        writeRow(db, ra.rowid, idx);
        return new Set([a, b]);
      }
      case 'replayOldRow': {
        const old = history.get(a)?.[0];
        if (old === undefined) return new Set();
        const { rowid: _rowid, ...values } = old;
        writeRow(db, ra.rowid, values);
        return new Set([a]);
      }
      case 'resurrectDeletedRow': {
        const gone = deleted.shift();
        if (gone === undefined) return new Set();
        // Only if its unique keys are free again.
        const { rowid: _rowid, ...values } = gone.row;
        try {
          insertRow(db, values);
        } catch (e) {
          if ((e as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT')) return new Set();
          throw e;
        }
        items.push(gone.item);
        return new Set([gone.item]);
      }
    }
  } finally {
    db.close();
  }
}

/** Random tamper cases on one keychain of 8 items in two groups. */
export function runTamper(options: { cases: number; seed: number }): TamperReport {
  const rng = new Rng(options.seed);
  const dir = mkdtempSync(join(tmpdir(), 'secitem-tamper-'));
  const path = join(dir, 'tamper.keychain-db');
  const report: TamperReport = { cases: 0, byKind: {}, ownDataAnswers: 0, failures: [] };
  let kc = openKeychain({ path });
  let items: TamperItem[] = [];
  let serial = 0;
  const history = new Map<TamperItem, Row[]>();
  const deleted: { item: TamperItem; row: Row }[] = [];
  const fresh = (client: Client, group: string): TamperItem => {
    serial += 1;
    return addItem(client, group, `tamper-account-${serial}`, `tamper-secret-${serial}-${rng.hex(4)}`);
  };
  try {
    let owner = clientsOf(kc).owner;
    for (let i = 0; i < 8; i++) items.push(fresh(owner, TAMPER_GROUPS[i % 2]));
    for (let c = 0; c < options.cases; c++) {
      // Now and then update an item (keeping its old row) or delete one (keeping its row), for the replays.
      kc.close();
      {
        const db = new Database(path);
        const it = rng.pick(items);
        history.set(it, [rowOf(db, it.pref)]);
        if (rng.next() < 0.3) {
          const victim = rng.pick(items.filter((x) => x !== it));
          deleted.push({ item: { ...victim }, row: rowOf(db, victim.pref) });
        }
        db.close();
      }
      kc = openKeychain({ path });
      owner = clientsOf(kc).owner;
      for (const [it] of history) {
        const next = `tamper-secret-${++serial}-${rng.hex(4)}`;
        const s = owner.SecItemUpdate({ [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: SERVICE, [kSecAttrAccount]: it.account, [kSecAttrAccessGroup]: it.group }, { [kSecValueData]: enc(next) });
        assert.equal(s, errSecSuccess);
        it.earlier.push(it.secret);
        it.secret = next;
      }
      for (const d of deleted) {
        const idx = items.findIndex((x) => x.pref === d.item.pref || Buffer.from(x.pref).equals(Buffer.from(d.item.pref)));
        if (idx === -1) continue;
        const s = owner.SecItemDelete({ [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: SERVICE, [kSecAttrAccount]: items[idx].account, [kSecAttrAccessGroup]: items[idx].group });
        assert.equal(s, errSecSuccess);
        items.splice(idx, 1);
        items.push(fresh(owner, rng.pick(TAMPER_GROUPS)));
      }
      kc.close();
      const kind = rng.pick(tamperKinds);
      const affected = applyTamper(path, kind, items, rng, history, deleted);
      history.clear();
      report.cases += 1;
      report.byKind[kind] = (report.byKind[kind] ?? 0) + 1;
      kc = openKeychain({ path });
      try {
        checkAfterTamper(kc, items, affected, `case ${c} (${kind})`);
        for (const it of affected) if (read(clientsOf(kc).owner, it).status === errSecSuccess) report.ownDataAnswers += 1;
      } catch (e) {
        report.failures.push((e as Error).message);
      }
      // Repair: delete the affected items (delete works on damaged rows) and add new ones. By persistent
      // reference; a row no longer at its UUID's rowid (moved, or brought back elsewhere) by its attributes.
      owner = clientsOf(kc).owner;
      for (const it of affected) {
        const byRef = owner.SecItemDelete({ [kSecValuePersistentRef]: it.pref });
        const st =
          byRef === errSecItemNotFound
            ? owner.SecItemDelete({ [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: SERVICE, [kSecAttrAccount]: it.account, [kSecAttrAccessGroup]: it.group })
            : byRef;
        if (st !== errSecSuccess) report.failures.push(`case ${c} (${kind}): deleting a tampered item: ${statusName(st)}`);
      }
      items = items.filter((x) => !affected.has(x));
      while (items.length < 8) items.push(fresh(owner, rng.pick(TAMPER_GROUPS)));
      if (deleted.length > 4) deleted.splice(0, deleted.length - 4);
    }
  } finally {
    kc.close();
    const integrity = integrityCheck(path);
    if (integrity !== 'ok') report.failures.push(`integrity_check: ${integrity}`);
    rmSync(dir, { recursive: true, force: true });
  }
  return report;
}
