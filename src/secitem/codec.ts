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

const UNUSED = Buffer.alloc(0);

/**
 * The blind-index columns and uniqueness key of a set of attributes. With
 * `only`, columns of other attributes (and the key, when none of its
 * attributes is among them) are left empty: a rewrite does not write them.
 */
export function indexItem(
  blind: BlindIndex,
  cls: ClassDef,
  attrs: ReadonlyMap<string, AttrValue>,
  only?: ReadonlySet<string>,
): { pk: Buffer; index: (Buffer | null)[] } {
  const index = cls.searchable.map((a) => {
    const v = only === undefined || only.has(a.code) ? attrs.get(a.code) : undefined;
    return v === undefined ? null : indexOf(blind, a, v);
  });
  if (only !== undefined && !cls.primaryKey.some((a) => only.has(a.code))) return { pk: UNUSED, index };
  const parts: Buffer[] = [];
  for (const a of cls.primaryKey) {
    // Absent key attributes compare as their empty value, as SQLite's NULL-free key columns do in Apple's server.
    const v = attrs.get(a.code) ?? defaultValue(a) ?? '';
    const bytes = canonicalFor(a, v);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    parts.push(Buffer.from(a.code), len, bytes);
  }
  return { pk: blind.of(`pk:${cls.name}`, Buffer.concat(parts)), index };
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
