/**
 * SecPKCS12Import: the identities of a PKCS#12 (.p12/.pfx) file, in memory.
 * Like Apple's (OSX/sec/Security/SecImportExport.c, p12import.c) it stores
 * nothing: the caller adds what it wants with SecItemAdd ("Import, Then Add").
 *
 * Apple's rules kept here:
 * - a missing passphrase is the empty passphrase (SecImportExport.c);
 * - only password-integrity files: the authSafe must be `data` and MacData
 *   present, else errSecDecode; a MAC that does not verify (wrong
 *   passphrase, or a MAC digest it does not know) is errSecAuthFailed;
 * - everything after the MAC that fails (decryption, bags, certificates,
 *   a key that is neither RSA nor EC) is errSecDecode;
 * - key bags (unencrypted), CRL, secret and nested safe-contents bags are
 *   ignored; an unknown bag type is errSecDecode;
 * - one item per private key that has a certificate; its chain is the leaf
 *   followed by the file's other certificates that chain up from it.
 * Decided here (Apple's iOS code returns no label or keyid; macOS's adds the
 * subject summary and the public key hash): label = the friendlyName bag
 * attribute, else the certificate's subject summary; keyid = the
 * localKeyID, else the SHA-1 of the public key bytes (kSecAttrApplicationLabel).
 * A key is paired with the certificate of the same public key. No trust
 * object is returned.
 * @module
 */
import { X509Certificate, createHash, createPrivateKey, createPublicKey, createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';
import { AsnConvert, AsnParser, OctetString } from '@peculiar/asn1-schema';
import { PFX, AuthenticatedSafe, SafeContents, CertBag, PKCS8ShroudedKeyBag, type SafeBag } from '@peculiar/asn1-pfx';
import { PrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { SecError, errSecAuthFailed, errSecDecode, errSecParam, errSecSuccess, type OSStatus } from '../status.js';
import {
  SecCertificateCopySubjectSummary,
  SecCertificateCreateWithData,
  certificatePublicKeyHash,
  parsedCertificate,
  type SecCertificate,
} from './certificate.js';
import { DerError, TAG, bytesEqual, childrenOf, contentOf, decodeWhole, expectTag, oidToString } from './der.js';
import { SecIdentity } from './identity.js';
import { SecKey } from './key.js';
import { DIGESTS, KdfPurpose, Pkcs12CryptoError, parseAlgorithm, pbeDecrypt, pkcs12Kdf } from './pkcs12-pbe.js';

/** Options key: the passphrase (a string). */
export const kSecImportExportPassphrase = 'passphrase';
/** Item key: the SecIdentity. */
export const kSecImportItemIdentity = 'identity';
/** Item key: the certificate chain, leaf first. */
export const kSecImportItemCertChain = 'chain';
/** Item key: the label (friendlyName, else the subject summary). */
export const kSecImportItemLabel = 'label';
/** Item key: the key identifier (localKeyID, else the public key hash). */
export const kSecImportItemKeyID = 'keyid';
/** Item key: the SecTrust of the chain (not produced by this implementation). */
export const kSecImportItemTrust = 'trust';

/** One imported identity. */
export interface SecPKCS12ImportItem {
  [kSecImportItemIdentity]: SecIdentity;
  [kSecImportItemCertChain]: SecCertificate[];
  [kSecImportItemLabel]: string | undefined;
  [kSecImportItemKeyID]: Uint8Array;
}

/** The outcome: a status, the items on success, and the reason of a failure (never a secret). */
export interface SecPKCS12ImportResult {
  status: OSStatus;
  items?: SecPKCS12ImportItem[];
  error?: SecError;
}

/** PKCS#7 content types (RFC 2315): data and encryptedData. */
const id_data = '1.2.840.113549.1.7.1';
const id_encryptedData = '1.2.840.113549.1.7.6';

const OID = {
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  crlBag: '1.2.840.113549.1.12.10.1.4',
  secretBag: '1.2.840.113549.1.12.10.1.5',
  safeContentsBag: '1.2.840.113549.1.12.10.1.6',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  sdsiCertificate: '1.2.840.113549.1.9.22.2',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyID: '1.2.840.113549.1.9.21',
  ecPublicKey: '1.2.840.10045.2.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
} as const;

/** A failure with its status; converted to the result at the top. */
class ImportFailure extends Error {
  constructor(
    readonly status: OSStatus,
    message: string,
  ) {
    super(message);
  }
}

const decodeFailure = (reason: string) => new ImportFailure(errSecDecode, reason);

/** friendlyName and localKeyID of a bag. */
interface BagAttributes {
  friendlyName?: string;
  localKeyID?: Uint8Array;
}

interface KeyEntry extends BagAttributes {
  privateKey: KeyObject;
}

interface CertEntry extends BagAttributes {
  certificate: SecCertificate;
}

/** Parses with @peculiar, turning its exceptions into errSecDecode. */
function parse<T>(bytes: ArrayBuffer | Uint8Array, type: new () => T, what: string): T {
  try {
    return AsnParser.parse(bytes, type);
  } catch {
    throw decodeFailure(`${what} does not decode`);
  }
}

/** Apple: exactly one value per attribute; friendlyName a BMPString, localKeyID an OCTET STRING. */
function bagAttributes(bag: SafeBag): BagAttributes {
  const out: BagAttributes = {};
  for (const attr of bag.bagAttributes ?? []) {
    if (attr.attrId !== OID.friendlyName && attr.attrId !== OID.localKeyID) continue;
    if (attr.attrValues.length !== 1) throw decodeFailure(`bag attribute ${attr.attrId} must have one value`);
    const value = decodeWhole(new Uint8Array(attr.attrValues[0]!));
    if (attr.attrId === OID.friendlyName) {
      const bmp = Buffer.from(contentOf(expectTag(value, TAG.BMP_STRING, 'friendlyName')));
      if (bmp.length % 2 !== 0) throw decodeFailure('friendlyName is not UTF-16');
      out.friendlyName = bmp.swap16().toString('utf16le');
    } else {
      out.localKeyID = new Uint8Array(contentOf(expectTag(value, TAG.OCTET_STRING, 'localKeyID')));
    }
  }
  return out;
}

/** Content octets of an OCTET STRING encoding. */
function octets(encoding: ArrayBuffer, what: string): Uint8Array {
  return new Uint8Array(parse(encoding, OctetString, what).buffer);
}

/** The PKCS#12 MAC check (p12VerifyMac): HMAC over the authSafe content with the appendix B MAC key. */
function verifyMac(pfx: PFX, authSafe: Uint8Array, passphrase: string): void {
  const macData = pfx.macData;
  const digest = DIGESTS.get(macData.mac.digestAlgorithm.algorithm);
  if (!digest) throw new ImportFailure(errSecAuthFailed, `unsupported MAC digest ${macData.mac.digestAlgorithm.algorithm}`);
  const salt = new Uint8Array(macData.macSalt.buffer);
  const key = pkcs12Kdf(passphrase, salt, KdfPurpose.MAC, macData.iterations || 1, digest.length, digest.node);
  const mac = createHmac(digest.node, key).update(authSafe).digest();
  const expected = Buffer.from(macData.mac.digest.buffer);
  if (expected.length !== mac.length || !timingSafeEqual(expected, mac)) {
    throw new ImportFailure(errSecAuthFailed, 'MAC verification failed (wrong passphrase?)');
  }
}

/** EncryptedData ::= SEQUENCE { version, EncryptedContentInfo { contentType, algorithm, [0] IMPLICIT content } } → plaintext. */
function decryptEncryptedData(encoding: ArrayBuffer, passphrase: string): Uint8Array {
  const outer = childrenOf(expectTag(decodeWhole(new Uint8Array(encoding)), TAG.SEQUENCE, 'EncryptedData'));
  if (outer.length < 2) throw new DerError('malformed EncryptedData');
  expectTag(outer[0]!, TAG.INTEGER, 'EncryptedData version');
  const info = childrenOf(expectTag(outer[1]!, TAG.SEQUENCE, 'EncryptedContentInfo'));
  if (info.length !== 3) throw new DerError('EncryptedData has no encrypted content');
  oidToString(contentOf(expectTag(info[0]!, TAG.OID, 'contentType')));
  const algorithm = parseAlgorithm(info[1]!.buffer.slice(info[1]!.start, info[1]!.end));
  const c = info[2]!;
  let ciphertext: Uint8Array;
  if (c.tag === 0x80) ciphertext = contentOf(c);
  else if (c.tag === 0xa0) ciphertext = Uint8Array.from(childrenOf(c).flatMap((p) => [...contentOf(expectTag(p, TAG.OCTET_STRING, 'content'))]));
  else throw new DerError('malformed encryptedContent');
  return pbeDecrypt(algorithm, passphrase, ciphertext);
}

/** The bags of one SafeContents. */
function readBags(safeContents: Uint8Array, passphrase: string, keys: KeyEntry[], certs: CertEntry[]): void {
  for (const bag of parse(safeContents, SafeContents, 'SafeContents')) {
    switch (bag.bagId) {
      case OID.shroudedKeyBag: {
        const shrouded = parse(bag.bagValue, PKCS8ShroudedKeyBag, 'shrouded key bag');
        const algorithm = parseAlgorithm(new Uint8Array(AsnConvert.serialize(shrouded.encryptionAlgorithm)));
        const pkcs8 = pbeDecrypt(algorithm, passphrase, new Uint8Array(shrouded.encryptedData.buffer));
        const info = parse(pkcs8, PrivateKeyInfo, 'decrypted private key');
        const alg = info.privateKeyAlgorithm.algorithm;
        if (alg !== OID.ecPublicKey && alg !== OID.rsaEncryption) throw decodeFailure(`unsupported private key algorithm ${alg}`);
        let privateKey: KeyObject;
        try {
          privateKey = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
        } catch {
          throw decodeFailure('the private key does not decode');
        }
        keys.push({ privateKey, ...bagAttributes(bag) });
        break;
      }
      case OID.certBag: {
        const certBag = parse(bag.bagValue, CertBag, 'certificate bag');
        if (certBag.certId === OID.sdsiCertificate) break;
        if (certBag.certId !== OID.x509Certificate) throw decodeFailure(`unsupported certificate type ${certBag.certId}`);
        const certificate = SecCertificateCreateWithData(octets(certBag.certValue, 'certificate'));
        if (!certificate) throw decodeFailure('a certificate bag holds no valid X.509 certificate');
        certs.push({ certificate, ...bagAttributes(bag) });
        break;
      }
      case OID.keyBag:
      case OID.crlBag:
      case OID.secretBag:
      case OID.safeContentsBag:
        break;
      default:
        throw decodeFailure(`unknown bag type ${bag.bagId}`);
    }
  }
}

/** SHA-1 of a public key's bytes as Apple's klbl: the SPKI BIT STRING content (EC 04‖X‖Y, RSA PKCS#1). */
function keyHash(publicKey: KeyObject): Uint8Array {
  const spki = decodeWhole(new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })));
  const bits = contentOf(expectTag(childrenOf(spki)[1]!, TAG.BIT_STRING, 'subjectPublicKey'));
  return new Uint8Array(createHash('sha1').update(bits.subarray(1)).digest());
}

/** The leaf followed by the certificates (of `pool`) that chain up from it: issuer name match and a verifying signature. */
function buildChain(leaf: SecCertificate, pool: SecCertificate[]): SecCertificate[] {
  const chain = [leaf];
  const remaining = pool.filter((c) => !bytesEqual(c.der, leaf.der));
  for (;;) {
    const current = chain[chain.length - 1]!;
    const p = parsedCertificate(current);
    if (p.normalizedIssuer && p.normalizedSubject && bytesEqual(p.normalizedIssuer, p.normalizedSubject)) break;
    const child = new X509Certificate(Buffer.from(current.der));
    const index = remaining.findIndex((candidate) => {
      const c = parsedCertificate(candidate);
      if (!c.normalizedSubject || !p.normalizedIssuer || !bytesEqual(c.normalizedSubject, p.normalizedIssuer)) return false;
      try {
        return child.verify(new X509Certificate(Buffer.from(candidate.der)).publicKey);
      } catch {
        return false;
      }
    });
    if (index < 0) break;
    chain.push(remaining.splice(index, 1)[0]!);
  }
  return chain;
}

/** The import proper; throws ImportFailure. */
function importPkcs12(data: Uint8Array, passphrase: string): SecPKCS12ImportItem[] {
  const pfx = parse(data, PFX, 'PKCS#12 PFX');
  if (pfx.authSafe.contentType !== id_data) throw decodeFailure('only password-integrity PKCS#12 (authSafe of type data) is supported');
  // @peculiar fills in an empty MacData when there is none: count the PFX fields.
  if (childrenOf(decodeWhole(data)).length !== 3) throw decodeFailure('the PKCS#12 file has no MAC');
  const authSafe = octets(pfx.authSafe.content, 'authSafe content');
  verifyMac(pfx, authSafe, passphrase);

  const keys: KeyEntry[] = [];
  const certs: CertEntry[] = [];
  try {
    for (const info of parse(authSafe, AuthenticatedSafe, 'AuthenticatedSafe')) {
      if (info.contentType === id_data) readBags(octets(info.content, 'SafeContents'), passphrase, keys, certs);
      else if (info.contentType === id_encryptedData) readBags(decryptEncryptedData(info.content, passphrase), passphrase, keys, certs);
    }
  } catch (e) {
    if (e instanceof Pkcs12CryptoError || e instanceof DerError) throw decodeFailure(e.message);
    throw e;
  }

  const items: SecPKCS12ImportItem[] = [];
  const paired = new Set<CertEntry>();
  for (const key of keys) {
    const publicKey = createPublicKey(key.privateKey);
    const hash = keyHash(publicKey);
    const cert = certs.find((c) => bytesEqual(certificatePublicKeyHash(c.certificate), hash));
    if (!cert) continue;
    paired.add(cert);
    const label = key.friendlyName ?? cert.friendlyName ?? SecCertificateCopySubjectSummary(cert.certificate);
    items.push({
      [kSecImportItemIdentity]: new SecIdentity(cert.certificate, SecKey.fromPrivateKeyObject(key.privateKey, createPublicKey)),
      [kSecImportItemCertChain]: [],
      [kSecImportItemLabel]: label,
      [kSecImportItemKeyID]: key.localKeyID ?? cert.localKeyID ?? hash,
    });
  }
  const others = certs.filter((c) => !paired.has(c)).map((c) => c.certificate);
  for (const item of items) item[kSecImportItemCertChain] = buildChain(item[kSecImportItemIdentity].certificate, others);
  return items;
}

/**
 * SecPKCS12Import(data, { passphrase }): the identities of a PKCS#12 file.
 * errSecAuthFailed when the MAC does not verify (wrong passphrase),
 * errSecDecode for data that is not a PKCS#12 file Apple can read,
 * errSecParam for arguments of the wrong type.
 */
export function SecPKCS12Import(data: Uint8Array, options?: { [kSecImportExportPassphrase]?: string }): SecPKCS12ImportResult {
  if (!(data instanceof Uint8Array)) return failed(new SecError(errSecParam, 'the PKCS#12 data must be bytes'));
  const passphrase = options?.[kSecImportExportPassphrase] ?? '';
  if (typeof passphrase !== 'string') return failed(new SecError(errSecParam, 'kSecImportExportPassphrase must be a string'));
  try {
    return { status: errSecSuccess, items: importPkcs12(data, passphrase) };
  } catch (e) {
    if (e instanceof ImportFailure) return failed(new SecError(e.status, e.message));
    if (e instanceof DerError || e instanceof Pkcs12CryptoError) return failed(new SecError(errSecDecode, e.message));
    throw e;
  }
}

function failed(error: SecError): SecPKCS12ImportResult {
  return { status: error.status, error };
}
