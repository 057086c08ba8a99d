/**
 * createCertificateSigningRequest: requests openssl verifies, with the
 * subject openssl reads back from RFC 4514 text.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createCertificateSigningRequest } from '../../src/objects/csr.js';
import { encodeDistinguishedName } from '../../src/objects/rfc4514.js';
import { SecError, errSecParam } from '../../src/status.js';
import { OpenSSLDir } from './openssl-material.js';

describe('createCertificateSigningRequest', () => {
  let o: OpenSSLDir;
  let privateKey: KeyObject;
  let publicKey: KeyObject;
  let n = 0;
  const signer = (tbs: Uint8Array) => new Uint8Array(sign('sha256', tbs, privateKey));

  /** Writes a CSR for `subject` and returns its file name. */
  const csr = (subject: string): string => {
    const file = `req${n++}.der`;
    o.write(file, createCertificateSigningRequest(publicKey, signer, subject));
    return file;
  };
  const subjectOf = (file: string) =>
    o.run('req', '-in', file, '-inform', 'DER', '-noout', '-subject', '-nameopt', 'RFC2253').replace(/\n$/, '').replace(/^subject=/, '');

  before(() => {
    o = new OpenSSLDir();
    ({ privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' }));
  });
  after(() => o.remove());

  it('the request verifies with openssl req -verify', () => {
    const file = csr('CN=host-42,O=Example');
    const out = o.runWithStderr('req', '-in', file, '-inform', 'DER', '-verify', '-noout');
    assert.match(out, /verify OK|Certificate request self-signature verify OK/);
  });

  it('RFC 4514 order is reversed in DER: the last RDN of the text is the first SET', () => {
    const file = csr('CN=host-42,O=Example,C=US');
    assert.equal(subjectOf(file), 'CN=host-42,O=Example,C=US');
    const oneline = o.run('req', '-in', file, '-inform', 'DER', '-noout', '-subject', '-nameopt', 'oneline').trim();
    assert.equal(oneline, 'subject=C = US, O = Example, CN = host-42');
  });

  it('escaped specials and hex escapes are unescaped into the value', () => {
    const file = csr('CN=a\\,b\\+c\\\\d,O=Caf\\C3\\A9,OU=\\ spaced\\ ');
    // openssl's RFC 2253 output escapes the UTF-8 octets of é as \C3\A9.
    assert.equal(subjectOf(file), 'CN=a\\,b\\+c\\\\d,O=Caf\\C3\\A9,OU=\\ spaced\\ ');
    const dump = o.run('asn1parse', '-in', file, '-inform', 'DER');
    assert.match(dump, /UTF8STRING\s+: spaced \n/);
    assert.match(dump, /UTF8STRING\s+:a,b\+c\\d\n/);
  });

  it('all supported attribute types are accepted and named as openssl names them', () => {
    const file = csr('CN=n,OU=u,O=o,L=l,ST=s,STREET=1 Main St,C=FR,DC=example,UID=jdoe,emailAddress=a@example.com,serialNumber=1234');
    assert.equal(
      subjectOf(file),
      'CN=n,OU=u,O=o,L=l,ST=s,street=1 Main St,C=FR,DC=example,UID=jdoe,emailAddress=a@example.com,serialNumber=1234',
    );
    assert.equal(subjectOf(csr('E=b@example.com')), 'emailAddress=b@example.com');
  });

  it("a multi-valued RDN ('+') is one SET holding both values", () => {
    const file = csr('CN=x+UID=y,O=Z');
    const lines = o.run('asn1parse', '-in', file, '-inform', 'DER').split('\n');
    const sets = lines.filter((l) => /d=3 .*SET/.test(l));
    assert.equal(sets.length, 2);
    assert.match(subjectOf(file), /^(CN=x\+UID=y|UID=y\+CN=x),O=Z$/);
  });

  it('C is a PrintableString, CN a UTF8String, DC an IA5String', () => {
    const text = o.run('asn1parse', '-in', csr('CN=c,DC=d,C=GB'), '-inform', 'DER');
    assert.match(text, /PRINTABLESTRING\s+:GB/);
    assert.match(text, /UTF8STRING\s+:c/);
    assert.match(text, /IA5STRING\s+:d/);
  });

  it('bad subject text is errSecParam with a reason', () => {
    const cases: [string, RegExp][] = [
      ['CN', /expected "="/],
      ['=x', /empty attribute type/],
      ['XX=y', /unknown attribute type/],
      ['CN=a\\q', /bad escape/],
      ['CN=a;b', /unescaped ";"/],
      ['C=USA', /two-letter/],
      ['CN=', /empty value/],
      ['CN=#0g', /hex/],
      ['emailAddress=é@example.com', /ASCII/],
    ];
    for (const [subject, reason] of cases) {
      assert.throws(
        () => encodeDistinguishedName(subject),
        (e: unknown) => e instanceof SecError && e.status === errSecParam && reason.test(e.message),
        subject,
      );
    }
  });

  it('a key that is not an EC P-256 public key is errSecParam', () => {
    const { publicKey: rsa } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const { publicKey: p384 } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    for (const key of [rsa, p384, privateKey]) {
      assert.throws(() => createCertificateSigningRequest(key, signer, 'CN=x'), (e: unknown) => e instanceof SecError && e.status === errSecParam);
    }
  });

  it('a signer that does not return a DER ECDSA signature is errSecParam', () => {
    assert.throws(
      () => createCertificateSigningRequest(publicKey, () => new Uint8Array(64), 'CN=x'),
      (e: unknown) => e instanceof SecError && e.status === errSecParam,
    );
  });
});
