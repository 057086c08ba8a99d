/**
 * SecPKCS12Import with files written by `openssl pkcs12 -export` (OpenSSL 3
 * defaults and -legacy) and by node-forge (no localKeyID).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, sign, verify } from 'node:crypto';
import forge from 'node-forge';
import {
  SecPKCS12Import,
  kSecImportExportPassphrase,
  kSecImportItemCertChain,
  kSecImportItemIdentity,
  kSecImportItemKeyID,
  kSecImportItemLabel,
  type SecPKCS12ImportItem,
} from '../../src/objects/pkcs12.js';
import { SecCertificateCopyData, SecCertificateCopyKey } from '../../src/objects/certificate.js';
import { SecIdentityCopyCertificate, SecIdentityCopyPrivateKey } from '../../src/objects/identity.js';
import { errSecAuthFailed, errSecDecode, errSecParam, errSecSuccess } from '../../src/status.js';
import { OpenSSLDir } from './openssl-material.js';

describe('SecPKCS12Import', () => {
  let o: OpenSSLDir;
  const der: Record<string, Uint8Array> = {};

  /** Imports `file` (with no passphrase option when `passphrase` is null) and expects success. */
  const importOk = (file: string, passphrase: string | null = 'secret'): SecPKCS12ImportItem[] => {
    const r = SecPKCS12Import(o.read(file), passphrase === null ? {} : { [kSecImportExportPassphrase]: passphrase });
    assert.equal(r.status, errSecSuccess, r.error?.message);
    return r.items!;
  };
  const chainDer = (item: SecPKCS12ImportItem) => item[kSecImportItemCertChain].map((c) => Buffer.from(SecCertificateCopyData(c)).toString('hex'));
  const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');
  /** The localKeyID openssl reports for the key bag. */
  const reportedKeyId = (file: string, pass: string, legacy = false) => {
    const info = o.run('pkcs12', '-info', '-in', file, '-passin', `pass:${pass}`, '-nodes', ...(legacy ? ['-legacy'] : []));
    return /localKeyID: ([0-9A-F ]+)/.exec(info)![1]!.replace(/ /g, '').toLowerCase();
  };

  before(() => {
    o = new OpenSSLDir();
    o.ecKey('root');
    o.selfSigned('root', 'root.key', '/CN=P12 Root CA/O=Example', { section: 'ca' });
    o.ecKey('inter');
    o.issued('inter', 'inter.key', '/CN=P12 Intermediate CA/O=Example', 'root.pem', 'root.key', 'ca');
    o.ecKey('leaf');
    o.issued('leaf', 'leaf.key', '/CN=p12 leaf/O=Example', 'inter.pem', 'inter.key', 'leaf');
    o.rsaKey('rsa');
    o.issued('rsa', 'rsa.key', '/CN=p12 rsa leaf', 'inter.pem', 'inter.key', 'leaf');
    o.ecKey('other');
    o.selfSigned('other', 'other.key', '/CN=Unrelated');
    for (const n of ['root', 'inter', 'leaf', 'rsa', 'other']) der[n] = o.der(`${n}.pem`);
    // Extra certificates in an order that is not the chain's, plus an unrelated one.
    o.write('bundle.pem', ['other', 'root', 'inter'].map((n) => o.run('x509', '-in', `${n}.pem`)).join(''));
    const base = ['pkcs12', '-export', '-passout', 'pass:secret'];
    o.run(...base, '-inkey', 'leaf.key', '-in', 'leaf.pem', '-certfile', 'bundle.pem', '-name', 'My Leaf', '-out', 'modern.p12');
    o.run(...base, '-inkey', 'leaf.key', '-in', 'leaf.pem', '-out', 'modern-noname.p12');
    o.run(...base, '-legacy', '-inkey', 'leaf.key', '-in', 'leaf.pem', '-certfile', 'bundle.pem', '-name', 'Légacy ✓', '-out', 'legacy.p12');
    o.run(...base, '-legacy', '-inkey', 'rsa.key', '-in', 'rsa.pem', '-certfile', 'bundle.pem', '-out', 'legacy-rsa.p12');
    o.run(...base, '-nomac', '-inkey', 'leaf.key', '-in', 'leaf.pem', '-out', 'nomac.p12');
    o.run('pkcs12', '-export', '-passout', 'pass:', '-inkey', 'leaf.key', '-in', 'leaf.pem', '-out', 'empty.p12');
    // node-forge: 3DES, SHA-1 MAC, no localKeyID, no friendlyName.
    const asn1 = forge.pkcs12.toPkcs12Asn1(
      forge.pki.privateKeyFromPem(o.run('pkey', '-in', 'rsa.key', '-traditional')),
      [forge.pki.certificateFromPem(o.run('x509', '-in', 'rsa.pem'))],
      'secret',
      { algorithm: '3des', generateLocalKeyId: false },
    );
    o.write('forge.p12', Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary'));
  });
  after(() => o.remove());

  it('reads what openssl 3 writes by default (PBES2/PBKDF2-SHA256/AES-256-CBC, SHA-256 MAC)', () => {
    assert.match(o.runWithStderr('pkcs12', '-info', '-in', 'modern.p12', '-passin', 'pass:secret', '-noout'), /PBES2, PBKDF2, AES-256-CBC/);
    const items = importOk('modern.p12');
    assert.equal(items.length, 1);
    const { status, certificate } = SecIdentityCopyCertificate(items[0]![kSecImportItemIdentity]);
    assert.equal(status, errSecSuccess);
    assert.deepEqual(SecCertificateCopyData(certificate!), der.leaf);
  });

  it('reads -legacy files (3DES key bag, RC2-40 certificate bag, SHA-1 MAC)', () => {
    assert.match(o.runWithStderr('pkcs12', '-info', '-legacy', '-in', 'legacy.p12', '-passin', 'pass:secret', '-noout'), /pbeWithSHA1And40BitRC2-CBC/);
    const items = importOk('legacy.p12');
    assert.equal(items.length, 1);
    assert.deepEqual(SecCertificateCopyData(items[0]![kSecImportItemIdentity].certificate), der.leaf);
  });

  it('the identity private key is the certificate public key (EC and RSA)', () => {
    for (const file of ['modern.p12', 'legacy-rsa.p12']) {
      const identity = importOk(file)[0]![kSecImportItemIdentity];
      const { status, privateKey } = SecIdentityCopyPrivateKey(identity);
      assert.equal(status, errSecSuccess);
      const signature = privateKey!.privateAccess!.use((k) => sign('sha256', Buffer.from('hello'), k));
      assert.ok(verify('sha256', Buffer.from('hello'), SecCertificateCopyKey(identity.certificate)!.publicKeyObject, signature), file);
    }
  });

  it('chain is the leaf, then the certificates that chain up to the root; unrelated ones are left out', () => {
    const hex = (n: string) => Buffer.from(der[n]!).toString('hex');
    assert.deepEqual(chainDer(importOk('modern.p12')[0]!), [hex('leaf'), hex('inter'), hex('root')]);
    assert.deepEqual(chainDer(importOk('legacy-rsa.p12')[0]!), [hex('rsa'), hex('inter'), hex('root')]);
    assert.deepEqual(chainDer(importOk('modern-noname.p12')[0]!), [hex('leaf')]);
  });

  it('label is the friendlyName (-name), BMPString decoded', () => {
    assert.equal(importOk('modern.p12')[0]![kSecImportItemLabel], 'My Leaf');
    assert.equal(importOk('legacy.p12')[0]![kSecImportItemLabel], 'Légacy ✓');
  });

  it('label without a friendlyName is the subject summary', () => {
    assert.equal(importOk('modern-noname.p12')[0]![kSecImportItemLabel], 'p12 leaf');
    assert.equal(importOk('legacy-rsa.p12')[0]![kSecImportItemLabel], 'p12 rsa leaf');
  });

  it('keyid is the localKeyID bag attribute openssl wrote', () => {
    assert.equal(hexOf(importOk('modern.p12')[0]![kSecImportItemKeyID]), reportedKeyId('modern.p12', 'secret'));
    assert.equal(hexOf(importOk('legacy-rsa.p12')[0]![kSecImportItemKeyID]), reportedKeyId('legacy-rsa.p12', 'secret', true));
    // OpenSSL's localKeyID is the SHA-1 of the certificate.
    assert.equal(reportedKeyId('modern.p12', 'secret'), createHash('sha1').update(der.leaf!).digest('hex'));
  });

  it('keyid without a localKeyID is the SHA-1 of the public key bytes (RSA PKCS#1 RSAPublicKey)', () => {
    const items = importOk('forge.p12');
    assert.equal(items.length, 1);
    const rsaPublic = createPublicKey(o.run('x509', '-in', 'rsa.pem', '-noout', '-pubkey')).export({ format: 'der', type: 'pkcs1' });
    assert.equal(hexOf(items[0]![kSecImportItemKeyID]), createHash('sha1').update(rsaPublic).digest('hex'));
  });

  it('a wrong passphrase fails the MAC check: errSecAuthFailed, and the message holds no passphrase', () => {
    for (const file of ['modern.p12', 'legacy.p12']) {
      const r = SecPKCS12Import(o.read(file), { [kSecImportExportPassphrase]: 'not-the-secret' });
      assert.equal(r.status, errSecAuthFailed, file);
      assert.equal(r.items, undefined);
      assert.ok(!r.error!.message.includes('not-the-secret'));
      assert.ok(!r.error!.message.includes('secret'));
    }
  });

  it('a missing passphrase is the empty passphrase (Apple), not an error', () => {
    assert.equal(importOk('empty.p12', null).length, 1);
    assert.equal(importOk('empty.p12', '').length, 1);
    assert.equal(SecPKCS12Import(o.read('modern.p12')).status, errSecAuthFailed);
  });

  it('truncated, garbage, non-PKCS#12 DER and MAC-less data: errSecDecode', () => {
    const data = o.read('modern.p12');
    assert.equal(SecPKCS12Import(data.subarray(0, data.length >> 1), { passphrase: 'secret' }).status, errSecDecode);
    assert.equal(SecPKCS12Import(Uint8Array.from({ length: 300 }, (_, i) => (i * 37) & 0xff), { passphrase: 'secret' }).status, errSecDecode);
    assert.equal(SecPKCS12Import(new Uint8Array(), { passphrase: 'secret' }).status, errSecDecode);
    assert.equal(SecPKCS12Import(der.leaf!, { passphrase: 'secret' }).status, errSecDecode);
    assert.equal(SecPKCS12Import(o.read('nomac.p12'), { passphrase: 'secret' }).status, errSecDecode);
  });

  it('arguments of the wrong type: errSecParam', () => {
    assert.equal(SecPKCS12Import('not bytes' as unknown as Uint8Array).status, errSecParam);
    assert.equal(SecPKCS12Import(o.read('modern.p12'), { passphrase: 42 as unknown as string }).status, errSecParam);
  });

  it('stores nothing and gives the same identities on every call', () => {
    const a = importOk('modern.p12');
    const b = importOk('modern.p12');
    assert.deepEqual(chainDer(a[0]!), chainDer(b[0]!));
    assert.notEqual(a[0]![kSecImportItemIdentity], b[0]![kSecImportItemIdentity]);
  });
});
