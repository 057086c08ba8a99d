/**
 * SecCertificateCopySubjectSummary (OSX/sec/Security/SecCertificate.c:
 * obtainSummaryFromX501Name, SecCertificateCopyRFC822Names,
 * SecCertificateCopyDNSNames): the human-readable name of a certificate,
 * which SecItemAdd also stores as a certificate item's default kSecAttrLabel.
 * @module
 */
import { DerError, bytesEqual, childrenOf, contentOf, decodeItem } from './der.js';
import type { ParsedCertificate } from './x509-parse.js';
import { OID_BYTES, nameAttributes, valueDescription } from './x509-name.js';

/** Attribute kinds from least to most wanted (enum SummaryType). */
const enum Kind {
  None = 0,
  Printable = 1,
  Organization = 2,
  OrganizationalUnit = 3,
  CommonName = 4,
}

/** SEC_STRING_LIST_KEY "%@, %@" with (new element, list so far): a reversed list. */
function prepend(element: string, list: string): string {
  return `${element}, ${list}`;
}

/**
 * The summary of a Name's content: all values of the most wanted kind
 * (CN > OU > O > anything printable), joined in reverse order, and the
 * `description` values likewise. Undefined when the Name does not parse.
 */
function summarizeName(nameContent: Uint8Array): { kind: Kind; text?: string; description?: string } | undefined {
  let attributes;
  try {
    attributes = nameAttributes(nameContent);
  } catch (e) {
    if (e instanceof DerError) return undefined;
    throw e;
  }
  let kind = Kind.None;
  let text: string | undefined;
  let description: string | undefined;
  for (const { type, value } of attributes) {
    let k: Kind = Kind.None;
    let str: string | undefined;
    if (bytesEqual(type, OID_BYTES.commonName)) k = Kind.CommonName;
    else if (bytesEqual(type, OID_BYTES.organizationalUnitName)) k = Kind.OrganizationalUnit;
    else if (bytesEqual(type, OID_BYTES.organizationName)) k = Kind.Organization;
    else if (bytesEqual(type, OID_BYTES.description)) {
      str = valueDescription(value);
      if (str !== undefined) {
        description = description === undefined ? str : prepend(str, description);
        k = Kind.Printable;
      }
    } else k = Kind.Printable;

    if (kind > k) continue;
    str ??= valueDescription(value);
    if (str === undefined) continue;
    if (kind === k && text !== undefined) text = prepend(str, text);
    else {
      kind = k;
      text = str;
    }
  }
  return { kind, text, description };
}

/** The GeneralName [n] contents of a SubjectAltName, in order. */
function generalNames(san: Uint8Array | undefined, tag: number): Uint8Array[] {
  if (!san) return [];
  return childrenOf(decodeItem(san))
    .filter((n) => n.tag === tag)
    .map((n) => contentOf(n));
}

/** SecFrameworkIsDNSName: RFC 1035 shaped, '*' and '_' allowed, last label with a letter. */
export function isDNSName(name: string): boolean {
  if (name.length > 255) return false;
  type State = 'initial' | 'dot' | 'alpha' | 'digit' | 'dash';
  let state: State = 'initial';
  let labelLength = 0;
  let labelHasAlpha = false;
  for (const ch of name) {
    labelLength++;
    if (ch === '.') {
      if (labelLength > 64 || (state !== 'alpha' && state !== 'digit')) return false;
      state = 'dot';
      labelHasAlpha = false;
      labelLength = 0;
    } else if (/[A-Za-z*]/.test(ch)) {
      state = 'alpha';
      labelHasAlpha = true;
    } else if (/[0-9]/.test(ch)) {
      state = 'digit';
    } else if (ch === '-') {
      if (state !== 'alpha' && state !== 'digit' && state !== 'dash') return false;
      state = 'dash';
    } else if (ch === '_') {
      state = 'alpha';
    } else {
      return false;
    }
  }
  return labelLength <= 63 && (state === 'alpha' || state === 'digit') && labelHasAlpha;
}

/** SecCertificateCopyRFC822Names: SAN rfc822Names, then subject emailAddress values; undefined when none or one is unreadable. */
function rfc822Names(cert: ParsedCertificate): string[] | undefined {
  const names: string[] = [];
  for (const raw of generalNames(cert.subjectAltName, 0x81)) {
    if (raw.some((b) => b >= 0x80)) return undefined;
    names.push(Buffer.from(raw).toString('latin1'));
  }
  for (const { type, value } of nameAttributes(cert.subjectContent)) {
    if (!bytesEqual(type, OID_BYTES.emailAddress)) continue;
    const text = valueDescription(value);
    if (text === undefined) return undefined;
    names.push(text);
  }
  return names.length > 0 ? names : undefined;
}

/** SecCertificateCopyDNSNames: SAN dNSNames shaped like DNS names, else subject CNs shaped like DNS names. */
function dnsNames(cert: ParsedCertificate): string[] | undefined {
  if (cert.subjectAltName) {
    const fromSan: string[] = [];
    let readable = true;
    for (const raw of generalNames(cert.subjectAltName, 0x82)) {
      try {
        const name = new TextDecoder('utf-8', { fatal: true }).decode(raw);
        if (isDNSName(name)) fromSan.push(name);
      } catch {
        readable = false;
        break;
      }
    }
    if (readable && fromSan.length > 0) return fromSan;
  }
  const fromCN: string[] = [];
  for (const { type, value } of nameAttributes(cert.subjectContent)) {
    if (!bytesEqual(type, OID_BYTES.commonName)) continue;
    const text = valueDescription(value);
    if (text === undefined) return undefined;
    if (isDNSName(text)) fromCN.push(text);
  }
  return fromCN.length > 0 ? fromCN : undefined;
}

/**
 * The subject summary: the common names (reverse order, ", "-joined), with
 * " (description)" appended when the subject has a description; without a
 * common name, the first email address (SAN, then subject), else the first
 * DNS name, else the OUs, else the Os, else any other printable values.
 * Undefined when the subject cannot be read or yields nothing.
 */
export function subjectSummary(cert: ParsedCertificate): string | undefined {
  const summary = summarizeName(cert.subjectContent);
  if (!summary) return undefined;
  let text = summary.text;
  if (summary.description !== undefined && summary.kind === Kind.CommonName) {
    text = `${text} (${summary.description})`; // SEC_COMMON_NAME_DESC_KEY "%@ (%@)"
  }
  if (summary.kind !== Kind.CommonName) {
    const names = orUndefined(() => rfc822Names(cert)) ?? orUndefined(() => dnsNames(cert));
    if (names) text = names[0];
  }
  return text;
}

/** `fn()`, or undefined when it meets malformed DER (Apple's error status → NULL). */
function orUndefined<T>(fn: () => T | undefined): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (e instanceof DerError) return undefined;
    throw e;
  }
}
