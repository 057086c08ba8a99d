/**
 * secitemd's wire format (docs/daemon.md): length-prefixed binary frames
 * carrying typed values. No eval-like decoding: each byte is read as the
 * one thing its position allows, and anything else is a typed WireError.
 *
 * Frame: u32 big-endian length L of what follows, then a version byte
 * (WIRE_VERSION), then one encoded value (L - 1 bytes, exactly).
 *
 * Value: a tag byte, then its body:
 *   0x00 undefined  0x01 null  0x02 false  0x03 true
 *   0x04 number     f64 big-endian (NaN, ±Infinity and -0 included)
 *   0x05 string     u32 byte length, UTF-8; a lone surrogate (which UTF-8 cannot hold, and the
 *                   engine stores) as its own three bytes ED A0–BF 80–BF, as generalized
 *                   UTF-8 (WTF-8) writes it; anything else ill-formed is an error
 *   0x06 bytes      u32 length, the bytes (persistent references are bytes)
 *   0x07 date       f64 milliseconds since 1970 (an invalid Date is NaN)
 *   0x08 array      u32 count, the values
 *   0x09 dictionary u32 count, then count × (string body as 0x05, value); keys unique
 *   0x0A SecAccessControl   string body (protection), u32 flags
 *   0x0B SecCertificate     u32 length, DER
 *   0x0C key handle         u32 handle, dictionary body (public data, see server.ts)
 *   0x0D identity handle    u32 handle, u32 length + certificate DER, then a key handle body
 *   0x0E SecError           f64 status, then a value: the detail (string) or undefined
 *   0x0F public key         u32 length, external representation, then a string body (kSecAttrKeyType)
 *   0x10 unrepresentable    string body: what the sender could not encode (a function, a
 *                           class instance…); decoded to an Unrepresentable, which the
 *                           engine refuses with the status it gives that kind of value
 *   0x11 private key        as 0x0F: a private key the client holds (PKCS#12 import, an
 *                           extractable key it made), for the daemon to store or use
 *   0x12 carried identity   u32 length + certificate DER, then a private key body (as 0x11):
 *                           an identity the client holds, not yet in the keychain
 *   0x13 authentication context  u8 flags (1 interaction not allowed, 2 invalidated,
 *                           4 a credential follows, 8 an authentication time follows; user
 *                           presence: 16 the client can be asked, 32 the client's check
 *                           accepted, 64 it declined, for this call), f64
 *                           reuse seconds, [f64 ms of the last authentication], [u32 length +
 *                           credential]: an LAContext's state (its checks stay in the client)
 * @module
 */

import type { LAContextState } from '../access/la-context.js';

export const WIRE_VERSION = 1;
/** The engine's largest value is 16 MiB of data; a frame may add 1 MiB of structure. */
export const MAX_FRAME = 17 * 1024 * 1024;
/** How deeply arrays and dictionaries may nest. */
export const MAX_DEPTH = 32;

export type WireErrorCode =
  | 'truncated' // the value ends before its body does
  | 'oversized' // a frame longer than the limit
  | 'version' // a frame of another wire version
  | 'tag' // an unknown value tag
  | 'depth' // nesting deeper than MAX_DEPTH
  | 'utf8' // a string that is not UTF-8
  | 'trailing' // bytes left after the value
  | 'duplicate-key' // a dictionary key twice
  | 'count' // a count larger than the bytes left could hold
  | 'unencodable' // (encoding) a value with no wire form
  | 'protocol'; // a well-formed value that is not a request or reply

/** A frame or value that is not well-formed: what and where. */
export class WireError extends Error {
  readonly code: WireErrorCode;
  constructor(code: WireErrorCode, message: string) {
    super(message);
    this.code = code;
    Object.defineProperty(this, 'name', { value: 'WireError', enumerable: false });
  }
}

const T = {
  undefined: 0x00, null: 0x01, false: 0x02, true: 0x03, number: 0x04, string: 0x05, bytes: 0x06, date: 0x07,
  array: 0x08, dict: 0x09, accessControl: 0x0a, certificate: 0x0b, key: 0x0c, identity: 0x0d, error: 0x0e,
  publicKey: 0x0f, unrepresentable: 0x10, privateKey: 0x11, carriedIdentity: 0x12, authContext: 0x13,
} as const;

// ── The wire's object forms ──────────────────────────────────────────────────

/** A SecCertificate on the wire: its DER. */
export class WireCertificate {
  constructor(readonly der: Uint8Array) {}
}
/** A daemon-side key: the handle the daemon maps to the SecKey for this connection, and its public data. */
export class WireKey {
  constructor(readonly handle: number, readonly info: Readonly<Record<string, unknown>>) {}
}
/** A daemon-side identity: its handle, its certificate and its private key's handle. */
export class WireIdentity {
  constructor(readonly handle: number, readonly certificate: Uint8Array, readonly key: WireKey) {}
}
/** A SecError: status and detail. */
export class WireSecError {
  constructor(readonly status: number, readonly detail: string | undefined) {}
}
/** A public key held by the client, sent as its external representation. */
export class WirePublicKey {
  constructor(readonly data: Uint8Array, readonly keyType: string) {}
}
/** A private key held by the client, sent as its external representation (Apple's format). */
export class WirePrivateKey {
  constructor(readonly data: Uint8Array, readonly keyType: string) {}
}
/** An identity held by the client: its certificate's DER and its private key. */
export class WireCarriedIdentity {
  constructor(readonly certificate: Uint8Array, readonly key: WirePrivateKey) {}
}
/** User presence for one call, as an authentication context carries it (flag bits of tag 0x13). */
export type PresenceOnWire = 'none' | 'ask' | 'granted' | 'declined';
const PRESENCE_BITS: Readonly<Record<PresenceOnWire, number>> = { none: 0, ask: 16, granted: 32, declined: 64 };
const PRESENCE_OF_BITS: ReadonlyMap<number, PresenceOnWire> = new Map(Object.entries(PRESENCE_BITS).map(([k, v]) => [v, k as PresenceOnWire]));

/** An LAContext's state (la-context.ts LAContextState, what of it can leave the client's process), and user presence for this call. */
export class WireAuthContext {
  constructor(
    readonly state: Omit<LAContextState, 'canAskPresence'>,
    /** 'ask' (the client has a check to run), its check's answer, or 'none'. */
    readonly presence: PresenceOnWire = 'none',
  ) {}
}
/** A value the sender could not encode; the receiver's engine refuses it as it would refuse that value. */
export class Unrepresentable {
  constructor(readonly what: string) {}
  toString(): string {
    return `[${this.what}]`;
  }
}

/**
 * How objects that are not plain values are encoded: `object` maps one to
 * a wire form (or undefined: Unrepresentable).
 */
export interface EncodeHooks {
  object?(value: object): WireCertificate | WireKey | WireIdentity | WireSecError | WirePublicKey | WirePrivateKey | WireCarriedIdentity | WireAuthContext | Unrepresentable | undefined;
}
/** How wire forms become the receiver's objects (default: the Wire* classes themselves). */
export interface DecodeHooks {
  certificate?(der: Uint8Array): unknown;
  key?(key: WireKey): unknown;
  identity?(identity: WireIdentity): unknown;
  error?(error: WireSecError): unknown;
  publicKey?(key: WirePublicKey): unknown;
  privateKey?(key: WirePrivateKey): unknown;
  carriedIdentity?(identity: WireCarriedIdentity): unknown;
  authContext?(context: WireAuthContext): unknown;
  accessControl?(protection: string, flags: number): unknown;
}

// ── Encoding ─────────────────────────────────────────────────────────────────

class Writer {
  #buf = Buffer.allocUnsafe(256);
  #len = 0;
  #ensure(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    if (this.#len + n > MAX_FRAME) throw new WireError('oversized', `the message exceeds ${MAX_FRAME} bytes`);
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = Buffer.allocUnsafe(Math.min(size, MAX_FRAME + 8));
    this.#buf.copy(next, 0, 0, this.#len);
    this.#buf = next;
  }
  u8(v: number): void {
    this.#ensure(1);
    this.#buf[this.#len++] = v;
  }
  u32(v: number): void {
    this.#ensure(4);
    this.#buf.writeUInt32BE(v >>> 0, this.#len);
    this.#len += 4;
  }
  f64(v: number): void {
    this.#ensure(8);
    this.#buf.writeDoubleBE(v, this.#len);
    this.#len += 8;
  }
  bytes(v: Uint8Array): void {
    this.u32(v.byteLength);
    this.#ensure(v.byteLength);
    this.#buf.set(v, this.#len);
    this.#len += v.byteLength;
  }
  string(s: string): void {
    const length = s.length;
    if (length <= 64) {
      // Short ASCII (most of the protocol's strings): written byte by byte, no byteLength pass.
      this.#ensure(4 + length);
      const buf = this.#buf;
      const at = this.#len + 4;
      let i = 0;
      for (; i < length; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) break;
        buf[at + i] = c;
      }
      if (i === length) {
        buf.writeUInt32BE(length, this.#len);
        this.#len = at + length;
        return;
      }
    }
    if (!isWellFormed(s)) return this.#wtf8(s);
    const n = Buffer.byteLength(s, 'utf8');
    this.u32(n);
    this.#ensure(n);
    this.#buf.write(s, this.#len, n, 'utf8');
    this.#len += n;
  }
  /** A string with lone surrogates: its well-formed runs as UTF-8, each lone surrogate as its three bytes (UTF-8 would write U+FFFD). */
  #wtf8(s: string): void {
    const lengthAt = this.reserve(4);
    const start = this.#len;
    let from = 0;
    const run = (to: number) => {
      if (to === from) return;
      const part = s.slice(from, to);
      const n = Buffer.byteLength(part, 'utf8');
      this.#ensure(n);
      this.#len += this.#buf.write(part, this.#len, n, 'utf8');
    };
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0xd800 || c > 0xdfff) continue;
      if (c < 0xdc00 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        i++; // a pair: part of the run
        continue;
      }
      run(i);
      this.#ensure(3);
      this.#buf[this.#len++] = 0xed;
      this.#buf[this.#len++] = 0x80 | ((c >> 6) & 0x3f);
      this.#buf[this.#len++] = 0x80 | (c & 0x3f);
      from = i + 1;
    }
    run(s.length);
    this.patchU32(lengthAt, this.#len - start);
  }
  reserve(n: number): number {
    this.#ensure(n);
    const at = this.#len;
    this.#len += n;
    return at;
  }
  patchU32(at: number, v: number): void {
    this.#buf.writeUInt32BE(v >>> 0, at);
  }
  get length(): number {
    return this.#len;
  }
  result(): Buffer {
    return this.#buf.subarray(0, this.#len);
  }
}

function isWellFormed(s: string): boolean {
  // (String.prototype.isWellFormed is in Node 20, not yet in the ES2022 lib types.)
  return (s as string & { isWellFormed(): boolean }).isWellFormed();
}

function isPlainDictionary(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function isAccessControl(v: object): v is { kind: 'SecAccessControl'; protection: unknown; flags: unknown } {
  return (v as { kind?: unknown }).kind === 'SecAccessControl';
}

function describe(v: unknown): string {
  if (typeof v === 'object' && v !== null) return `an object of class ${v.constructor?.name ?? 'null-prototype'}`;
  return `a ${typeof v}`;
}

function writeKeyBody(w: Writer, key: WireKey, hooks: EncodeHooks, depth: number): void {
  w.u32(key.handle);
  writeDictBody(w, key.info, hooks, depth + 1);
}

function writeDictBody(w: Writer, dict: Readonly<Record<string, unknown>>, hooks: EncodeHooks, depth: number): void {
  if (depth > MAX_DEPTH) throw new WireError('depth', `values nest deeper than ${MAX_DEPTH}`);
  const keys = Object.keys(dict);
  w.u32(keys.length);
  for (const k of keys) {
    w.string(k);
    writeValue(w, dict[k], hooks, depth + 1);
  }
}

function writeValue(w: Writer, v: unknown, hooks: EncodeHooks, depth: number): void {
  if (depth > MAX_DEPTH) throw new WireError('depth', `values nest deeper than ${MAX_DEPTH}`);
  switch (typeof v) {
    case 'undefined':
      return w.u8(T.undefined);
    case 'boolean':
      return w.u8(v ? T.true : T.false);
    case 'number':
      w.u8(T.number);
      return w.f64(v);
    case 'string':
      w.u8(T.string);
      return w.string(v);
    case 'object':
      break;
    default:
      w.u8(T.unrepresentable);
      return w.string(describe(v));
  }
  if (v === null) return w.u8(T.null);
  if (v instanceof Uint8Array) {
    w.u8(T.bytes);
    return w.bytes(v);
  }
  if (v instanceof Date) {
    w.u8(T.date);
    return w.f64(v.getTime());
  }
  if (Array.isArray(v)) {
    w.u8(T.array);
    w.u32(v.length);
    for (let i = 0; i < v.length; i++) writeValue(w, v[i], hooks, depth + 1);
    return;
  }
  if (isAccessControl(v) && typeof v.protection === 'string' && typeof v.flags === 'number' && Number.isInteger(v.flags) && v.flags >= 0 && v.flags <= 0xffffffff) {
    w.u8(T.accessControl);
    w.string(v.protection);
    return w.u32(v.flags);
  }
  const mapped = isPlainDictionary(v)
    ? null
    : v instanceof WireCertificate || v instanceof WireKey || v instanceof WireIdentity || v instanceof WireSecError || v instanceof WirePublicKey ||
        v instanceof WirePrivateKey || v instanceof WireCarriedIdentity || v instanceof WireAuthContext || v instanceof Unrepresentable
      ? v
      : hooks.object?.(v);
  if (mapped === null) {
    w.u8(T.dict);
    return writeDictBody(w, v as Record<string, unknown>, hooks, depth);
  }
  if (mapped instanceof WireCertificate) {
    w.u8(T.certificate);
    return w.bytes(mapped.der);
  }
  if (mapped instanceof WireKey) {
    w.u8(T.key);
    return writeKeyBody(w, mapped, hooks, depth);
  }
  if (mapped instanceof WireIdentity) {
    w.u8(T.identity);
    w.u32(mapped.handle);
    w.bytes(mapped.certificate);
    return writeKeyBody(w, mapped.key, hooks, depth);
  }
  if (mapped instanceof WireSecError) {
    w.u8(T.error);
    w.f64(mapped.status);
    return writeValue(w, mapped.detail, hooks, depth + 1);
  }
  if (mapped instanceof WirePublicKey || mapped instanceof WirePrivateKey) {
    w.u8(mapped instanceof WirePublicKey ? T.publicKey : T.privateKey);
    return writeKeyMaterial(w, mapped);
  }
  if (mapped instanceof WireAuthContext) {
    const st = mapped.state;
    w.u8(T.authContext);
    w.u8((st.interactionNotAllowed ? 1 : 0) | (st.invalidated ? 2 : 0) | (st.credential !== undefined ? 4 : 0) | (st.authenticatedAt !== undefined ? 8 : 0) | PRESENCE_BITS[mapped.presence]);
    w.f64(st.reuseSeconds);
    if (st.authenticatedAt !== undefined) w.f64(st.authenticatedAt);
    if (st.credential !== undefined) w.bytes(st.credential);
    return;
  }
  if (mapped instanceof WireCarriedIdentity) {
    w.u8(T.carriedIdentity);
    w.bytes(mapped.certificate);
    return writeKeyMaterial(w, mapped.key);
  }
  w.u8(T.unrepresentable);
  w.string(mapped instanceof Unrepresentable ? mapped.what : describe(v));
}

/** A key's external representation, then its kSecAttrKeyType. */
function writeKeyMaterial(w: Writer, key: WirePublicKey | WirePrivateKey): void {
  w.bytes(key.data);
  w.string(key.keyType);
}

/** One value's encoding (no frame header). */
export function encodeValue(value: unknown, hooks: EncodeHooks = {}): Buffer {
  const w = new Writer();
  writeValue(w, value, hooks, 0);
  return w.result();
}

/** A frame: length, version, value. Throws WireError('oversized') past MAX_FRAME. */
export function encodeFrame(value: unknown, hooks: EncodeHooks = {}): Buffer {
  const w = new Writer();
  const at = w.reserve(4);
  w.u8(WIRE_VERSION);
  writeValue(w, value, hooks, 0);
  const length = w.length - 4;
  if (length > MAX_FRAME) throw new WireError('oversized', `the message exceeds ${MAX_FRAME} bytes`);
  w.patchU32(at, length);
  return w.result();
}

// ── Decoding ─────────────────────────────────────────────────────────────────

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

class Reader {
  #at = 0;
  readonly #end: number;
  readonly buf: Buffer;
  /** Bytes values are views of a Buffer given, copies of another Uint8Array's (as Buffer and Uint8Array slice()). */
  readonly #copy: boolean;
  constructor(bytes: Uint8Array) {
    this.#copy = !Buffer.isBuffer(bytes);
    this.buf = this.#copy ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : (bytes as Buffer);
    this.#end = bytes.byteLength;
  }
  get remaining(): number {
    return this.#end - this.#at;
  }
  #need(n: number, what: string): void {
    if (this.#end - this.#at < n) throw new WireError('truncated', `the message ends inside ${what} at byte ${this.#at}`);
  }
  u8(what: string): number {
    this.#need(1, what);
    return this.buf[this.#at++]!;
  }
  u32(what: string): number {
    this.#need(4, what);
    const v = this.buf.readUInt32BE(this.#at);
    this.#at += 4;
    return v;
  }
  f64(what: string): number {
    this.#need(8, what);
    const v = this.buf.readDoubleBE(this.#at);
    this.#at += 8;
    return v;
  }
  bytes(what: string): Uint8Array {
    const n = this.u32(what);
    this.#need(n, what);
    const out = this.#copy ? Uint8Array.prototype.slice.call(this.buf, this.#at, this.#at + n) : this.buf.subarray(this.#at, this.#at + n);
    this.#at += n;
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }
  string(what: string): string {
    const n = this.u32(what);
    this.#need(n, what);
    const start = this.#at;
    const end = (this.#at += n);
    // Most strings of the protocol are short ASCII (keys, classes, names): read as latin1, no decoder call.
    if (n <= 64) {
      const b = this.buf;
      let i = start;
      while (i < end && b[i]! < 0x80) i++;
      if (i === end) return b.toString('latin1', start, end);
    }
    try {
      return utf8.decode(this.buf.subarray(start, end));
    } catch {
      return this.#wtf8(start, end, what);
    }
  }
  /**
   * A string that is not UTF-8: UTF-8 runs and lone surrogates, each as its
   * three bytes ED A0–BF 80–BF (Writer.#wtf8). A lead surrogate's bytes
   * followed by a trail's are no lone surrogates (a pair is sent as its four
   * bytes), so each string has one encoding: that, and any other ill-formed
   * byte, is an error.
   */
  #wtf8(start: number, end: number, what: string): string {
    const b = this.buf;
    const illFormed = () => new WireError('utf8', `${what} is not UTF-8`);
    const run = (from: number, to: number) => {
      try {
        return utf8.decode(b.subarray(from, to));
      } catch {
        throw illFormed();
      }
    };
    let out = '';
    let from = start;
    let leadEnd = -1;
    for (let i = start; i + 2 < end; i++) {
      // ED is never a continuation byte, and in UTF-8 it is followed by 80–9F only: ED A0–BF is a surrogate's.
      if (b[i] !== 0xed || b[i + 1]! < 0xa0 || b[i + 1]! > 0xbf) continue;
      if ((b[i + 2]! & 0xc0) !== 0x80) throw illFormed();
      const unit = 0xd000 | ((b[i + 1]! & 0x3f) << 6) | (b[i + 2]! & 0x3f);
      if (unit >= 0xdc00 && leadEnd === i) throw illFormed();
      out += run(from, i) + String.fromCharCode(unit);
      from = i + 3;
      if (unit < 0xdc00) leadEnd = from;
      i += 2;
    }
    return out + run(from, end);
  }
  count(what: string, minBytesEach: number): number {
    const n = this.u32(what);
    if (n * minBytesEach > this.remaining) throw new WireError('count', `${what} claims ${n} entries, more than the message holds`);
    return n;
  }
  get position(): number {
    return this.#at;
  }
}

function readDictBody(r: Reader, hooks: DecodeHooks, depth: number): Record<string, unknown> {
  if (depth > MAX_DEPTH) throw new WireError('depth', `values nest deeper than ${MAX_DEPTH}`);
  const n = r.count('a dictionary', 5);
  const out: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) {
    const key = r.string('a dictionary key');
    if (Object.prototype.hasOwnProperty.call(out, key)) throw new WireError('duplicate-key', `a dictionary has the key ${JSON.stringify(key.slice(0, 64))} twice`);
    const value = readValue(r, hooks, depth + 1);
    // defineProperty: a key "__proto__" is an ordinary own key, never the prototype (Object.prototype has no other setter).
    if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    else out[key] = value;
  }
  return out;
}

function readKeyBody(r: Reader, hooks: DecodeHooks, depth: number): WireKey {
  const handle = r.u32('a key handle');
  return new WireKey(handle, readDictBody(r, hooks, depth + 1));
}

function readValue(r: Reader, hooks: DecodeHooks, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new WireError('depth', `values nest deeper than ${MAX_DEPTH}`);
  const at = r.position;
  const tag = r.u8('a value');
  switch (tag) {
    case T.undefined:
      return undefined;
    case T.null:
      return null;
    case T.false:
      return false;
    case T.true:
      return true;
    case T.number:
      return r.f64('a number');
    case T.string:
      return r.string('a string');
    case T.bytes:
      return r.bytes('bytes');
    case T.date:
      return new Date(r.f64('a date'));
    case T.array: {
      const n = r.count('an array', 1);
      const out = new Array<unknown>(n);
      for (let i = 0; i < n; i++) out[i] = readValue(r, hooks, depth + 1);
      return out;
    }
    case T.dict:
      return readDictBody(r, hooks, depth);
    case T.accessControl: {
      const protection = r.string('an access control');
      const flags = r.u32('an access control');
      return hooks.accessControl ? hooks.accessControl(protection, flags) : Object.freeze({ kind: 'SecAccessControl', protection, flags });
    }
    case T.certificate: {
      const der = r.bytes('a certificate');
      return hooks.certificate ? hooks.certificate(der) : new WireCertificate(der);
    }
    case T.key: {
      const key = readKeyBody(r, hooks, depth);
      return hooks.key ? hooks.key(key) : key;
    }
    case T.identity: {
      const handle = r.u32('an identity handle');
      const certificate = r.bytes('an identity');
      const identity = new WireIdentity(handle, certificate, readKeyBody(r, hooks, depth));
      return hooks.identity ? hooks.identity(identity) : identity;
    }
    case T.error: {
      const status = r.f64('an error');
      const detail = readValue(r, hooks, depth + 1);
      const error = new WireSecError(status, typeof detail === 'string' ? detail : undefined);
      return hooks.error ? hooks.error(error) : error;
    }
    case T.publicKey: {
      const key = new WirePublicKey(r.bytes('a public key'), r.string('a public key'));
      return hooks.publicKey ? hooks.publicKey(key) : key;
    }
    case T.privateKey: {
      const key = new WirePrivateKey(r.bytes('a private key'), r.string('a private key'));
      return hooks.privateKey ? hooks.privateKey(key) : key;
    }
    case T.carriedIdentity: {
      const certificate = r.bytes('a carried identity');
      const identity = new WireCarriedIdentity(certificate, new WirePrivateKey(r.bytes('a carried identity'), r.string('a carried identity')));
      return hooks.carriedIdentity ? hooks.carriedIdentity(identity) : identity;
    }
    case T.authContext: {
      const flags = r.u8('an authentication context');
      const presence = PRESENCE_OF_BITS.get(flags & 0x70);
      if (flags > 0x7f || presence === undefined) throw new WireError('tag', `an authentication context with unknown flags 0x${flags.toString(16)} at byte ${at}`);
      const reuseSeconds = r.f64('an authentication context');
      const authenticatedAt = flags & 8 ? r.f64('an authentication context') : undefined;
      const credential = flags & 4 ? r.bytes('an authentication context') : undefined;
      const context = new WireAuthContext({ credential, interactionNotAllowed: (flags & 1) !== 0, reuseSeconds, authenticatedAt, invalidated: (flags & 2) !== 0 }, presence);
      return hooks.authContext ? hooks.authContext(context) : context;
    }
    case T.unrepresentable:
      return new Unrepresentable(r.string('an unrepresentable value'));
    default:
      throw new WireError('tag', `unknown value tag 0x${tag.toString(16).padStart(2, '0')} at byte ${at}`);
  }
}

/** One value from exactly these bytes. */
export function decodeValue(bytes: Uint8Array, hooks: DecodeHooks = {}): unknown {
  const r = new Reader(bytes);
  const value = readValue(r, hooks, 0);
  if (r.remaining !== 0) throw new WireError('trailing', `${r.remaining} bytes follow the value`);
  return value;
}

/** A frame's body (after the length): checks the version, decodes the value. */
export function decodeFrameBody(body: Uint8Array, hooks: DecodeHooks = {}): unknown {
  if (body.byteLength === 0) throw new WireError('truncated', 'an empty frame');
  if (body[0] !== WIRE_VERSION) throw new WireError('version', `wire version ${body[0]}, this end speaks ${WIRE_VERSION}`);
  return decodeValue(body.subarray(1), hooks);
}

/**
 * Splits a byte stream into frame bodies. `push` answers the frames the
 * chunk completes; an oversized length is a WireError as soon as it is read
 * (nothing of the frame is buffered).
 */
export class FrameReader {
  readonly #max: number;
  #chunks: Buffer[] = [];
  #buffered = 0;
  #need = -1;

  constructor(max = MAX_FRAME) {
    this.#max = max;
  }

  /** Bytes received and not yet part of a whole frame. */
  get buffered(): number {
    return this.#buffered;
  }

  push(chunk: Buffer): Buffer[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.#need < 0) {
        if (this.#buffered < 4) break;
        const head = this.#take(4);
        const length = head.readUInt32BE(0);
        if (length > this.#max) throw new WireError('oversized', `a frame of ${length} bytes exceeds the limit of ${this.#max}`);
        if (length === 0) throw new WireError('truncated', 'an empty frame');
        this.#need = length;
      }
      if (this.#buffered < this.#need) break;
      frames.push(this.#take(this.#need));
      this.#need = -1;
    }
    return frames;
  }

  #take(n: number): Buffer {
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#buffered);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#buffered = rest.length;
    return out;
  }
}
