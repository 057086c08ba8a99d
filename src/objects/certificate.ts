/**
 * SecCertificate: an X.509 certificate held as its DER bytes, with Apple's
 * SecCertificate functions (OSX/sec/Security/SecCertificate.c) and the
 * attributes SecItemAdd infers for a certificate item
 * (SecCertificateCopyAttributeDictionary, reference §5.1).
 * @module
 */
import { createHash, createPublicKey } from 'node:crypto';
import {
  kSecAttrCertificateEncoding,
  kSecAttrCertificateType,
  kSecAttrIssuer,
  kSecAttrLabel,
  kSecAttrPublicKeyHash,
  kSecAttrSerialNumber,
  kSecAttrSubject,
  kSecAttrSubjectKeyID,
  kSecClass,
  kSecClassCertificate,
  kSecValueData,
} from '../constants.js';
import { SecError, errSecDecode, errSecInvalidCertificate } from '../status.js';
import { DerError, bytesEqual, encodeTlv, TAG } from './der.js';
import { SecKey } from './key.js';
import { subjectSummary } from './subject-summary.js';
import { normalizeDistinguishedName } from './x509-name.js';
import { parseCertificate, type ParsedCertificate } from './x509-parse.js';

export class SecCertificate {
  readonly #der: Uint8Array;

  private constructor(der: Uint8Array) {
    this.#der = der;
  }

  /** @internal for SecCertificateCreateWithData, after the DER is parsed and found well-formed. */
  static fromCheckedDer(der: Uint8Array): SecCertificate {
    return new SecCertificate(new Uint8Array(der));
  }

  /** A copy of the DER bytes. */
  get der(): Uint8Array {
    return new Uint8Array(this.#der);
  }
}

/** The parsed form of each certificate, computed once. */
const parsedCache = new WeakMap<SecCertificate, ParsedCertificate>();

/**
 * @internal The parsed fields of a certificate. Throws SecError(errSecDecode)
 * for a SecCertificate made by fromCheckedDer from bytes that do not parse.
 */
export function parsedCertificate(cert: SecCertificate): ParsedCertificate {
  let parsed = parsedCache.get(cert);
  if (!parsed) {
    try {
      parsed = parseCertificate(cert.der);
    } catch (e) {
      if (e instanceof DerError) throw new SecError(errSecDecode, `certificate does not parse: ${e.message}`);
      throw e;
    }
    parsedCache.set(cert, parsed);
  }
  return parsed;
}

/** Whether `value` is a SecCertificate. */
export function isSecCertificate(value: unknown): value is SecCertificate {
  return value instanceof SecCertificate;
}

/**
 * SecCertificateCreateWithData: a certificate from its DER encoding, or
 * undefined when the bytes are not an X.509 certificate Apple accepts
 * (well-formed structure, version v1–v3, a 1–37 octet serial number,
 * parseable validity, names and key, no critical SKI/SAN that fails to parse).
 * As in Apple's parser, bytes after the certificate's outer SEQUENCE are
 * ignored and dropped: SecCertificateCopyData returns the parsed certificate.
 */
export function SecCertificateCreateWithData(data: Uint8Array): SecCertificate | undefined {
  if (!(data instanceof Uint8Array) || data.length === 0) return undefined;
  let parsed: ParsedCertificate;
  try {
    parsed = parseCertificate(data);
  } catch (e) {
    if (e instanceof DerError) return undefined;
    throw e;
  }
  const cert = SecCertificate.fromCheckedDer(parsed.der);
  parsedCache.set(cert, parsed);
  return cert;
}

/** SecCertificateCopyData: the certificate's DER (a copy). */
export function SecCertificateCopyData(certificate: SecCertificate): Uint8Array {
  return certificate.der;
}

/** SecCertificateCopySubjectSummary: a human-readable summary of the subject (see subject-summary.ts). */
export function SecCertificateCopySubjectSummary(certificate: SecCertificate): string | undefined {
  return subjectSummary(parsedCertificate(certificate));
}

/**
 * SecCertificateCopySerialNumberData: the serialNumber INTEGER's content
 * octets as encoded (a leading 0x00 kept). For something that is not a
 * certificate, Apple's CFError out-parameter: errSecInvalidCertificate.
 */
export function SecCertificateCopySerialNumberData(certificate: SecCertificate): { value?: Uint8Array; error?: SecError } {
  if (!isSecCertificate(certificate)) {
    return { error: new SecError(errSecInvalidCertificate, 'not a SecCertificate') };
  }
  return { value: new Uint8Array(parsedCertificate(certificate).serialNumber) };
}

/** SecCertificateCopyKey: the certificate's public key, or undefined for a key type node cannot read. */
export function SecCertificateCopyKey(certificate: SecCertificate): SecKey | undefined {
  try {
    const spki = Buffer.from(parsedCertificate(certificate).subjectPublicKeyInfo);
    return SecKey.fromPublicKeyObject(createPublicKey({ key: spki, format: 'der', type: 'spki' }));
  } catch {
    return undefined;
  }
}

/** SecCertificateCopyNormalizedIssuerSequence: the normalized issuer as a full Name SEQUENCE. */
export function SecCertificateCopyNormalizedIssuerSequence(certificate: SecCertificate): Uint8Array | undefined {
  const content = parsedCertificate(certificate).normalizedIssuer;
  return content && encodeTlv(TAG.SEQUENCE, content);
}

/** SecCertificateCopyNormalizedSubjectSequence: the normalized subject as a full Name SEQUENCE. */
export function SecCertificateCopyNormalizedSubjectSequence(certificate: SecCertificate): Uint8Array | undefined {
  const content = parsedCertificate(certificate).normalizedSubject;
  return content && encodeTlv(TAG.SEQUENCE, content);
}

/**
 * SHA-1 of the subjectPublicKey BIT STRING content (SecCertificateCopyPublicKeySHA1Digest):
 * the certificate's kSecAttrPublicKeyHash, equal to its private key's
 * kSecAttrApplicationLabel (RSA: PKCS#1 RSAPublicKey DER; EC: 04‖X‖Y).
 */
export function certificatePublicKeyHash(certificate: SecCertificate): Uint8Array {
  return new Uint8Array(createHash('sha1').update(parsedCertificate(certificate).publicKeyBits).digest());
}

/**
 * The attributes SecItemAdd stores for a certificate given by reference:
 * class, ctyp (version + 1), cenc (3, DER), subj and issr (normalized Name
 * content), slnr (serial content octets), skid (when the extension exists),
 * pkhh, labl (the subject summary, SecItemAdd's default label, omitted
 * when there is none) and the DER as v_Data.
 * Throws SecError(errSecDecode) when the issuer cannot be normalized, as
 * Apple's attribute dictionary is then NULL.
 */
export function certificateItemAttributes(certificate: SecCertificate): Map<string, unknown> {
  const parsed = parsedCertificate(certificate);
  if (!parsed.normalizedIssuer) throw new SecError(errSecDecode, 'the certificate issuer cannot be normalized');
  const attrs = new Map<string, unknown>();
  attrs.set(kSecClass, kSecClassCertificate);
  attrs.set(kSecAttrCertificateType, parsed.version + 1);
  attrs.set(kSecAttrCertificateEncoding, 3);
  const label = subjectSummary(parsed);
  if (label !== undefined) attrs.set(kSecAttrLabel, label);
  if (parsed.normalizedSubject) attrs.set(kSecAttrSubject, new Uint8Array(parsed.normalizedSubject));
  attrs.set(kSecAttrIssuer, new Uint8Array(parsed.normalizedIssuer));
  attrs.set(kSecAttrSerialNumber, new Uint8Array(parsed.serialNumber));
  if (parsed.subjectKeyID) attrs.set(kSecAttrSubjectKeyID, new Uint8Array(parsed.subjectKeyID));
  attrs.set(kSecAttrPublicKeyHash, certificatePublicKeyHash(certificate));
  attrs.set(kSecValueData, new Uint8Array(parsed.der));
  return attrs;
}

/**
 * A kSecAttrIssuer value as the client library prepares it in every
 * dictionary (SecItemAttributesPrepare): a full DER Name SEQUENCE becomes
 * its normalized content; anything else (already content) is used unchanged.
 */
export function canonicalIssuer(issuer: Uint8Array): Uint8Array {
  return normalizeDistinguishedName(issuer) ?? issuer;
}

/** Certificate equality (CFEqual on SecCertificate): the same DER. */
export function sameCertificate(a: SecCertificate, b: SecCertificate): boolean {
  return bytesEqual(a.der, b.der);
}
