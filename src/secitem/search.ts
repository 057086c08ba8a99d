/**
 * A query against the store: the SQL selection (blind indexes, narrowed to
 * the caller's groups), and the same conditions checked on each opened item,
 * so a row whose index columns were altered never answers for another item.
 * @module
 */
import { SecError, errSecDecode, errSecParam } from '../status.js';
import type { ParsedDictionary } from '../dictionary/parse.js';
import { keyName } from '../schema/names.js';
import { sameValue, type Item } from '../schema/values.js';
import type { Selection, StoredRow } from '../store/item-table.js';
import { indexOf, matchedValue } from '../store/row-codec.js';
import type { ClientContext, Engine } from './context.js';
import { openRow } from './rows.js';

export interface Search {
  readonly selection: Selection;
  /**
   * Opens a selected row and confirms it satisfies the query; errSecDecode
   * if the row lied. With `only` (from decoding()), the item holds just those attributes.
   */
  open(row: StoredRow, only?: ReadonlySet<string>): Item;
  /** The attributes to decode for a caller that reads `reads`: those and the ones open() checks. */
  decoding(reads: readonly string[]): ReadonlySet<string>;
}

/** `write`: the caller will change what it finds (its writable groups only). `limit`: at most this many rows from SQL. */
export function searchFor(engine: Engine, client: ClientContext, q: ParsedDictionary, write: boolean, limit?: number): Search {
  const { cls, attrs } = q;
  const equal: [string, Buffer][] = [];
  let pdmn: string | undefined;
  let group: string | undefined;
  // (keys, then get: iterating entries would make a pair per attribute)
  for (const code of attrs.keys()) {
    const value = attrs.get(code)!;
    const attr = cls.byCode.get(code)!;
    if (attr.role === 'accessGroup') group = value as string;
    else if (attr.role === 'protection') pdmn = value as string;
    else if (attr.role === 'accessControl') continue; // not a search condition (reference §4.1)
    else if (attr.secretData) throw new SecError(errSecParam, `${keyName(code)} is secret data and cannot be matched`);
    else equal.push([code, indexOf(engine.blind, cls, attr, value)]);
  }
  // A query that does not mention kSecAttrSynchronizable sees only non-synchronizable items.
  const sync = cls.byRole.get('sync')!;
  if (!q.syncGiven && q.persistentRef === undefined) equal.push([sync.code, indexOf(engine.blind, cls, sync, 0)]);
  const groups = client.access.groupsToSearch(group, write);
  const agrp = cls.byRole.get('accessGroup')!;
  let groupIndexes: Buffer[] | undefined;
  if (groups !== undefined) {
    // Blind indexes are memoized by BlindIndex, so the caller's groups cost no HMAC after the first call.
    groupIndexes = new Array<Buffer>(groups.length);
    for (let i = 0; i < groups.length; i++) groupIndexes[i] = indexOf(engine.blind, cls, agrp, groups[i]);
  }
  return {
    selection: { equal, pdmn, groups: groupIndexes, persistref: q.persistentRef?.uuid, limit },
    decoding(reads) {
      const only = new Set(reads);
      only.add(cls.byRole.get('protection')!.code);
      only.add(agrp.code);
      for (const [code] of equal) only.add(code);
      return only;
    },
    open(row, only) {
      const item = openRow(engine, cls, row, only);
      // The item must hold what its row was selected by: the query's values (or sync 0, the one condition not among them).
      let satisfies = groups === undefined || groups.includes(item.attrs.get(agrp.code) as string);
      for (let i = 0; satisfies && i < equal.length; i++) {
        const code = equal[i][0];
        const attr = cls.byCode.get(code)!;
        const v = matchedValue(item.attrs, attr);
        satisfies = v !== undefined && sameValue(attr, v, attrs.get(code) ?? 0);
      }
      if (!satisfies) throw new SecError(errSecDecode, 'an item does not match its index (the keychain file was altered)');
      return item;
    },
  };
}

/** Whether a SQLite error is a uniqueness violation (the caller answers errSecDuplicateItem). */
export function isUniqueViolation(e: unknown): boolean {
  return typeof (e as { code?: unknown }).code === 'string' && (e as { code: string }).code.startsWith('SQLITE_CONSTRAINT');
}

/** The reason of errSecDuplicateItem: which attributes make an item unique in its class. */
export function duplicateReason(q: ParsedDictionary): string {
  return `an item with the same ${q.cls.primaryKey.map((a) => keyName(a.code)).join(', ')} already exists`;
}
