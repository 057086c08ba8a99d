/**
 * X.501 Names as the keychain sees them (OSX/sec/Security/SecCertificate.c):
 * the normalized Name content stored in kSecAttrSubject / kSecAttrIssuer
 * (createNormalizedX501Name), the walk over a Name's attributes
 * (parseX501NameContent) and the text of an attribute value
 * (copyDERThingDescription), which the subject summary is built from.
 *
 * A Name's "content" is the bytes inside its outer SEQUENCE: the RDN SETs.
 * @module
 */
import {
  DerError,
  TAG,
  bytesEqual,
  childrenOf,
  concatBytes,
  contentOf,
  decodeItem,
  encodeLength,
  encodingOf,
  expectTag,
  itemsIn,
  oidToString,
  type DerItem,
} from './der.js';

/** Content octets of the attribute type OIDs the summary looks for. */
export const OID_BYTES = {
  commonName: Uint8Array.of(0x55, 0x04, 0x03),
  organizationalUnitName: Uint8Array.of(0x55, 0x04, 0x0b),
  organizationName: Uint8Array.of(0x55, 0x04, 0x0a),
  description: Uint8Array.of(0x55, 0x04, 0x0d),
  /** PKCS#9 emailAddress, 1.2.840.113549.1.9.1 */
  emailAddress: Uint8Array.of(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01),
} as const;

/** One AttributeTypeAndValue of a Name. */
export interface NameAttribute {
  /** Content octets of the type OID. */
  readonly type: Uint8Array;
  /** The whole encoded value (tag, length, content). */
  readonly value: Uint8Array;
}

/** The ATVs of one AttributeTypeAndValue SEQUENCE: type OID and value. */
function splitAtv(atv: DerItem): [DerItem, DerItem] {
  expectTag(atv, TAG.SEQUENCE, 'AttributeTypeAndValue');
  const parts = childrenOf(atv);
  if (parts.length !== 2) throw new DerError('AttributeTypeAndValue must hold a type and a value');
  const [type, value] = parts as [DerItem, DerItem];
  expectTag(type, TAG.OID, 'attribute type');
  if (type.end === type.contentStart) throw new DerError('empty attribute type');
  return [type, value];
}

/**
 * Every attribute of a Name's content, RDN by RDN, in encoded order. Throws
 * DerError when the content is not a sequence of non-empty RDN SETs of
 * AttributeTypeAndValue.
 */
export function nameAttributes(nameContent: Uint8Array): NameAttribute[] {
  const out: NameAttribute[] = [];
  for (const rdn of itemsIn(nameContent)) {
    expectTag(rdn, TAG.SET, 'RelativeDistinguishedName');
    if (rdn.end === rdn.contentStart) throw new DerError('empty RelativeDistinguishedName');
    for (const atv of childrenOf(rdn)) {
      const [type, value] = splitAtv(atv);
      out.push({ type: new Uint8Array(contentOf(type)), value: new Uint8Array(encodingOf(value)) });
    }
  }
  return out;
}

/** isblank(): space or horizontal tab. */
function isBlank(ch: number): boolean {
  return ch === 0x20 || ch === 0x09;
}

/**
 * A PrintableString's content as Apple compares it (RFC 5280 7.1 (c), (d)):
 * a-z upper-cased, runs of blanks collapsed to one space, leading and
 * trailing blanks removed.
 */
function normalizePrintable(content: Uint8Array): Uint8Array {
  const out: number[] = [];
  let lastWasBlank = false;
  for (const ch of content) {
    if (isBlank(ch)) {
      if (lastWasBlank) continue;
      if (out.length > 0) out.push(0x20);
      lastWasBlank = true;
    } else {
      lastWasBlank = false;
      out.push(ch >= 0x61 && ch <= 0x7a ? ch - 0x20 : ch);
    }
  }
  if (lastWasBlank && out.length > 0) out.pop();
  return Uint8Array.from(out);
}

/** Re-encodes `item` with new content bytes, keeping its identifier octets. */
function withContent(item: DerItem, content: Uint8Array): Uint8Array {
  const identifier = item.buffer.subarray(item.start, identifierEnd(item));
  return concatBytes(identifier, encodeLength(content.length), content);
}

/** Offset just past an item's identifier octets. */
function identifierEnd(item: DerItem): number {
  let pos = item.start + 1;
  if ((item.tag & 0x1f) === 0x1f) while ((item.buffer[pos++]! & 0x80) !== 0);
  return pos;
}

/**
 * The normalized content of a Name (createNormalizedX501Name): the same DER
 * structure, where every PrintableString value is normalized (upper case,
 * blanks collapsed and trimmed) and the lengths around it are re-encoded.
 * Everything else is copied byte for byte. Undefined when the content is not
 * a well-formed sequence of RDNs, as Apple returns NULL then.
 */
export function normalizeNameContent(nameContent: Uint8Array): Uint8Array | undefined {
  try {
    const rdns: Uint8Array[] = [];
    for (const rdn of itemsIn(nameContent)) {
      expectTag(rdn, TAG.SET, 'RelativeDistinguishedName');
      if (rdn.end === rdn.contentStart) throw new DerError('empty RelativeDistinguishedName');
      let changed = false;
      const atvs: Uint8Array[] = [];
      for (const atv of childrenOf(rdn)) {
        const [, value] = splitAtv(atv);
        // The value must itself decode (Apple: DERDecodeItem on the value).
        decodeItem(value.buffer, value.start, value.end);
        if (value.tag !== TAG.PRINTABLE_STRING) {
          atvs.push(encodingOf(atv));
          continue;
        }
        const original = contentOf(value);
        const normalized = normalizePrintable(original);
        if (bytesEqual(original, normalized)) {
          atvs.push(encodingOf(atv));
          continue;
        }
        changed = true;
        const beforeValue = atv.buffer.subarray(atv.contentStart, value.start);
        atvs.push(withContent(atv, concatBytes(beforeValue, withContent(value, normalized))));
      }
      rdns.push(changed ? withContent(rdn, concatBytes(...atvs)) : encodingOf(rdn));
    }
    return concatBytes(...rdns);
  } catch (e) {
    if (e instanceof DerError) return undefined;
    throw e;
  }
}

/**
 * The normalized content of a full DER Name (SecDistinguishedNameCopyNormalizedContent):
 * undefined unless `name` decodes as a SEQUENCE.
 */
export function normalizeDistinguishedName(name: Uint8Array): Uint8Array | undefined {
  try {
    const item = decodeItem(name);
    if (item.tag !== TAG.SEQUENCE) return undefined;
    return normalizeNameContent(contentOf(item));
  } catch (e) {
    if (e instanceof DerError) return undefined;
    throw e;
  }
}

/** "%02X" bytes separated by spaces (copyHexDescription). */
export function hexDescription(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
}

/** Decimal up to 8 bytes, hex otherwise (copyIntegerContentDescription). */
function integerDescription(content: Uint8Array): string {
  if (content.length === 0 || content.length > 8) return hexDescription(content);
  let value = 0n;
  for (const b of content) value = (value << 8n) | BigInt(b);
  return value.toString();
}

/**
 * A string value's text (copyContentString): one trailing NUL is dropped
 * (except for UTF-16); bytes the encoding cannot decode give the hex form.
 */
function contentString(content: Uint8Array, encoding: 'ascii' | 'utf8' | 'latin1' | 'utf16be'): string {
  let bytes = content;
  if (bytes.length > 0 && bytes[bytes.length - 1] === 0 && encoding !== 'utf16be') bytes = bytes.subarray(0, -1);
  switch (encoding) {
    case 'ascii':
      return bytes.every((b) => b < 0x80) ? Buffer.from(bytes).toString('latin1') : hexDescription(content);
    case 'latin1':
      return Buffer.from(bytes).toString('latin1');
    case 'utf8':
      try {
        return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
      } catch {
        return hexDescription(content);
      }
    case 'utf16be': {
      if (bytes.length % 2 !== 0) return hexDescription(content);
      const swapped = Buffer.from(bytes);
      swapped.swap16();
      return swapped.toString('utf16le');
    }
  }
}

/** "<type>; <n> <unit>; data = <hex>" (copyBlobString with SEC_BLOB_KEY). */
function blobDescription(type: string, unit: string, content: Uint8Array): string {
  return `${type}; ${content.length} ${unit}; data = ${hexDescription(content)}`;
}

/** libDER's DERTag of an item: class and constructed bits in the top byte of 64 bits, tag number below. */
function derTagValue(item: DerItem): string {
  const tag = (BigInt(item.tag & 0xe0) << 56n) | BigInt(item.tagNumber);
  return BigInt.asIntN(64, tag).toString();
}

/**
 * The text of an encoded attribute value as the subject summary uses it
 * (copyDERThingDescription with printableOnly): undefined when the value
 * does not decode; otherwise strings by their encoding, integers in decimal
 * (hex past 64 bits), and other types in Apple's descriptive forms.
 * OBJECT IDENTIFIER values are given in dotted form (Apple localizes the
 * names of known OIDs; such values do not occur in ordinary Names).
 */
export function valueDescription(value: Uint8Array): string | undefined {
  let item: DerItem;
  try {
    item = decodeItem(value);
  } catch (e) {
    if (e instanceof DerError) return undefined;
    throw e;
  }
  const content = contentOf(item);
  switch (item.tag) {
    case TAG.INTEGER:
    case TAG.BOOLEAN:
      return integerDescription(content);
    case TAG.PRINTABLE_STRING:
    case TAG.IA5_STRING:
      return contentString(content, 'ascii');
    case TAG.UTF8_STRING:
    case TAG.GENERAL_STRING:
    case TAG.UNIVERSAL_STRING:
      return contentString(content, 'utf8');
    case TAG.T61_STRING:
    case TAG.VIDEOTEX_STRING:
    case TAG.VISIBLE_STRING:
      return contentString(content, 'latin1');
    case TAG.BMP_STRING:
      return contentString(content, 'utf16be');
    case TAG.OCTET_STRING:
      return blobDescription('Byte string', 'bytes', content);
    case TAG.BIT_STRING:
      return blobDescription('Bit string', 'bits', content);
    case TAG.SEQUENCE:
      return blobDescription('Sequence', 'bytes', content);
    case TAG.SET:
      return blobDescription('Set', 'bytes', content);
    case TAG.OID:
      try {
        return oidToString(content);
      } catch {
        return hexDescription(content);
      }
    default:
      return `not displayed (tag = ${derTagValue(item)}; length ${content.length})`;
  }
}
