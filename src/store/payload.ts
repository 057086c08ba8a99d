/**
 * The payload sealed inside each row's blob: an item's attributes (secret
 * extra fields included) and its data, in a binary layout of their own.
 * @module
 */
import { itemClasses } from '../schema/classes.js';
import { isProtectionClass } from '../schema/protection.js';
import type { AttrValue, Item } from '../schema/values.js';

/*
 * The payload: an item's attributes and data, in a binary layout (numbers little-endian):
 *   0x01, the payload format
 *   attribute count (u16), then per attribute: its code (4 ASCII bytes), a type byte and the value:
 *     's' string      u32 length, UTF-8
 *     'u' string      u32 length, UTF-16 code units (a string with lone surrogates, which UTF-8 cannot keep)
 *     'b' bytes       u32 length, bytes
 *     'n' number      f64
 *     'd' date        f64, ms since 1970
 *     'c' access ctl  u8 length, protection class (ASCII), f64 flags
 *   0 (no data), or 1, u32 length and the data.
 */
const BINARY = 0x01;
const STRING = 0x73;
const UTF16 = 0x75;
const BYTES = 0x62;
const NUMBER = 0x6e;
const DATE = 0x64;
const ACCESS_CONTROL = 0x63;

function isWellFormed(s: string): boolean {
  // (String.prototype.isWellFormed is in Node 20, not yet in the ES2022 lib types.)
  return (s as string & { isWellFormed(): boolean }).isWellFormed();
}

function valueBytes(v: AttrValue): number {
  if (typeof v === 'string') return 4 + (isWellFormed(v) ? Buffer.byteLength(v) : 2 * v.length);
  if (v instanceof Uint8Array) return 4 + v.length;
  if (typeof v === 'number' || v instanceof Date) return 8;
  return 1 + v.protection.length + 8;
}

function writeValue(out: Buffer, at: number, v: AttrValue): number {
  if (typeof v === 'string') {
    const wellFormed = isWellFormed(v);
    out[at] = wellFormed ? STRING : UTF16;
    const n = out.write(v, at + 5, wellFormed ? 'utf8' : 'utf16le');
    out.writeUInt32LE(n, at + 1);
    return at + 5 + n;
  }
  if (v instanceof Uint8Array) {
    out[at] = BYTES;
    out.writeUInt32LE(v.length, at + 1);
    out.set(v, at + 5);
    return at + 5 + v.length;
  }
  if (typeof v === 'number') {
    out[at] = NUMBER;
    // -0 is kept as 0.
    return out.writeDoubleLE(v + 0, at + 1);
  }
  if (v instanceof Date) {
    out[at] = DATE;
    return out.writeDoubleLE(v.getTime(), at + 1);
  }
  out[at] = ACCESS_CONTROL;
  out[at + 1] = out.write(v.protection, at + 2, 'latin1');
  return out.writeDoubleLE(v.flags + 0, at + 2 + v.protection.length);
}

/** A 4-character ASCII code as a number (7 bits a character: a small integer, no allocation as a Map key). */
function codeKey(c0: number, c1: number, c2: number, c3: number): number {
  return c0 | (c1 << 7) | (c2 << 14) | (c3 << 21);
}

function isCode(code: string): boolean {
  return code.length === 4 && (code.charCodeAt(0) | code.charCodeAt(1) | code.charCodeAt(2) | code.charCodeAt(3)) < 0x80;
}

/** The schema's codes by key, so decoding an attribute's code allocates no string. */
const knownCodes = new Map<number, string>();
for (const cls of itemClasses.values()) {
  for (const { code } of cls.attrs) knownCodes.set(codeKey(code.charCodeAt(0), code.charCodeAt(1), code.charCodeAt(2), code.charCodeAt(3)), code);
}

export function encodePayload(item: Item): Buffer {
  const { attrs, data } = item;
  if (attrs.size > 0xffff) throw new RangeError('too many attributes for a payload');
  // (keys, then get: iterating entries would make a pair per attribute)
  let size = 1 + 2 + 1 + (data === undefined ? 0 : 4 + data.length);
  for (const code of attrs.keys()) {
    if (!isCode(code)) throw new RangeError(`attribute code ${JSON.stringify(code)} is not 4 ASCII characters`);
    size += 4 + 1 + valueBytes(attrs.get(code)!);
  }
  const out = Buffer.allocUnsafe(size);
  out[0] = BINARY;
  out.writeUInt16LE(attrs.size, 1);
  let at = 3;
  for (const code of attrs.keys()) {
    for (let i = 0; i < 4; i++) out[at + i] = code.charCodeAt(i);
    at = writeValue(out, at + 4, attrs.get(code)!);
  }
  if (data === undefined) {
    out[at] = 0;
  } else {
    out[at] = 1;
    out.writeUInt32LE(data.length, at + 1);
    out.set(data, at + 5);
  }
  return out;
}

/** The attributes the schema marks as secret data (stored sealed, never indexed), of every class. */
const secretCodes: ReadonlySet<string> = new Set([...itemClasses.values()].flatMap((c) => c.attrs.filter((a) => a.secretData).map((a) => a.code)));

/** Thrown (and caught) on a malformed binary payload; made once, as it carries nothing. */
const MALFORMED = new Error('malformed payload');

/** Reads a binary payload front to back; any read past the end throws MALFORMED. */
class Reader {
  at = 1;
  constructor(readonly bytes: Buffer) {}

  /** The offset of the next `n` bytes, which are passed over. */
  take(n: number): number {
    const start = this.at;
    if (n > this.bytes.length - start) throw MALFORMED;
    this.at = start + n;
    return start;
  }

  u8(): number {
    return this.bytes[this.take(1)];
  }

  u16(): number {
    return this.bytes.readUInt16LE(this.take(2));
  }

  u32(): number {
    return this.bytes.readUInt32LE(this.take(4));
  }

  f64(): number {
    return this.bytes.readDoubleLE(this.take(8));
  }

  code(): string {
    const b = this.bytes;
    const at = this.take(4);
    if ((b[at] | b[at + 1] | b[at + 2] | b[at + 3]) & 0x80) throw MALFORMED;
    return knownCodes.get(codeKey(b[at], b[at + 1], b[at + 2], b[at + 3])) ?? b.toString('latin1', at, at + 4);
  }

  /**
   * A fresh copy of the next `n` bytes (the payload is wiped after
   * decoding); a secret's outside the JavaScript heap, where a garbage
   * collection never leaves a copy behind (values.ts copyBytes).
   */
  copy(n: number, secret = false): Uint8Array {
    const at = this.take(n);
    const out = secret ? new Uint8Array(new ArrayBuffer(n)) : new Uint8Array(n);
    if (n > 64) this.bytes.copy(out, 0, at, at + n);
    else for (let i = 0; i < n; i++) out[i] = this.bytes[at + i]; // (Buffer.copy makes a view of the source)
    return out;
  }

  /**
   * The next value; with `keep` false it is passed over (its layout still
   * checked) and nothing is built: undefined.
   */
  value(secret: boolean, keep = true): AttrValue | undefined {
    switch (this.u8()) {
      case STRING: {
        const n = this.u32();
        const at = this.take(n);
        return keep ? this.bytes.toString('utf8', at, at + n) : undefined;
      }
      case UTF16: {
        const n = this.u32();
        if (n % 2 !== 0) throw MALFORMED;
        const at = this.take(n);
        return keep ? this.bytes.toString('utf16le', at, at + n) : undefined;
      }
      case BYTES: {
        const n = this.u32();
        if (keep) return this.copy(n, secret);
        this.take(n);
        return undefined;
      }
      case NUMBER: {
        const v = this.f64();
        return keep ? v : undefined;
      }
      case DATE: {
        const v = this.f64();
        return keep ? new Date(v) : undefined;
      }
      case ACCESS_CONTROL: {
        const n = this.u8();
        const at = this.take(n);
        const protection = this.bytes.toString('latin1', at, at + n);
        if (!isProtectionClass(protection)) throw MALFORMED;
        const flags = this.f64();
        return keep ? Object.freeze({ kind: 'SecAccessControl', protection, flags }) : undefined;
      }
      default:
        throw MALFORMED;
    }
  }
}

function decodeBinary(bytes: Buffer, only: ReadonlySet<string> | undefined): Item {
  const r = new Reader(bytes);
  const attrs = new Map<string, AttrValue>();
  for (let count = r.u16(); count > 0; count--) {
    const code = r.code();
    const keep = only === undefined || only.has(code);
    const v = r.value(secretCodes.has(code), keep);
    if (keep) attrs.set(code, v!);
  }
  let data: Uint8Array | undefined;
  const hasData = r.u8();
  if (hasData === 1) data = r.copy(r.u32(), true);
  else if (hasData !== 0) throw MALFORMED;
  if (r.at !== bytes.length) throw MALFORMED; // trailing bytes
  return { attrs, data };
}

/**
 * The item in a payload; undefined when the payload is not well formed.
 * With `only`, the item holds just those attributes (and its data): the
 * others are passed over, their layout still checked, so a lookup that
 * reads three attributes of a key's thirty does not build the rest.
 */
export function decodePayload(bytes: Buffer, only?: ReadonlySet<string>): Item | undefined {
  try {
    return bytes[0] === BINARY ? decodeBinary(bytes, only) : undefined;
  } catch {
    return undefined;
  }
}
