/**
 * Identities for the certificate/key/identity conformance tests, made with
 * `openssl` during the run: a key (EC P-256 or RSA-2048), a certificate for
 * it, a PKCS#12 of the pair, and what openssl reports about them (the
 * certificate DER, the subjectPublicKey bits, the issuer Name bytes, the
 * private key in PKCS#8 / PKCS#1 / raw-scalar form for plaintext scans).
 * The SecIdentity is obtained through the public API (SecPKCS12Import).
 */
import assert from 'node:assert/strict';
import { createHash, createPrivateKey } from 'node:crypto';
import {
  SecPKCS12Import,
  SecIdentity,
  SecCertificate,
  SecKey,
  SecIdentityCopyCertificate,
  SecIdentityCopyPrivateKey,
  SecCertificateCreateWithData,
  SecKeyCopyExternalRepresentation,
  SecKeyCopyPublicKey,
  kSecImportExportPassphrase,
  kSecImportItemIdentity,
  errSecSuccess,
} from '../../src/index.js';
import { OpenSSLDir } from '../objects/openssl-material.js';

export { OpenSSLDir };

export interface Material {
  readonly name: string;
  readonly kind: 'ec' | 'rsa';
  /** The certificate DER (from openssl). */
  readonly der: Uint8Array;
  readonly certificate: SecCertificate;
  readonly identity: SecIdentity;
  readonly privateKey: SecKey;
  readonly publicKey: SecKey;
  /** The subjectPublicKey BIT STRING contents (EC: 04‖X‖Y; RSA: PKCS#1 RSAPublicKey). */
  readonly publicKeyBits: Uint8Array;
  /** SHA-1 of publicKeyBits: the certificate's pkhh and the key's klbl. */
  readonly publicKeyHash: Uint8Array;
  /** The issuer Name contents (without the outer SEQUENCE) and the full issuer Name DER. */
  readonly issuerContents: Uint8Array;
  readonly issuerFull: Uint8Array;
  readonly subjectContents: Uint8Array;
  /** Secret byte strings of the private key: PKCS#8 DER, and the raw scalar (EC) or PKCS#1 DER (RSA). */
  readonly secrets: { name: string; bytes: Uint8Array }[];
  /** The key size in bits. */
  readonly bits: number;
}

export function sha1(b: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha1').update(b).digest());
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** A DER SEQUENCE around `content` (for the full Name from its contents). */
export function derSequence(content: Uint8Array): Uint8Array {
  const n = content.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Uint8Array.from([0x30, ...len, ...content]);
}

export interface MakeOptions {
  kind: 'ec' | 'rsa';
  subject: string;
  /** Issue with this CA (name of cert/key made earlier in the same dir); self-signed otherwise. */
  issuer?: string;
  /** Reuse an existing key file instead of generating one. */
  keyFile?: string;
  serial?: string;
  printable?: boolean;
}

/** Makes (with openssl) a certificate + key + PKCS#12 named `name`, imports it, and gathers what tests compare against. */
export function makeIdentity(o: OpenSSLDir, name: string, opts: MakeOptions): Material {
  const keyFile = opts.keyFile ?? (opts.kind === 'ec' ? o.ecKey(name) : o.rsaKey(name));
  if (opts.issuer) {
    o.issued(name, keyFile, opts.subject, `${opts.issuer}.pem`, `${opts.issuer}.key`, 'leaf', opts.serial);
  } else {
    o.selfSigned(name, keyFile, opts.subject, { section: 'noski', ...(opts.serial ? { serial: opts.serial } : {}), ...(opts.printable ? { printable: true } : {}) });
  }
  o.run('pkcs12', '-export', '-passout', 'pass:secret', '-inkey', keyFile, '-in', `${name}.pem`, '-out', `${name}.p12`);
  const der = o.der(`${name}.pem`);
  const imported = SecPKCS12Import(o.read(`${name}.p12`), { [kSecImportExportPassphrase]: 'secret' });
  assert.equal(imported.status, errSecSuccess, `SecPKCS12Import of ${name}: ${imported.error?.message}`);
  const identity = imported.items![0]![kSecImportItemIdentity];
  const certificate = SecIdentityCopyCertificate(identity).certificate!;
  const privateKey = SecIdentityCopyPrivateKey(identity).privateKey!;
  const publicKey = SecKeyCopyPublicKey(privateKey)!;
  const publicKeyBits = o.publicKeyBits(`${name}.pem`);
  const names = o.nameContents(`${name}.pem`);
  // Secrets: PKCS#8 DER (openssl), and the raw scalar / PKCS#1 DER.
  o.run('pkcs8', '-topk8', '-nocrypt', '-in', keyFile, '-outform', 'DER', '-out', `${keyFile}.p8.der`);
  const pkcs8 = o.read(`${keyFile}.p8.der`);
  const secrets = [{ name: 'PKCS#8 DER', bytes: pkcs8 }];
  let bits: number;
  if (opts.kind === 'rsa') {
    o.run('rsa', '-in', keyFile, '-traditional', '-outform', 'DER', '-out', `${keyFile}.p1.der`);
    secrets.push({ name: 'PKCS#1 RSAPrivateKey DER', bytes: o.read(`${keyFile}.p1.der`) });
    bits = 2048;
  } else {
    const jwk = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }).export({ format: 'jwk' });
    secrets.push({ name: 'EC private scalar', bytes: new Uint8Array(Buffer.from(jwk.d!, 'base64url')) });
    o.run('ec', '-in', keyFile, '-outform', 'DER', '-out', `${keyFile}.sec1.der`);
    secrets.push({ name: 'SEC1 ECPrivateKey DER', bytes: o.read(`${keyFile}.sec1.der`) });
    bits = 256;
  }
  return {
    name,
    kind: opts.kind,
    der,
    certificate,
    identity,
    privateKey,
    publicKey,
    publicKeyBits,
    publicKeyHash: sha1(publicKeyBits),
    issuerContents: names.issuer,
    issuerFull: derSequence(names.issuer),
    subjectContents: names.subject,
    secrets,
    bits,
  };
}

/** A SecCertificate from openssl's DER through the public API. */
export function certificateOf(der: Uint8Array): SecCertificate {
  const c = SecCertificateCreateWithData(der);
  assert.ok(c, 'SecCertificateCreateWithData');
  return c;
}

/** The external representation of a key (for comparing keys, as CFEqual would). */
export function externalOf(key: SecKey): string {
  const r = SecKeyCopyExternalRepresentation(key);
  assert.ok(r.value, `SecKeyCopyExternalRepresentation: ${r.error?.message}`);
  return hex(r.value);
}

/** The public key bytes of any key (private keys through SecKeyCopyPublicKey). */
export function publicBytesOf(key: SecKey): string {
  const pub = SecKeyCopyPublicKey(key);
  assert.ok(pub, 'SecKeyCopyPublicKey');
  return externalOf(pub);
}
