/**
 * SecItemCopyMatching: the rows a query selects, opened and checked one at
 * a time, shaped by the return keys; at most one item unless kSecMatchLimit
 * says otherwise.
 * @module
 */
import { SecError, errSecDecode, errSecItemNotFound } from '../status.js';
import { parseDictionary, type ParsedDictionary } from '../dictionary/parse.js';
import { makePersistentRef } from '../dictionary/persistent-ref.js';
import { shapeItem, shapeResult, wantsResult } from '../results/shape.js';
import type { Item } from '../schema/values.js';
import type { StoredRow } from '../store/item-table.js';
import type { SecDictionary } from '../types.js';
import type { ClientContext, Engine } from './context.js';
import { forgetItem } from './rows.js';
import { searchFor } from './search.js';
import { expandValueRef } from './value-ref.js';
import { AUTHORIZATION_READS, authorizeSecretRead } from './authorization.js';

/** kSecMatchHostOrSubdomainOfHost: the server is the host or one of its subdomains. */
function hostMatches(item: Item, host: string): boolean {
  const server = item.attrs.get('srvr');
  return typeof server === 'string' && (server === host || server.endsWith(`.${host}`));
}

export function copyMatching(engine: Engine, client: ClientContext, query: SecDictionary): unknown {
  let refs: { fromItem(item: Item): unknown } | undefined;
  const { q, values } = matchItems(
    engine,
    client,
    query,
    (item, persistref, q) => {
      if (refs === undefined && q.returns.ref) {
        const kind = engine.objects.kindFor(q.cls.name);
        const refOptions = { authContext: q.authContext, operationPrompt: q.operationPrompt };
        if (kind !== undefined) refs = { fromItem: (i: Item) => kind.fromItem(i, refOptions) };
      }
      return shapeItem(q.cls, item, () => makePersistentRef(q.cls.name, persistref), q.returns, refs);
    },
    shapeReads(engine),
  );
  return wantsResult(q.returns) ? shapeResult(values, q.limit) : undefined;
}

/**
 * What shapeItem reads of an item's attributes: all of them for
 * kSecReturnAttributes or a dictionary (which may carry secret attributes);
 * for the data, a persistent reference or a reference alone, only what the
 * object's kind reads (none for a password item).
 */
function shapeReads(engine: Engine): (q: ParsedDictionary) => readonly string[] | undefined {
  return (q) => {
    const r = q.returns;
    if (r.attributes || Number(r.data) + Number(r.ref) + Number(r.persistentRef) > 1) return undefined;
    return r.ref ? (engine.objects.kindFor(q.cls.name)?.reads ?? []) : [];
  };
}

/** What matchItems reads itself with a host-or-subdomain match: access control and the server it compares (else access control alone). */
const HOST_MATCH_READS: readonly string[] = [...AUTHORIZATION_READS, 'srvr'];

/**
 * The items a SecItemCopyMatching query selects, each given to `visit` as it
 * is opened (and wiped once `visit` returns: it keeps copies of what it
 * needs), at most the query's limit of them; errSecItemNotFound when none.
 * copyMatching shapes them into its result; identities join two classes' items.
 * `visitReads` names the attributes `visit` reads (undefined: all of them);
 * the items then hold those and what the search and access control read.
 */
export function matchItems<T>(
  engine: Engine,
  client: ClientContext,
  query: SecDictionary,
  visit: (item: Item, persistref: Buffer, q: ParsedDictionary) => T,
  visitReads: (q: ParsedDictionary) => readonly string[] | undefined,
): { q: ParsedDictionary; values: T[] } {
  const q = parseDictionary(expandValueRef(query, true, engine.objects), 'copy');
  const limit = q.limit;
  const sqlLimit = limit === 'all' || q.hostOrSubdomain !== undefined ? undefined : limit;
  const search = searchFor(engine, client, q, false, sqlLimit);
  const table = engine.db.table(q.cls.name);
  const selection = search.selection;
  const reads = visitReads(q);
  const only = reads === undefined ? undefined : search.decoding([...(q.hostOrSubdomain === undefined ? AUTHORIZATION_READS : HOST_MATCH_READS), ...reads]);
  const values: T[] = [];
  // The item's secret is returned with kSecReturnData: that is what its access control guards.
  const readsSecret = q.returns.data;
  // A listing passes over an item that fails to decode, as Apple's server does ("this item was never here,
  // keep going"), so one damaged row does not hide the others; if every match failed, the damage is the answer.
  let damaged: SecError | undefined;
  const answer = (rows: Iterable<StoredRow>): void => {
    for (const row of rows) {
      let item: Item;
      try {
        item = search.open(row, only);
      } catch (e) {
        if (limit === 1 || !(e instanceof SecError) || e.status !== errSecDecode) throw e;
        damaged = e;
        continue;
      }
      try {
        if ((q.hostOrSubdomain !== undefined && !hostMatches(item, q.hostOrSubdomain)) || (readsSecret && !authorizeSecretRead(item, q))) continue;
        values.push(visit(item, row.persistref, q));
      } finally {
        forgetItem(item); // the result holds copies
      }
      if (limit !== 'all' && values.length >= limit) break;
    }
  };
  // One row: a single statement. More: rows are read one at a time as they are
  // opened (never all matching rows in memory at once), in one read transaction.
  if (sqlLimit === 1) {
    try {
      answer(engine.db.read(() => table.select(selection)));
    } catch (e) {
      // Another process may have committed between the row's read and the ledger's check of it:
      // read once more inside one snapshot, where both see the same state (a restored row fails again).
      if (!(e instanceof SecError) || e.status !== errSecDecode) throw e;
      values.length = 0;
      engine.db.snapshot(() => answer(table.select(selection)));
    }
  } else {
    engine.db.snapshot(() => answer(table.iterate(selection)));
  }
  if (values.length === 0) throw damaged ?? new SecError(errSecItemNotFound, 'no item matches the query among the access groups the caller may read');
  return { q, values };
}
