/**
 * Output shaping by the return-type properties (seed "SecItem: Fundamentals",
 * Outputs): one return key other than attributes gives that value; attributes
 * or several return keys give a dictionary with kSecValueData /
 * kSecValuePersistentRef inside; a limit other than one gives an array.
 * @module
 */
import type { ReturnFlags } from '../dictionary/parse.js';
import type { ClassDef } from '../schema/model.js';
import { copyBytes, copyValue } from '../schema/values.js';
import type { Item } from '../schema/values.js';

/** How an item becomes the object kSecReturnRef returns (see secitem/object-refs.ts). */
export interface RefMaker {
  fromItem(item: Item): unknown;
}

export function wantsResult(r: ReturnFlags): boolean {
  return r.data || r.attributes || r.ref || r.persistentRef;
}

/** The value one item contributes to a result (its persistent reference made only when asked for). */
export function shapeItem(cls: ClassDef, item: Item, persistentRef: () => Uint8Array, r: ReturnFlags, refs?: RefMaker): unknown {
  const count = Number(r.data) + Number(r.attributes) + Number(r.ref) + Number(r.persistentRef);
  if (count === 1 && !r.attributes) {
    if (r.data) return item.data === undefined ? new Uint8Array(0) : copyBytes(item.data);
    if (r.persistentRef) return persistentRef();
    return refs?.fromItem(item); // kSecReturnRef: password items have no object form
  }
  const out: Record<string, unknown> = {};
  for (const attr of cls.attrs) {
    const v = item.attrs.get(attr.code);
    if (v === undefined) continue;
    if ((r.attributes && attr.returned) || (r.data && attr.secretData)) out[attr.code] = copyValue(v, attr.secretData === true);
  }
  if (r.data && item.data !== undefined) out['v_Data'] = copyBytes(item.data);
  if (r.persistentRef) out['v_PersistentRef'] = persistentRef();
  if (r.ref) {
    out['class'] = cls.name;
    const ref = refs?.fromItem(item);
    if (ref !== undefined) out['v_Ref'] = ref;
  }
  return out;
}

/** One value under a limit of one; otherwise an array, even of one. */
export function shapeResult(values: unknown[], limit: number | 'all'): unknown {
  return limit === 1 ? values[0] : values;
}
