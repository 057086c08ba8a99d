/**
 * A minimal DER reader and length encoder, in the manner of Apple's libDER:
 * it hands out the exact bytes of each element (tag, length, content), which
 * the keychain needs verbatim (a certificate's serial number, its issuer
 * Name content, its public key bits) and which re-encoding parsers lose.
 *
 * Reading one item (decodeItem) allows bytes after it, as libDER's
 * DERDecodeItem does; reading the items of a constructed element
 * (childrenOf) requires them to fill it exactly, as DERDecodeSeqNext does.
 * Malformed input throws DerError, which callers turn into a SecError.
 * @module
 */

/** A malformed DER encoding; the message says where and what. */
export class DerError extends Error {
  constructor(message: string) {
    super(message);
    Object.defineProperty(this, 'name', { value: 'DerError', enumerable: false });
  }
}

/** Universal tags (first identifier octet) used by the certificate, PKCS#12 and CSR code. */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  VIDEOTEX_STRING: 0x15,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  VISIBLE_STRING: 0x1a,
  GENERAL_STRING: 0x1b,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** One DER element inside a buffer: offsets are absolute. */
export interface DerItem {
  /** The first identifier octet (class, constructed bit and tag number < 31). */
  readonly tag: number;
  /** The tag number (also for multi-octet tags). */
  readonly tagNumber: number;
  /** Offset of the identifier octet. */
  readonly start: number;
  /** Offset of the first content octet. */
  readonly contentStart: number;
  /** Offset just past the content. */
  readonly end: number;
  /** The buffer the offsets refer to. */
  readonly buffer: Uint8Array;
}

/** The content octets of an item (a view, not a copy). */
export function contentOf(item: DerItem): Uint8Array {
  return item.buffer.subarray(item.contentStart, item.end);
}

/** The whole encoding of an item: tag, length and content (a view). */
export function encodingOf(item: DerItem): Uint8Array {
  return item.buffer.subarray(item.start, item.end);
}

/**
 * Reads the item starting at `offset`; it must end at or before `limit`
 * (default: the end of the buffer). Definite lengths only, as DER requires.
 */
export function decodeItem(buffer: Uint8Array, offset = 0, limit = buffer.length): DerItem {
  let pos = offset;
  if (limit - pos < 2) throw new DerError(`truncated element at offset ${offset}`);
  const tag = buffer[pos++]!;
  let tagNumber = tag & 0x1f;
  if (tagNumber === 0x1f) {
    tagNumber = 0;
    for (let n = 0; ; n++) {
      if (pos >= limit || n > 3) throw new DerError(`bad tag at offset ${offset}`);
      const b = buffer[pos++]!;
      tagNumber = tagNumber * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
  }
  if (pos >= limit) throw new DerError(`truncated length at offset ${offset}`);
  const first = buffer[pos++]!;
  let length: number;
  if (first < 0x80) {
    length = first;
  } else if (first === 0x80) {
    throw new DerError(`indefinite length at offset ${offset}`);
  } else {
    const count = first & 0x7f;
    if (count > 4 || limit - pos < count) throw new DerError(`bad length at offset ${offset}`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buffer[pos++]!;
  }
  if (limit - pos < length) throw new DerError(`element at offset ${offset} runs past its container`);
  return { tag, tagNumber, start: offset, contentStart: pos, end: pos + length, buffer };
}

/** Reads `bytes` as exactly one item (nothing may follow it). */
export function decodeWhole(bytes: Uint8Array): DerItem {
  const item = decodeItem(bytes, 0, bytes.length);
  if (item.end !== bytes.length) throw new DerError(`${bytes.length - item.end} bytes follow the element`);
  return item;
}

/** The items that make up the content of a constructed item; they must fill it exactly. */
export function childrenOf(item: DerItem): DerItem[] {
  return itemsIn(item.buffer, item.contentStart, item.end);
}

/** The items that exactly fill buffer[start, end). */
export function itemsIn(buffer: Uint8Array, start = 0, end = buffer.length): DerItem[] {
  const out: DerItem[] = [];
  let pos = start;
  while (pos < end) {
    const child = decodeItem(buffer, pos, end);
    out.push(child);
    pos = child.end;
  }
  return out;
}

/** Throws unless `item` has the given first identifier octet. */
export function expectTag(item: DerItem, tag: number, what: string): DerItem {
  if (item.tag !== tag) {
    throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, found 0x${item.tag.toString(16)} at offset ${item.start}`);
  }
  return item;
}

/** The minimal DER encoding of a length. */
export function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** Tag, minimal length and content, concatenated. */
export function encodeTlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = concatBytes(...content);
  return concatBytes(Uint8Array.of(tag), encodeLength(body.length), body);
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** The dotted text of an OBJECT IDENTIFIER's content octets. */
export function oidToString(content: Uint8Array): string {
  if (content.length === 0) throw new DerError('empty OBJECT IDENTIFIER');
  // Arcs are numbers while they fit in 2^46 (every OID met in practice); a larger arc is read again as a BigInt.
  const arcs: number[] = [];
  let value = 0;
  for (let i = 0; i < content.length; i++) {
    const b = content[i]!;
    if (value >= 2 ** 46) return oidToStringBig(content);
    value = value * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(value);
      value = 0;
    } else if (i === content.length - 1) {
      throw new DerError('truncated OBJECT IDENTIFIER');
    }
  }
  const first = arcs[0]!;
  const head = first < 40 ? `0.${first}` : first < 80 ? `1.${first - 40}` : `2.${first - 80}`;
  return arcs.length === 1 ? head : `${head}.${arcs.slice(1).join('.')}`;
}

function oidToStringBig(content: Uint8Array): string {
  const arcs: bigint[] = [];
  let value = 0n;
  for (let i = 0; i < content.length; i++) {
    const b = content[i]!;
    value = (value << 7n) | BigInt(b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(value);
      value = 0n;
    } else if (i === content.length - 1) {
      throw new DerError('truncated OBJECT IDENTIFIER');
    }
  }
  const first = arcs[0]!;
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].join('.');
}

/** Whether two byte arrays hold the same bytes. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
