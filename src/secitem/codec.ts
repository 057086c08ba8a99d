/**
 * Items ⇄ rows: the blind indexes and uniqueness key of an item's
 * attributes, the associated data that binds a sealed blob to its row, and
 * the payload encoding inside the seal.
 * @module
 */
import type { BlindIndex } from '../crypto/blind-index.js';
import type { ClassDef, AttrDef } from '../schema/model.js';
import { canonicalFor, decodeValue, defaultValue, encodeValue, type AttrValue, type EncodedValue } from '../schema/values.js';

/** An item in the clear: its attributes (secret extra fields included) and its data. */
export interface Item {
  attrs: Map<string, AttrValue>;
  data: Uint8Array | undefined;
}

/** The blind index of one attribute value. */
export function indexOf(blind: BlindIndex, attr: AttrDef, value: AttrValue): Buffer {
  return blind.of(attr.code, canonicalFor(attr, value));
}

/** An attribute's value as stored and matched: a key attribute that is absent has its empty value (see indexItem). */
export function matchedValue(attrs: ReadonlyMap<string, AttrValue>, attr: AttrDef): AttrValue | undefined {
  return attrs.get(attr.code) ?? (attr.primaryKey ? (defaultValue(attr) ?? '') : undefined);
}

/**
 * The blind-index columns of a set of attributes, in the order of the class's
 * `searchable` attributes (null where absent). A key attribute that is absent
 * is indexed as its empty value, as Apple's key columns default to '' or 0:
 * the UNIQUE index over the key columns then treats it as that value. With
 * `only`, the columns of other attributes are left null: a rewrite does not
 * write them.
 */
export function indexItem(blind: BlindIndex, cls: ClassDef, attrs: ReadonlyMap<string, AttrValue>, only?: ReadonlySet<string>): (Buffer | null)[] {
  return cls.searchable.map((a) => {
    if (only !== undefined && !only.has(a.code)) return null;
    const v = matchedValue(attrs, a);
    return v === undefined ? null : indexOf(blind, a, v);
  });
}

/**
 * Associated data binding a blob to its row: class, persistent-reference UUID
 * and protection class. (Index columns are not bound: a query checks the
 * opened attributes against its own conditions instead; see operations.ts.)
 */
export function rowAad(cls: ClassDef, persistref: Buffer, pdmn: string): Buffer {
  return Buffer.concat([Buffer.from(`secitem row v1\0${cls.name}\0`), persistref, Buffer.from(`\0${pdmn}`)]);
}

interface Payload {
  a: Record<string, EncodedValue>;
  d?: string;
}

export function encodePayload(item: Item): Buffer {
  const a: Record<string, EncodedValue> = {};
  for (const [code, v] of item.attrs) a[code] = encodeValue(v);
  const payload: Payload = { a };
  if (item.data !== undefined) payload.d = Buffer.from(item.data.buffer, item.data.byteOffset, item.data.length).toString('base64');
  return Buffer.from(JSON.stringify(payload));
}

/** The item in a payload; undefined when the payload is not well formed. */
export function decodePayload(bytes: Buffer): Item | undefined {
  try {
    const payload = JSON.parse(bytes.toString('utf8')) as Payload;
    const attrs = new Map<string, AttrValue>();
    for (const [code, v] of Object.entries(payload.a)) attrs.set(code, decodeValue(v));
    const data = payload.d === undefined ? undefined : new Uint8Array(Buffer.from(payload.d, 'base64'));
    return { attrs, data };
  } catch {
    return undefined;
  }
}
