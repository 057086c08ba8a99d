/**
 * Row encoding, owned by the store: the blind indexes of an item's
 * attributes (in the order of the class's searchable attributes, which is
 * the table's column order; a key attribute's empty value as a one-byte
 * marker), and the associated data that binds a sealed blob to its row.
 * @module
 */
import type { BlindIndex } from '../crypto/blind-index.js';
import type { ClassDef, AttrDef } from '../schema/model.js';
import { canonicalFor, defaultValue, writeCanonical, type AttrValue } from '../schema/values.js';

/** Where indexOf writes canonical bytes: BlindIndex only hashes them (and copies them into its memo). */
const canonicalScratch = Buffer.alloc(256);

/**
 * What a key column holds for the key attribute's empty value ("" or 0, the
 * value an absent one takes): one byte, where any other value's blind index
 * has 16 (so the two never collide). Most items hold it in several key
 * columns (sync, vwht, tkid), so rows and the unique index are ~45 bytes
 * shorter. A reader of the file learns only what the one 16-byte value
 * repeated on most rows would tell them anyway.
 */
export const EMPTY_KEY_INDEX: Buffer = Buffer.from([0]);
/** The value a key attribute holds when absent: its default, else "" (Apple's key columns are never NULL). */
const emptyKeyValue = (attr: AttrDef): AttrValue => defaultValue(attr) ?? '';
/** The canonical bytes of each key attribute's empty value. */
const emptyCanonical = new Map<AttrDef, Buffer>();

function isEmptyKeyValue(attr: AttrDef, canonical: Buffer, length: number): boolean {
  let empty = emptyCanonical.get(attr);
  if (empty === undefined) {
    empty = canonicalFor(attr, emptyKeyValue(attr));
    emptyCanonical.set(attr, empty);
  }
  return length === empty.length && canonical.compare(empty, 0, length, 0, length) === 0;
}

/** The blind index of one attribute value (EMPTY_KEY_INDEX for a key attribute's empty value). */
export function indexOf(blind: BlindIndex, cls: ClassDef, attr: AttrDef, value: AttrValue): Buffer {
  const length = writeCanonical(attr, value, canonicalScratch);
  if (length < 0) return blind.of(cls.name, attr.code, canonicalFor(attr, value));
  if (attr.primaryKey && isEmptyKeyValue(attr, canonicalScratch, length)) return EMPTY_KEY_INDEX;
  return blind.of(cls.name, attr.code, canonicalScratch, length);
}

/** An attribute's value as stored and matched: a key attribute that is absent has its empty value (see indexItem). */
export function matchedValue(attrs: ReadonlyMap<string, AttrValue>, attr: AttrDef): AttrValue | undefined {
  return attrs.get(attr.code) ?? (attr.primaryKey ? emptyKeyValue(attr) : undefined);
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
    return v === undefined ? null : indexOf(blind, cls, a, v);
  });
}

/**
 * Each class's associated-data buffer: its constant start, then room for a
 * UUID and a protection class. rowAad() writes a row's part into it and
 * answers a view: node:crypto copies associated data when it is given, so
 * one buffer serves every seal and open (each uses it before the next call),
 * and a read allocates no buffer for it.
 */
const aadBuffers = new Map<string, { buffer: Buffer; prefix: number }>();
/** Room for the protection class (the longest, 'akpu', is 4 bytes). */
const PROTECTION_ROOM = 16;

/**
 * Associated data binding a blob to its row: class, persistent-reference UUID
 * and protection class. (Index columns are not bound: a query checks the
 * opened attributes against its own conditions instead; see secitem/search.ts.)
 * The answer is a view of a buffer the next call overwrites: use it at once.
 */
export function rowAad(cls: ClassDef, persistref: Buffer, pdmn: string): Buffer {
  let aad = aadBuffers.get(cls.name);
  if (aad === undefined) {
    const prefix = Buffer.from(`secitem row v1\0${cls.name}\0`);
    aad = { buffer: Buffer.alloc(prefix.length + 16 + 1 + PROTECTION_ROOM), prefix: prefix.length };
    prefix.copy(aad.buffer);
    aadBuffers.set(cls.name, aad);
  }
  // Callers pass checked values (openSealed refuses any other row first): anything else is a bug, not a row.
  if (persistref.length !== 16 || Buffer.byteLength(pdmn) > PROTECTION_ROOM) throw new RangeError('rowAad: a persistent reference of 16 bytes and a protection class');
  const { buffer, prefix } = aad;
  persistref.copy(buffer, prefix);
  buffer[prefix + 16] = 0;
  const end = prefix + 17 + buffer.write(pdmn, prefix + 17);
  return buffer.subarray(0, end);
}
