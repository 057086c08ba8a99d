/**
 * Attribute values by kind: accepting a caller's value (Apple's copyString /
 * copyData / copyBlob / copyNumber / copyDate rules), the canonical bytes
 * that matching and uniqueness compare, and the typed encoding kept inside
 * an item's sealed payload.
 * @module
 */
import { SecError, errSecParam } from '../status.js';
import type { AttrDef } from './model.js';
import type { SecAccessControl } from '../types.js';
import { isProtectionClass } from './protection.js';

/** The largest attribute value accepted, in bytes (UTF-8 for strings): over it, errSecParam. */
export const MAX_ATTRIBUTE_BYTES = 64 * 1024;
/** The largest kSecValueData (and secret extra field) accepted, in bytes. */
export const MAX_DATA_BYTES = 16 * 1024 * 1024;

/** An attribute value after conversion. */
export type AttrValue = string | number | Uint8Array | Date | SecAccessControl;

/** An item in the clear: its attributes (secret extra fields included) and its data. */
export interface Item {
  attrs: Map<string, AttrValue>;
  data: Uint8Array | undefined;
}

export function isAccessControl(v: unknown): v is SecAccessControl {
  return (
    typeof v === 'object' &&
    v !== null &&
    (v as { kind?: unknown }).kind === 'SecAccessControl' &&
    isProtectionClass((v as { protection?: unknown }).protection) &&
    typeof (v as { flags?: unknown }).flags === 'number'
  );
}

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** %TypedArray%.prototype.length: the array's own length (its internal slot), whatever a subclass's getter says. */
const typedArrayLength = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype) as object, 'length')!.get! as (this: Uint8Array) => number;

/**
 * A fresh Uint8Array with the bytes of `bytes` (never a view on shared or
 * pooled memory). The copy reads the array's own memory and length (its
 * internal slots, not its `length` getter), so a Uint8Array subclass cannot
 * lie about its size: copy first, then check sizes on the copy. Its memory
 * is an ArrayBuffer of its own, outside the JavaScript heap: V8 keeps a
 * typed array of up to 64 bytes made from a length inside the heap, where
 * a garbage collection may move it and leave the old bytes behind, so that
 * wiping the copy would not wipe every copy.
 */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(new ArrayBuffer(typedArrayLength.call(bytes)));
  out.set(bytes);
  return out;
}

/** A number's 4 bytes as CFNumberGetValue(kCFNumberSInt32Type) gives them (truncated, then modulo 2^32), little-endian. */
function int32LE(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setInt32(0, Math.trunc(n) | 0, true);
  return out;
}

/** What each kind accepts (reference §1.2), as a reason names it. */
const accepts: Readonly<Record<AttrDef['kind'], string>> = {
  blob: 'a string, data or a number (kept as given)',
  data: 'data, a string (its UTF-8 bytes) or a number (its 4 bytes)',
  string: 'a string, or data holding UTF-8',
  number: 'a number, a boolean, or a string (an integer string becomes its number)',
  sync: 'a boolean, a number or an integer string',
  date: 'a valid Date',
  access: 'one of the kSecAttrAccessible values',
  accessControl: 'a SecAccessControl from SecAccessControlCreateWithFlags',
};

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return 'data';
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'an invalid Date' : 'a Date';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** The name a reason gives an attribute: its kSec constant with its code, e.g. `kSecAttrService (svce)`. */
export type AttributeNamer = (code: string) => string;

function reject(attr: AttrDef, raw: unknown, name: AttributeNamer): never {
  throw new SecError(errSecParam, `${name(attr.code)} must be ${accepts[attr.kind]}, not ${typeName(raw)}`);
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Refuses a value larger than its kind allows. */
export function checkSize(what: string, bytes: number, limit: number): void {
  if (bytes > limit) throw new SecError(errSecParam, `${what} is ${bytes} bytes, over the ${limit}-byte limit`);
}

/**
 * CFStringGetIntValue, kept only when printing the integer back gives the
 * same string (Apple's copyNumber): "73" is 73; "http", "", "+1", "007" and
 * integers past 32 bits stay strings.
 */
function integerOf(s: string): number | undefined {
  if (!/^-?[0-9]{1,10}$/.test(s)) return undefined;
  const n = Number(s);
  return String(n) === s && n >= -(2 ** 31) && n <= 2 ** 31 - 1 ? n : undefined;
}

/**
 * Converts a caller's value for `attr` by its kind, as Apple's copyBlob /
 * copyData / copyString / copyNumber / copyDate do (reference §1.2);
 * SecError(errSecParam) naming the attribute and what it accepts when the
 * type is wrong, or when it is too large.
 */
export function convertValue(attr: AttrDef, given: unknown, name: AttributeNamer = (code) => code): AttrValue {
  // Data is copied before any check: the copy is what is checked and kept.
  const raw = given instanceof Uint8Array ? copyBytes(given) : given;
  const limit = attr.secretData ? MAX_DATA_BYTES : MAX_ATTRIBUTE_BYTES;
  // (a string of n UTF-16 units has at most 3n UTF-8 bytes: measure only when it could be over)
  if (typeof raw === 'string' && raw.length * 3 > limit) checkSize(name(attr.code), Buffer.byteLength(raw), limit);
  if (raw instanceof Uint8Array) checkSize(name(attr.code), raw.length, limit);
  switch (attr.kind) {
    case 'blob':
      if (typeof raw === 'string' || isFiniteNumber(raw)) return raw;
      if (raw instanceof Uint8Array) return raw;
      return reject(attr, raw, name);
    case 'data':
      if (raw instanceof Uint8Array) return raw;
      if (typeof raw === 'string') return utf8.encode(raw);
      if (isFiniteNumber(raw)) return int32LE(raw);
      return reject(attr, raw, name);
    case 'string':
      if (typeof raw === 'string') return raw;
      if (raw instanceof Uint8Array) {
        try {
          return strictUtf8.decode(raw);
        } catch {
          throw new SecError(errSecParam, `${name(attr.code)} must be a string; this data is not valid UTF-8`);
        }
      }
      return reject(attr, raw, name);
    case 'number':
      if (typeof raw === 'boolean') return raw ? 1 : 0;
      if (isFiniteNumber(raw)) return raw;
      if (typeof raw === 'string') return integerOf(raw) ?? raw;
      return reject(attr, raw, name);
    case 'sync': {
      // A sync value is a flag: any nonzero number is 1. A string that is no integer would never match an item.
      if (typeof raw === 'boolean') return raw ? 1 : 0;
      const n = isFiniteNumber(raw) ? raw : typeof raw === 'string' ? integerOf(raw) : undefined;
      if (n !== undefined) return n !== 0 ? 1 : 0;
      return reject(attr, raw, name);
    }
    case 'date':
      if (raw instanceof Date && !Number.isNaN(raw.getTime())) return new Date(raw.getTime());
      return reject(attr, raw, name);
    case 'access':
      if (isProtectionClass(raw)) return raw;
      return reject(attr, raw, name);
    case 'accessControl':
      if (isAccessControl(raw)) return raw;
      return reject(attr, raw, name);
  }
}

/** The value an absent attribute takes on add, or undefined when it stays absent. */
export function defaultValue(attr: AttrDef): AttrValue | undefined {
  if (attr.defaultEmpty) return attr.kind === 'data' ? new Uint8Array(0) : '';
  if (attr.defaultZero) return attr.kind === 'date' ? new Date(Date.UTC(2001, 0, 1)) : 0;
  return undefined;
}

/*
 * The bytes two values of one attribute are compared by: a type tag, then
 * the value. Strings and data with the same UTF-8 bytes are the same value,
 * as in Apple's hashed columns; the tag keeps a number from equalling the
 * string of its digits. Kinds that keep a caller's other type are minded:
 * a string in a number attribute is tagged 's', a number in a blob attribute
 * is its int32 bytes.
 */

function canonicalTag(attr: AttrDef, value: AttrValue): number {
  if (typeof value === 'string') return attr.kind === 'number' ? 0x73 : 0x62; // 's', 'b'
  if (value instanceof Uint8Array) return 0x62;
  if (typeof value === 'number') return attr.kind === 'blob' ? 0x62 : 0x6e; // 'n'
  if (value instanceof Date) return 0x64; // 'd'
  return 0x63; // 'c'
}

function canonicalBody(attr: AttrDef, value: AttrValue): string | Uint8Array {
  if (typeof value === 'string' || value instanceof Uint8Array) return value;
  if (typeof value === 'number') return attr.kind === 'blob' ? int32LE(value) : String(value);
  if (value instanceof Date) return String(value.getTime());
  return `${value.protection}:${value.flags}`;
}

/** Canonical bytes for an attribute's value. */
export function canonicalFor(attr: AttrDef, value: AttrValue): Buffer {
  const body = canonicalBody(attr, value);
  const out = Buffer.allocUnsafe(1 + byteLengthOf(body));
  writeTagged(out, canonicalTag(attr, value), body);
  return out;
}

/**
 * Writes canonicalFor(attr, value) at the start of `out` and answers its
 * length, or -1 (writing nothing) when it does not fit: for callers that
 * only hash the bytes, in a buffer of their own they reuse.
 */
export function writeCanonical(attr: AttrDef, value: AttrValue, out: Buffer): number {
  const body = canonicalBody(attr, value);
  const length = 1 + byteLengthOf(body);
  if (length > out.length) return -1;
  writeTagged(out, canonicalTag(attr, value), body);
  return length;
}

function byteLengthOf(body: string | Uint8Array): number {
  return typeof body === 'string' ? Buffer.byteLength(body) : body.length;
}

function writeTagged(out: Buffer, tag: number, body: string | Uint8Array): void {
  out[0] = tag;
  if (typeof body === 'string') out.write(body, 1, 'utf8');
  else out.set(body, 1);
}

/**
 * Whether two values of one attribute have the same canonical bytes
 * (`canonicalFor(attr, a).equals(canonicalFor(attr, b))`), without building
 * them when both values have the same type.
 */
export function sameValue(attr: AttrDef, a: AttrValue, b: AttrValue): boolean {
  if (typeof a === 'string' && typeof b === 'string') {
    if (a === b) return true;
    // Well-formed strings differ in UTF-8 too; lone surrogates all encode as U+FFFD.
    if (!surrogate.test(a) && !surrogate.test(b)) return false;
  } else if (typeof a === 'number' && typeof b === 'number') {
    return attr.kind === 'blob' ? (a | 0) === (b | 0) : sameNumber(a, b); // int32LE bytes, or String(n)
  } else if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.length === b.length && Buffer.compare(a, b) === 0;
  } else if (a instanceof Date && b instanceof Date) {
    return sameNumber(a.getTime(), b.getTime());
  }
  return canonicalFor(attr, a).equals(canonicalFor(attr, b));
}

const surrogate = /[\uD800-\uDFFF]/;

/** Equal as String(n) is: -0 is 0, NaN is NaN. */
function sameNumber(x: number, y: number): boolean {
  return x === y || (x !== x && y !== y);
}

/**
 * A value as handed back to a caller: a fresh copy it may keep or change.
 * Bytes of a secret (`secret`: the schema's secretData) are copied outside
 * the JavaScript heap (copyBytes); other attributes' bytes may live in it.
 */
export function copyValue(value: AttrValue, secret = true): AttrValue {
  if (value instanceof Uint8Array) return secret ? copyBytes(value) : new Uint8Array(value);
  if (value instanceof Date) return new Date(value.getTime());
  return value;
}
