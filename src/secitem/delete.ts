/**
 * SecItemDelete: deletes every item the pure query matches. It needs no
 * class key, so it works in every lock state (seed: Data Protection pitfall).
 * @module
 */
import { SecError, errSecItemNotFound } from '../status.js';
import { parseDictionary } from '../dictionary/parse.js';
import type { SecDictionary } from '../types.js';
import type { ClientContext, Engine } from './context.js';
import { searchFor } from './search.js';
import { expandValueRef } from './value-ref.js';

export function remove(engine: Engine, client: ClientContext, query: SecDictionary): void {
  const q = parseDictionary(expandValueRef(query, true, engine.objects), 'delete');
  const { selection } = searchFor(engine, client, q, true);
  const deleted = engine.db.write(() => engine.db.table(q.cls.name).delete(selection));
  if (deleted === 0) throw new SecError(errSecItemNotFound, 'no item matches the query among the access groups the caller may change');
}
