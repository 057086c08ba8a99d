/**
 * SecItemAdd / SecItemCopyMatching / SecItemUpdate / SecItemDelete over one
 * keychain, for one client. Each call is one SQLite transaction; failures
 * are SecErrors, turned into OSStatus answers by the client (client.ts).
 * @module
 */
import {
  SecError,
  errSecDecode,
  errSecDuplicateItem,
  errSecInteractionNotAllowed,
  errSecItemNotFound,
  errSecNotAvailable,
  errSecParam,
} from '../status.js';
import type { AccessPolicy } from '../access/groups.js';
import type { BlindIndex } from '../crypto/blind-index.js';
import { openItem, sealItem, sealTagOf } from '../crypto/item-seal.js';
import type { Keybag } from '../crypto/keybag.js';
import { PASSCODE_SET_CLASS, isProtectionClass, type ProtectionClass } from '../schema/protection.js';
import { parseDictionary, parseUpdateAttributes, protectionOf, type ParsedDictionary } from '../dictionary/parse.js';
import { makePersistentRef } from '../dictionary/persistent-ref.js';
import { shapeItem, shapeResult, wantsResult } from '../results/shape.js';
import type { ClassDef } from '../schema/model.js';
import { defaultValue, isAccessControl, sameValue, type AttrValue } from '../schema/values.js';
import type { KeychainDatabase } from '../store/database.js';
import type { RowToWrite, Selection, StoredRow } from '../store/item-table.js';
import { rowidOf, uuidAt } from '../store/row-uuid.js';
import { decodePayload, encodePayload, indexItem, indexOf, matchedValue, rowAad, type Item } from './codec.js';
import type { SecDictionary } from '../types.js';

/** What every call needs of the open keychain. */
export interface Engine {
  readonly db: KeychainDatabase;
  readonly keybag: Keybag;
  readonly blind: BlindIndex;
}

function isUniqueViolation(e: unknown): boolean {
  return typeof (e as { code?: unknown }).code === 'string' && (e as { code: string }).code.startsWith('SQLITE_CONSTRAINT');
}

/** The class key for a protection class, or the status that withholds it. */
function classKeyFor(engine: Engine, pc: ProtectionClass): Buffer {
  const key = engine.keybag.classKey(pc);
  if (key !== undefined) return key;
  if (pc === PASSCODE_SET_CLASS && !engine.keybag.hasPasscode) {
    throw new SecError(errSecNotAvailable, 'kSecAttrAccessibleWhenPasscodeSetThisDeviceOnly needs a passcode');
  }
  throw new SecError(errSecInteractionNotAllowed, `the ${pc} class key is not available in this lock state`);
}

/**
 * Opens a row's blob; a row that does not authenticate, or that the ledger
 * does not hold as the item's current version, answers errSecDecode.
 */
function openRow(engine: Engine, cls: ClassDef, row: StoredRow): Item {
  // A damaged file can hold any type in any column.
  if (!isProtectionClass(row.pdmn) || !Buffer.isBuffer(row.blob)) throw new SecError(errSecDecode, 'an item failed authentication');
  if (!engine.db.ledger.vouchesFor(row.persistref, row, sealTagOf(row.blob))) {
    throw new SecError(errSecDecode, 'an item is not its current version (restored from an older copy?)');
  }
  if (row.rowid !== rowidOf(row.persistref)) throw new SecError(errSecDecode, 'an item is not in its own row');
  const payload = openItem(classKeyFor(engine, row.pdmn), row.blob, rowAad(cls, row.persistref, row.pdmn));
  const item = payload === undefined ? undefined : decodePayload(payload);
  payload?.fill(0);
  if (item === undefined || item.attrs.get('pdmn') !== row.pdmn) throw new SecError(errSecDecode, 'an item failed authentication');
  return item;
}

/**
 * Seals an item into the row with this persistent-reference UUID. With
 * `changed` (a rewrite), only the blind indexes of those attributes are
 * computed: the others are not written (see ItemTable.update).
 */
function sealRow(engine: Engine, cls: ClassDef, persistref: Buffer, item: Item, changed?: ReadonlySet<string>): RowToWrite {
  const pdmn = item.attrs.get('pdmn') as ProtectionClass;
  const key = classKeyFor(engine, pdmn);
  const index = indexItem(engine.blind, cls, item.attrs, changed);
  const payload = encodePayload(item);
  const blob = sealItem(key, payload, rowAad(cls, persistref, pdmn));
  payload.fill(0);
  return { persistref, pdmn, index, blob };
}

/**
 * A query against the store: the SQL selection (blind indexes, narrowed to
 * the caller's groups), and the same conditions checked on each opened item,
 * so a row whose index columns were altered never answers for another item.
 */
interface Search {
  readonly selection: Selection;
  /** Opens a selected row and confirms it satisfies the query; errSecDecode if the row lied. */
  open(row: StoredRow): Item;
}

/** `limit`: at most this many rows from SQL (copies only). */
function searchFor(engine: Engine, policy: AccessPolicy, q: ParsedDictionary, write: boolean, limit?: number): Search {
  const { cls, attrs } = q;
  const equal: [string, Buffer][] = [];
  let pdmn: string | undefined;
  let group: string | undefined;
  // (keys, then get: iterating entries would make a pair per attribute)
  for (const code of attrs.keys()) {
    const value = attrs.get(code)!;
    const attr = cls.byCode.get(code)!;
    if (code === 'agrp') group = value as string;
    else if (attr.kind === 'access') pdmn = value as string;
    else if (attr.kind === 'accessControl') continue; // not a search condition (reference §4.1)
    else if (attr.secretData) throw new SecError(errSecParam, `${code} is secret data and cannot be matched`);
    else equal.push([code, indexOf(engine.blind, attr, value)]);
  }
  // A query that does not mention kSecAttrSynchronizable sees only non-synchronizable items.
  if (!q.syncGiven && q.persistentRef === undefined) equal.push(['sync', indexOf(engine.blind, cls.byCode.get('sync')!, 0)]);
  const groups = policy.groupsToSearch(group, write);
  let groupIndexes: Buffer[] | undefined;
  if (groups !== undefined) {
    // Blind indexes are memoized by BlindIndex, so the caller's groups cost no HMAC after the first call.
    const agrp = cls.byCode.get('agrp')!;
    groupIndexes = new Array<Buffer>(groups.length);
    for (let i = 0; i < groups.length; i++) groupIndexes[i] = indexOf(engine.blind, agrp, groups[i]);
  }
  return {
    selection: { equal, pdmn, groups: groupIndexes, persistref: q.persistentRef?.uuid, limit },
    open(row) {
      const item = openRow(engine, cls, row);
      // The item must hold what its row was selected by: the query's values (or sync 0, the one condition not among them).
      let satisfies = groups === undefined || groups.includes(item.attrs.get('agrp') as string);
      for (let i = 0; satisfies && i < equal.length; i++) {
        const code = equal[i][0];
        const attr = cls.byCode.get(code)!;
        const v = matchedValue(item.attrs, attr);
        satisfies = v !== undefined && sameValue(attr, v, attrs.get(code) ?? 0);
      }
      if (!satisfies) throw new SecError(errSecDecode, 'an item does not match its index');
      return item;
    },
  };
}

function hostMatches(item: Item, host: string): boolean {
  const server = item.attrs.get('srvr');
  return typeof server === 'string' && (server === host || server.endsWith(`.${host}`));
}

export function copyMatching(engine: Engine, policy: AccessPolicy, query: SecDictionary): unknown {
  const q = parseDictionary(query, 'copy');
  const limit = q.limit;
  const sqlLimit = limit === 'all' || q.hostOrSubdomain !== undefined ? undefined : limit;
  const search = searchFor(engine, policy, q, false, sqlLimit);
  const table = engine.db.table(q.cls.name);
  const selection = search.selection;
  const values: unknown[] = [];
  const answer = (rows: Iterable<StoredRow>): void => {
    for (const row of rows) {
      const item = search.open(row);
      if (q.hostOrSubdomain !== undefined && !hostMatches(item, q.hostOrSubdomain)) continue;
      values.push(shapeItem(q.cls, item, () => makePersistentRef(q.cls.name, row.persistref), q.returns));
      if (limit !== 'all' && values.length >= limit) break;
    }
  };
  // One row: a single statement. More: rows are read one at a time as they are
  // opened (never all matching rows in memory at once), in one read transaction.
  if (sqlLimit === 1) answer(engine.db.read(() => table.select(selection)));
  else engine.db.snapshot(() => answer(table.iterate(selection)));
  if (values.length === 0) throw new SecError(errSecItemNotFound);
  return wantsResult(q.returns) ? shapeResult(values, limit) : undefined;
}

export function add(engine: Engine, policy: AccessPolicy, attributes: SecDictionary): unknown {
  const q = parseDictionary(attributes, 'add');
  const attrs = new Map<string, AttrValue>(q.attrs);
  attrs.set('agrp', policy.groupForAdd(attrs.get('agrp') as string | undefined));
  attrs.set('pdmn', protectionOf(attrs) ?? q.cls.defaultProtection);
  for (const attr of q.cls.attrs) {
    if (attrs.has(attr.code)) continue;
    const v = defaultValue(attr);
    if (v !== undefined) attrs.set(attr.code, v);
  }
  const now = new Date();
  attrs.set('cdat', now);
  attrs.set('mdat', new Date(now.getTime()));
  const item: Item = { attrs, data: q.data };
  const table = engine.db.table(q.cls.name);
  let persistref: Buffer;
  try {
    persistref = engine.db.write(() => {
      const uuid = uuidAt(table.nextRowid());
      // Sealing needs the class key, so a locked class fails before any duplicate check, as on a device.
      table.insert(sealRow(engine, q.cls, uuid, item));
      return uuid;
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw new SecError(errSecDuplicateItem);
    throw e;
  }
  if (!wantsResult(q.returns)) return undefined;
  return shapeItem(q.cls, item, () => makePersistentRef(q.cls.name, persistref), q.returns);
}

export function update(engine: Engine, policy: AccessPolicy, query: SecDictionary, attributesToUpdate: SecDictionary): void {
  const q = parseDictionary(query, 'update');
  const changes = parseUpdateAttributes(q.cls, attributesToUpdate);
  const newGroup = changes.attrs.get('agrp');
  if (newGroup !== undefined) policy.checkWritable(newGroup as string);
  const newProtection = protectionOf(changes.attrs);
  const search = searchFor(engine, policy, q, true);
  const table = engine.db.table(q.cls.name);
  engine.db.write(() => {
    const rows = table.select(search.selection);
    if (rows.length === 0) throw new SecError(errSecItemNotFound);
    const now = Date.now();
    for (const row of rows) {
      const old = search.open(row);
      const attrs = new Map([...old.attrs, ...changes.attrs]);
      if (newProtection !== undefined) {
        attrs.set('pdmn', newProtection);
        // An access control that names another protection class no longer describes the item.
        const accc = attrs.get('accc');
        if (isAccessControl(accc) && accc.protection !== newProtection) attrs.delete('accc');
      }
      const oldModified = (old.attrs.get('mdat') as Date | undefined)?.getTime() ?? 0;
      attrs.set('mdat', new Date(Math.max(now, oldModified + 1)));
      const changed = changedAttributes(q.cls, old.attrs, attrs);
      const sealed = sealRow(engine, q.cls, row.persistref, { attrs, data: changes.data ?? old.data }, changed);
      try {
        // A single row's ledger bucket is as the select read it; with more rows, an earlier one may have rewritten it.
        table.update(row.rowid, sealed, changed, rows.length === 1 ? row : undefined);
      } catch (e) {
        if (isUniqueViolation(e)) throw new SecError(errSecDuplicateItem);
        throw e;
      }
    }
  });
}

/** The codes of the attributes whose value differs between two versions of an item. */
function changedAttributes(cls: ClassDef, before: ReadonlyMap<string, AttrValue>, after: ReadonlyMap<string, AttrValue>): Set<string> {
  const changed = new Set<string>();
  for (const attr of cls.attrs) {
    const a = before.get(attr.code);
    const b = after.get(attr.code);
    if (a === undefined && b === undefined) continue;
    if (a === undefined || b === undefined || !sameValue(attr, a, b)) changed.add(attr.code);
  }
  return changed;
}

export function remove(engine: Engine, policy: AccessPolicy, query: SecDictionary): void {
  const q = parseDictionary(query, 'delete');
  const { selection } = searchFor(engine, policy, q, true);
  const table = engine.db.table(q.cls.name);
  // Deleting needs no class key: it works in every lock state (seed: Data Protection pitfall).
  const deleted = engine.db.write(() => table.delete(selection));
  if (deleted === 0) throw new SecError(errSecItemNotFound);
}
