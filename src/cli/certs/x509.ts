/**
 * What the certificate commands read from a certificate's DER, as Apple's
 * SecCertificate functions do: its SHA-1 and SHA-256 hashes
 * (SecCertificateGetSHA1Digest, printed by `-Z` and find-identity), its
 * common names (SecCertificateCopyCommonName: the last one, which `-c`
 * matches), its e-mail addresses (SecCertificateCopyEmailAddresses: subject
 * emailAddress attributes, then rfc822Name entries of the subject
 * alternative name), its validity dates, and a subject summary for a label
 * when the keychain has none.
 * @module
 */
import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, SubjectAlternativeName, id_ce_subjectAltName } from '@peculiar/asn1-x509';
import type { Name } from '@peculiar/asn1-x509';

const OID_COMMON_NAME = '2.5.4.3';
const OID_ORGANIZATIONAL_UNIT = '2.5.4.11';
const OID_ORGANIZATION = '2.5.4.10';
const OID_EMAIL = '1.2.840.113549.1.9.1';

/** The facts of one certificate the commands print or match on. */
export interface CertificateFacts {
  readonly der: Uint8Array;
  /** Common names in subject order. */
  readonly commonNames: readonly string[];
  /** SecCertificateCopyCommonName: the last common name, if any. */
  readonly commonName: string | undefined;
  readonly emailAddresses: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The common name, else the first e-mail address, else the organizational unit or organization. */
  readonly subjectSummary: string | undefined;
}

/** Uppercase hex of a digest of `der`, as `%02X` per byte prints it. */
export function digestHex(algorithm: 'sha1' | 'sha256', der: Uint8Array): string {
  return createHash(algorithm).update(der).digest('hex').toUpperCase();
}

function values(name: Name, oid: string): string[] {
  const out: string[] = [];
  for (const rdn of name) for (const atv of rdn) if (atv.type === oid) out.push(atv.value.toString());
  return out;
}

/**
 * Parses a DER certificate.
 * @throws when `der` is not an X.509 certificate
 */
export function certificateFacts(der: Uint8Array): CertificateFacts {
  const cert = AsnConvert.parse(der, Certificate);
  const tbs = cert.tbsCertificate;
  const commonNames = values(tbs.subject, OID_COMMON_NAME);
  const emails = values(tbs.subject, OID_EMAIL);
  for (const ext of tbs.extensions ?? []) {
    if (ext.extnID !== id_ce_subjectAltName) continue;
    const san = AsnConvert.parse(ext.extnValue, SubjectAlternativeName);
    for (const g of san) if (g.rfc822Name !== undefined) emails.push(g.rfc822Name);
  }
  const commonName = commonNames.at(-1);
  const subjectSummary =
    commonName ?? emails[0] ?? values(tbs.subject, OID_ORGANIZATIONAL_UNIT).at(-1) ?? values(tbs.subject, OID_ORGANIZATION).at(-1);
  return {
    der: new Uint8Array(der),
    commonNames,
    commonName,
    emailAddresses: emails,
    notBefore: tbs.validity.notBefore.getTime(),
    notAfter: tbs.validity.notAfter.getTime(),
    subjectSummary,
  };
}

/** certificateFacts, or undefined when `der` does not parse. */
export function tryCertificateFacts(der: Uint8Array): CertificateFacts | undefined {
  try {
    return certificateFacts(der);
  } catch {
    return undefined;
  }
}

/**
 * CFStringFind with kCFCompareCaseInsensitive: whether `needle` occurs in
 * `haystack`, ignoring case.
 */
export function containsIgnoringCase(haystack: string, needle: string): boolean {
  return haystack.toLocaleLowerCase('en-US').includes(needle.toLocaleLowerCase('en-US'));
}
