/**
 * Parsing of an X.509 certificate's DER with the checks of Apple's
 * SecCertificateParse (OSX/sec/Security/SecCertificate.c), keeping the exact
 * bytes the keychain stores: serial number content, issuer and subject Name
 * content, the subjectPublicKey bits, the SubjectKeyIdentifier.
 *
 * Like Apple (libDER's DERDecodeItem), bytes after the certificate's outer
 * SEQUENCE are ignored and not part of the certificate; everything inside it
 * must be well formed.
 * @module
 */
import {
  DerError,
  TAG,
  childrenOf,
  contentOf,
  decodeItem,
  encodingOf,
  expectTag,
  oidToString,
  type DerItem,
} from './der.js';
import { normalizeNameContent } from './x509-name.js';

const OID_SUBJECT_KEY_IDENTIFIER = '2.5.29.14';
const OID_SUBJECT_ALT_NAME = '2.5.29.17';

/** What the keychain needs from a certificate, as exact bytes. */
export interface ParsedCertificate {
  /** The certificate's DER (without any bytes that followed it in the input). */
  readonly der: Uint8Array;
  /** The version field: 0 (v1), 1 (v2) or 2 (v3). */
  readonly version: number;
  /** Content octets of the serialNumber INTEGER, as encoded. */
  readonly serialNumber: Uint8Array;
  /** The issuer Name content (inside its SEQUENCE). */
  readonly issuerContent: Uint8Array;
  /** The subject Name content (inside its SEQUENCE). */
  readonly subjectContent: Uint8Array;
  /** createNormalizedX501Name of the issuer; undefined when it cannot be normalized. */
  readonly normalizedIssuer: Uint8Array | undefined;
  /** createNormalizedX501Name of the subject; undefined when it cannot be normalized. */
  readonly normalizedSubject: Uint8Array | undefined;
  /** The whole SubjectPublicKeyInfo encoding. */
  readonly subjectPublicKeyInfo: Uint8Array;
  /** Dotted OID of the public key algorithm. */
  readonly publicKeyAlgorithm: string;
  /** The subjectPublicKey BIT STRING content without its unused-bits octet. */
  readonly publicKeyBits: Uint8Array;
  /** The SubjectKeyIdentifier's key identifier, when the extension is present and well formed. */
  readonly subjectKeyID: Uint8Array | undefined;
  /** The SubjectAltName extension's GeneralNames encoding, when present and well formed. */
  readonly subjectAltName: Uint8Array | undefined;
  /** The whole TBSCertificate encoding (what the signature covers). */
  readonly tbs: Uint8Array;
}

/** Content of a BIT STRING without the unused-bits octet. */
function bitStringBits(item: DerItem, what: string): Uint8Array {
  expectTag(item, TAG.BIT_STRING, what);
  const content = contentOf(item);
  if (content.length === 0 || content[0]! > 7) throw new DerError(`${what}: malformed BIT STRING`);
  if (content.length === 1 && content[0] !== 0) throw new DerError(`${what}: malformed BIT STRING`);
  return content.subarray(1);
}

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL } → dotted OID. */
function algorithmId(item: DerItem, what: string): string {
  expectTag(item, TAG.SEQUENCE, what);
  const parts = childrenOf(item);
  if (parts.length < 1 || parts.length > 2) throw new DerError(`${what}: malformed AlgorithmIdentifier`);
  return oidToString(contentOf(expectTag(parts[0]!, TAG.OID, what)));
}

const UTC_TIME = /^\d{10}(\d{2})?(Z|[+-]\d{4})$/;
const GENERALIZED_TIME = /^\d{12}(\d{2})?(\.\d+)?(Z|[+-]\d{4})?$/;

/** Validity ::= SEQUENCE { notBefore Time, notAfter Time }, each a UTCTime or GeneralizedTime. */
function checkValidity(item: DerItem): void {
  expectTag(item, TAG.SEQUENCE, 'validity');
  const times = childrenOf(item);
  if (times.length !== 2) throw new DerError('validity must hold two times');
  for (const t of times) {
    const text = Buffer.from(contentOf(t)).toString('latin1');
    const ok = t.tag === TAG.UTC_TIME ? UTC_TIME.test(text) : t.tag === TAG.GENERALIZED_TIME && GENERALIZED_TIME.test(text);
    if (!ok) throw new DerError('validity holds a malformed time');
  }
}

/** BOOLEAN content: one octet, 0x00 or 0xFF. */
function parseBoolean(item: DerItem): boolean {
  const c = contentOf(expectTag(item, TAG.BOOLEAN, 'critical'));
  if (c.length !== 1 || (c[0] !== 0 && c[0] !== 0xff)) throw new DerError('malformed BOOLEAN');
  return c[0] === 0xff;
}

/** GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName, each of a known [0]..[8] form. */
function checkGeneralNames(extnValue: Uint8Array): void {
  const seq = expectTag(decodeItem(extnValue), TAG.SEQUENCE, 'GeneralNames');
  const names = childrenOf(seq);
  if (names.length === 0) throw new DerError('empty GeneralNames');
  for (const name of names) {
    const known = [0xa0, 0x81, 0x82, 0xa3, 0xa4, 0xa5, 0x86, 0x87, 0x88];
    if (name.tag === 0xa6) {
      expectTag(decodeItem(name.buffer, name.contentStart, name.end), TAG.IA5_STRING, 'URI');
    } else if (!known.includes(name.tag)) {
      throw new DerError(`unknown GeneralName tag 0x${name.tag.toString(16)}`);
    }
  }
}

interface Extensions {
  subjectKeyID: Uint8Array | undefined;
  subjectAltName: Uint8Array | undefined;
}

/** [3] Extensions: SEQUENCE SIZE (1..MAX) OF Extension; a critical SKI or SAN that does not parse rejects the certificate. */
function parseExtensions(wrapper: DerItem): Extensions {
  const seq = expectTag(decodeItem(wrapper.buffer, wrapper.contentStart, wrapper.end), TAG.SEQUENCE, 'extensions');
  const list = childrenOf(seq);
  if (list.length === 0) throw new DerError('empty extensions');
  const out: Extensions = { subjectKeyID: undefined, subjectAltName: undefined };
  for (const ext of list) {
    expectTag(ext, TAG.SEQUENCE, 'extension');
    const parts = childrenOf(ext);
    if (parts.length < 2 || parts.length > 3) throw new DerError('malformed extension');
    const oid = oidToString(contentOf(expectTag(parts[0]!, TAG.OID, 'extnID')));
    const critical = parts.length === 3 ? parseBoolean(parts[1]!) : false;
    const value = contentOf(expectTag(parts[parts.length - 1]!, TAG.OCTET_STRING, 'extnValue'));
    try {
      if (oid === OID_SUBJECT_KEY_IDENTIFIER) {
        const keyId = expectTag(decodeItem(value), TAG.OCTET_STRING, 'SubjectKeyIdentifier');
        out.subjectKeyID = new Uint8Array(contentOf(keyId));
      } else if (oid === OID_SUBJECT_ALT_NAME) {
        checkGeneralNames(value);
        out.subjectAltName = new Uint8Array(value);
      }
    } catch (e) {
      if (!(e instanceof DerError)) throw e;
      if (critical) throw new DerError(`critical extension ${oid} does not parse`);
      if (oid === OID_SUBJECT_ALT_NAME) out.subjectAltName = undefined;
    }
  }
  return out;
}

/**
 * Parses a certificate. Throws DerError, naming what is wrong, when `input`
 * is not an X.509 certificate Apple's SecCertificateCreateWithData accepts.
 */
export function parseCertificate(input: Uint8Array): ParsedCertificate {
  const outer = expectTag(decodeItem(input), TAG.SEQUENCE, 'Certificate');
  if (outer.contentStart - outer.start >= 0xff) throw new DerError('Certificate header too long');
  const der = new Uint8Array(encodingOf(outer));
  const top = childrenOf(decodeItem(der));
  if (top.length !== 3) throw new DerError('Certificate must hold tbsCertificate, signatureAlgorithm, signatureValue');
  const [tbsItem, sigAlg, sig] = top as [DerItem, DerItem, DerItem];
  expectTag(tbsItem, TAG.SEQUENCE, 'tbsCertificate');
  algorithmId(sigAlg, 'signatureAlgorithm');
  bitStringBits(sig, 'signatureValue');

  const fields = childrenOf(tbsItem);
  let i = 0;
  let version = 0;
  if (fields[i]?.tag === 0xa0) {
    const v = expectTag(decodeItem(der, fields[i]!.contentStart, fields[i]!.end), TAG.INTEGER, 'version');
    const c = contentOf(v);
    if (c.length !== 1 || c[0]! < 1 || c[0]! > 2) throw new DerError('version must be v2 or v3 when present');
    version = c[0]!;
    i++;
  }
  const take = (tag: number, what: string): DerItem => {
    const item = fields[i++];
    if (!item) throw new DerError(`tbsCertificate lacks ${what}`);
    return expectTag(item, tag, what);
  };
  const serial = contentOf(take(TAG.INTEGER, 'serialNumber'));
  if (serial.length < 1 || serial.length > 37) throw new DerError('serialNumber must be 1 to 37 octets');
  algorithmId(take(TAG.SEQUENCE, 'signature'), 'signature');
  const issuer = contentOf(take(TAG.SEQUENCE, 'issuer'));
  checkValidity(take(TAG.SEQUENCE, 'validity'));
  const subject = contentOf(take(TAG.SEQUENCE, 'subject'));
  const spki = take(TAG.SEQUENCE, 'subjectPublicKeyInfo');
  const spkiParts = childrenOf(spki);
  if (spkiParts.length !== 2) throw new DerError('malformed subjectPublicKeyInfo');
  const publicKeyAlgorithm = algorithmId(spkiParts[0]!, 'subjectPublicKeyInfo algorithm');
  const publicKeyBits = bitStringBits(spkiParts[1]!, 'subjectPublicKey');
  if (fields[i]?.tag === 0x81) i++;
  if (fields[i]?.tag === 0x82) i++;
  let extensions: Extensions = { subjectKeyID: undefined, subjectAltName: undefined };
  if (fields[i]?.tag === 0xa3) extensions = parseExtensions(fields[i++]!);
  if (i !== fields.length) throw new DerError('unexpected element in tbsCertificate');

  return {
    der,
    version,
    serialNumber: new Uint8Array(serial),
    issuerContent: new Uint8Array(issuer),
    subjectContent: new Uint8Array(subject),
    normalizedIssuer: normalizeNameContent(issuer),
    normalizedSubject: normalizeNameContent(subject),
    subjectPublicKeyInfo: new Uint8Array(encodingOf(spki)),
    publicKeyAlgorithm,
    publicKeyBits: new Uint8Array(publicKeyBits),
    subjectKeyID: extensions.subjectKeyID,
    subjectAltName: extensions.subjectAltName,
    tbs: new Uint8Array(encodingOf(tbsItem)),
  };
}
