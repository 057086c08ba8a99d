/**
 * RFC 4514 distinguished-name text → DER Name, for certificate signing
 * requests. The text lists RDNs most-specific first ("CN=host,O=Example"),
 * the reverse of the DER RDNSequence, so the last RDN of the text is the
 * first SET of the encoding. Multi-valued RDNs join AVAs with '+'. Values
 * take the escapes of RFC 4514 §2.4 ("\," "\+" "\\" "\ " …, and "\XX" hex
 * octets of UTF-8) or "#hex" for a BER-encoded value.
 *
 * Bad text throws SecError(errSecParam) saying what is wrong and where.
 * @module
 */
import { SecError, errSecParam } from '../status.js';
import { DerError, TAG, concatBytes, decodeWhole, encodeTlv } from './der.js';

/** Attribute types by (lower-case) RFC 4514 / OpenSSL short name: OID and string type. */
const ATTRIBUTE_TYPES: ReadonlyMap<string, { oid: string; tag: number }> = new Map([
  ['cn', { oid: '2.5.4.3', tag: TAG.UTF8_STRING }],
  ['o', { oid: '2.5.4.10', tag: TAG.UTF8_STRING }],
  ['ou', { oid: '2.5.4.11', tag: TAG.UTF8_STRING }],
  ['c', { oid: '2.5.4.6', tag: TAG.PRINTABLE_STRING }],
  ['l', { oid: '2.5.4.7', tag: TAG.UTF8_STRING }],
  ['st', { oid: '2.5.4.8', tag: TAG.UTF8_STRING }],
  ['street', { oid: '2.5.4.9', tag: TAG.UTF8_STRING }],
  ['serialnumber', { oid: '2.5.4.5', tag: TAG.PRINTABLE_STRING }],
  ['dc', { oid: '0.9.2342.19200300.100.1.25', tag: TAG.IA5_STRING }],
  ['uid', { oid: '0.9.2342.19200300.100.1.1', tag: TAG.UTF8_STRING }],
  ['emailaddress', { oid: '1.2.840.113549.1.9.1', tag: TAG.IA5_STRING }],
  ['e', { oid: '1.2.840.113549.1.9.1', tag: TAG.IA5_STRING }],
]);

/** Characters RFC 4514 lets a backslash escape (besides hex pairs). */
const ESCAPABLE = new Set([',', '+', '"', '\\', '<', '>', ';', '=', ' ', '#']);
/** Characters that must not appear unescaped in a value. */
const MUST_ESCAPE = new Set(['"', ';', '<', '>', '\\']);

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

function bad(reason: string): never {
  throw new SecError(errSecParam, `invalid distinguished name: ${reason}`);
}

/** The content octets of a dotted OBJECT IDENTIFIER. */
export function encodeOid(dotted: string): Uint8Array {
  if (!/^[0-2](\.(0|[1-9]\d*))+$/.test(dotted)) bad(`"${dotted}" is not an object identifier`);
  const arcs = dotted.split('.').map(BigInt);
  const first = arcs[0]! * 40n + arcs[1]!;
  const out: number[] = [];
  for (const arc of [first, ...arcs.slice(2)]) {
    const bytes = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) bytes.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...bytes);
  }
  return Uint8Array.from(out);
}

/** One AttributeTypeAndValue as written in the text. */
interface Ava {
  type: string;
  /** The unescaped value, or the DER of a "#hex" value. */
  value: string | Uint8Array;
}

/** Splits the text into RDNs of AVAs, resolving escapes; positions in errors are 0-based. */
function tokenize(text: string): Ava[][] {
  const rdns: Ava[][] = [];
  let rdn: Ava[] = [];
  let i = 0;
  const skipSpaces = () => {
    while (text[i] === ' ') i++;
  };
  for (;;) {
    skipSpaces();
    const typeStart = i;
    while (i < text.length && text[i] !== '=' && text[i] !== ',' && text[i] !== '+') i++;
    const type = text.slice(typeStart, i).trim();
    if (text[i] !== '=') bad(`expected "=" after the attribute type at position ${typeStart}`);
    if (type === '') bad(`empty attribute type at position ${typeStart}`);
    i++; // '='
    skipSpaces();
    let value: string | Uint8Array;
    if (text[i] === '#') {
      const hexStart = ++i;
      while (i < text.length && /[0-9A-Fa-f]/.test(text[i]!)) i++;
      const hex = text.slice(hexStart, i);
      if (hex.length === 0 || hex.length % 2 !== 0) bad(`"#" value at position ${hexStart - 1} is not an even number of hex digits`);
      value = Uint8Array.from(Buffer.from(hex, 'hex'));
      try {
        decodeWhole(value);
      } catch (e) {
        if (e instanceof DerError) bad(`"#" value at position ${hexStart - 1} is not one BER element`);
        throw e;
      }
      skipSpaces();
    } else {
      const bytes: number[] = [];
      let trailingSpaces = 0; // unescaped spaces at the end are dropped
      while (i < text.length && text[i] !== ',' && text[i] !== '+') {
        const ch = text[i]!;
        if (ch === '\\') {
          const next = text[i + 1];
          if (next !== undefined && /[0-9A-Fa-f]/.test(next) && /[0-9A-Fa-f]/.test(text[i + 2] ?? '')) {
            bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
            i += 3;
          } else if (next !== undefined && ESCAPABLE.has(next)) {
            bytes.push(next.charCodeAt(0));
            i += 2;
          } else {
            bad(`bad escape at position ${i}`);
          }
          trailingSpaces = 0;
          continue;
        }
        if (MUST_ESCAPE.has(ch)) bad(`unescaped "${ch}" at position ${i}`);
        const encoded = Buffer.from(ch.codePointAt(0)! > 0xffff ? text.slice(i, i + 2) : ch, 'utf8');
        bytes.push(...encoded);
        trailingSpaces = ch === ' ' ? trailingSpaces + 1 : 0;
        i += ch.codePointAt(0)! > 0xffff ? 2 : 1;
      }
      const raw = Buffer.from(bytes.slice(0, bytes.length - trailingSpaces));
      try {
        value = new TextDecoder('utf-8', { fatal: true }).decode(raw);
      } catch {
        bad(`the value of ${type} is not UTF-8`);
      }
    }
    rdn.push({ type, value });
    if (i >= text.length) break;
    if (text[i] === ',') {
      rdns.push(rdn);
      rdn = [];
    } else if (text[i] !== '+') {
      bad(`unexpected "${text[i]}" at position ${i}`);
    }
    i++;
  }
  rdns.push(rdn);
  return rdns;
}

/** The DER AttributeTypeAndValue of one AVA. */
function encodeAva({ type, value }: Ava): Uint8Array {
  const known = ATTRIBUTE_TYPES.get(type.toLowerCase());
  let oid: string;
  let tag: number = TAG.UTF8_STRING;
  if (known) {
    oid = known.oid;
    tag = known.tag;
  } else if (/^\d/.test(type)) {
    oid = type;
  } else {
    bad(`unknown attribute type "${type}"`);
  }
  const typeDer = encodeTlv(TAG.OID, encodeOid(oid));
  if (value instanceof Uint8Array) return encodeTlv(TAG.SEQUENCE, typeDer, value);
  if (value === '') bad(`empty value for ${type}`);
  if (tag === TAG.PRINTABLE_STRING && !PRINTABLE.test(value)) bad(`${type} must use PrintableString characters`);
  if (tag === TAG.IA5_STRING && !/^[\x00-\x7f]*$/.test(value)) bad(`${type} must be ASCII`);
  if (oid === '2.5.4.6' && value.length !== 2) bad('C must be a two-letter country code');
  return encodeTlv(TAG.SEQUENCE, typeDer, encodeTlv(tag, Buffer.from(value, tag === TAG.UTF8_STRING ? 'utf8' : 'latin1')));
}

/** DER order of SET OF elements: by their encodings as octet strings. */
function derSetOrder(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The DER Name (a full SEQUENCE) of RFC 4514 text. The empty string is the
 * empty Name.
 */
export function encodeDistinguishedName(text: string): Uint8Array {
  if (typeof text !== 'string') bad('the subject must be a string');
  if (text.trim() === '') return encodeTlv(TAG.SEQUENCE);
  const rdns = tokenize(text).map((rdn) => encodeTlv(TAG.SET, ...rdn.map(encodeAva).sort(derSetOrder)));
  return encodeTlv(TAG.SEQUENCE, concatBytes(...rdns.reverse()));
}
