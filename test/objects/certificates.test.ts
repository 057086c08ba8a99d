/**
 * SecCertificate: parsing, the attributes a certificate item gets (checked
 * against what openssl reports) and the subject summary rules.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  SecCertificateCopyData,
  SecCertificateCopyKey,
  SecCertificateCopyNormalizedIssuerSequence,
  SecCertificateCopySerialNumberData,
  SecCertificateCopySubjectSummary,
  SecCertificateCreateWithData,
  certificateItemAttributes,
  canonicalIssuer,
  sameCertificate,
  type SecCertificate,
} from '../../src/objects/certificate.js';
import { normalizeNameContent } from '../../src/objects/x509-name.js';
import { isDNSName } from '../../src/objects/subject-summary.js';
import { errSecDecode } from '../../src/status.js';
import { OpenSSLDir } from './openssl-material.js';

const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex') : undefined);

describe('SecCertificate', () => {
  let o: OpenSSLDir;
  const pem: Record<string, string> = {};
  const cert = (name: string): SecCertificate => {
    const c = SecCertificateCreateWithData(o.der(pem[name]!));
    assert.ok(c, `${name} parses`);
    return c;
  };

  before(() => {
    o = new OpenSSLDir();
    o.ecKey('root');
    pem.root = o.selfSigned('root', 'root.key', '/CN=Test Root CA/O=Example Org', { section: 'ca' });
    o.ecKey('inter');
    pem.inter = o.issued('inter', 'inter.key', '/CN=Test Intermediate CA/O=Example Org', 'root.pem', 'root.key', 'ca');
    o.ecKey('leaf');
    pem.leaf = o.issued('leaf', 'leaf.key', '/CN=leaf.example.com/O=Example Org', 'inter.pem', 'inter.key', 'leaf', '0x80AB');
    o.rsaKey('rsa');
    pem.rsa = o.issued('rsa', 'rsa.key', '/CN=RSA Leaf/O=Example Org', 'inter.pem', 'inter.key', 'leaf');
    pem.v1 = o.v1('v1', 'leaf.key', '/CN=Version One');
    pem.printable = o.selfSigned('printable', 'leaf.key', '/CN=  mixed   case  name /O=acme  corp/C=us', { printable: true });
    pem.printableNormal = o.selfSigned('printableNormal', 'leaf.key', '/CN=MIXED CASE NAME/O=ACME CORP/C=US', { printable: true });
    pem.mouse = o.selfSigned('mouse', 'leaf.key', '/CN=MouseCA/C=GB');
    pem.manyCN = o.selfSigned('manyCN', 'leaf.key', '/CN=First/CN=Second/CN=Third/O=Org');
    pem.ou = o.selfSigned('ou', 'leaf.key', '/O=Org Only/OU=Unit A/OU=Unit B');
    pem.o = o.selfSigned('o', 'leaf.key', '/C=US/O=Org Only');
    pem.country = o.selfSigned('country', 'leaf.key', '/C=US/L=Springfield');
    pem.subjectEmail = o.selfSigned('subjectEmail', 'leaf.key', '/O=Org/emailAddress=subject@example.com');
    pem.sanEmail = o.selfSigned('sanEmail', 'leaf.key', '/O=Org/emailAddress=subject@example.com', {
      addext: ['subjectAltName=email:san@example.com'],
    });
    pem.dns = o.selfSigned('dns', 'leaf.key', '/O=Org', { addext: ['subjectAltName=DNS:host.example.net,DNS:other.example.net'] });
    pem.description = o.selfSigned('description', 'leaf.key', '/CN=Device/description=Kitchen/description=Oven');
  });
  after(() => o.remove());

  describe('SecCertificateCreateWithData', () => {
    it('accepts a DER certificate and SecCertificateCopyData returns the same bytes', () => {
      const der = o.der(pem.leaf!);
      assert.deepEqual(SecCertificateCopyData(SecCertificateCreateWithData(der)!), der);
    });

    it('rejects bytes that are not a certificate: empty, garbage, truncated, a PEM text, a CSR', () => {
      const der = o.der(pem.leaf!);
      assert.equal(SecCertificateCreateWithData(new Uint8Array()), undefined);
      assert.equal(SecCertificateCreateWithData(Uint8Array.from([1, 2, 3, 4, 5])), undefined);
      assert.equal(SecCertificateCreateWithData(der.subarray(0, der.length - 1)), undefined);
      assert.equal(SecCertificateCreateWithData(o.read(pem.leaf!)), undefined);
      o.run('req', '-in', 'leaf.csr', '-outform', 'DER', '-out', 'leaf.csr.der');
      assert.equal(SecCertificateCreateWithData(o.read('leaf.csr.der')), undefined);
    });

    it('ignores bytes after the certificate, as Apple does, and CopyData returns only the certificate', () => {
      const der = o.der(pem.leaf!);
      const padded = new Uint8Array([...der, 0, 0, 0xde, 0xad]);
      const c = SecCertificateCreateWithData(padded);
      assert.ok(c);
      assert.deepEqual(SecCertificateCopyData(c), der);
    });

    it('rejects an element inside the certificate that is out of place (an extra tbsCertificate field)', () => {
      const der = o.der(pem.v1!);
      // Append a NULL to the tbsCertificate and fix the lengths (both use 2-byte long form).
      const tbsLen = (der[6]! << 8) | der[7]!;
      const outerLen = (der[2]! << 8) | der[3]!;
      const changed = new Uint8Array([...der.subarray(0, 8 + tbsLen), 0x05, 0x00, ...der.subarray(8 + tbsLen)]);
      changed[2] = (outerLen + 2) >> 8;
      changed[3] = (outerLen + 2) & 0xff;
      changed[6] = (tbsLen + 2) >> 8;
      changed[7] = (tbsLen + 2) & 0xff;
      assert.equal(der[4], 0x30);
      assert.equal(SecCertificateCreateWithData(changed), undefined);
    });

    it('certificates are equal when their DER is equal', () => {
      assert.ok(sameCertificate(cert('leaf'), cert('leaf')));
      assert.ok(!sameCertificate(cert('leaf'), cert('rsa')));
    });
  });

  describe('certificateItemAttributes', () => {
    it('ctyp is the version + 1 and cenc is 3 (DER)', () => {
      assert.equal(certificateItemAttributes(cert('leaf')).get('ctyp'), 3);
      assert.equal(certificateItemAttributes(cert('v1')).get('ctyp'), 1);
      assert.match(o.run('x509', '-in', pem.v1!, '-noout', '-text'), /Version: 1 \(0x0\)/);
      assert.equal(certificateItemAttributes(cert('leaf')).get('cenc'), 3);
      assert.equal(certificateItemAttributes(cert('leaf')).get('class'), 'cert');
    });

    it('slnr is the serial INTEGER content as encoded, keeping the leading 00 that makes 0x80AB positive', () => {
      const slnr = certificateItemAttributes(cert('leaf')).get('slnr') as Uint8Array;
      assert.equal(hex(slnr), '0080ab');
      assert.equal(o.serialHex(pem.leaf!), '80ab');
      for (const name of ['root', 'inter', 'rsa', 'v1']) {
        const s = certificateItemAttributes(cert(name)).get('slnr') as Uint8Array;
        assert.equal(BigInt('0x' + hex(s)), BigInt('0x' + o.serialHex(pem[name]!)), name);
        assert.deepEqual(SecCertificateCopySerialNumberData(cert(name)).value, s);
      }
    });

    it('subj and issr are the Name contents without the outer SEQUENCE, as asn1parse cuts them', () => {
      for (const name of ['root', 'inter', 'leaf', 'rsa', 'v1']) {
        const attrs = certificateItemAttributes(cert(name));
        const { issuer, subject } = o.nameContents(pem[name]!);
        assert.deepEqual(attrs.get('issr'), issuer, name);
        assert.deepEqual(attrs.get('subj'), subject, name);
      }
      assert.deepEqual(certificateItemAttributes(cert('leaf')).get('issr'), certificateItemAttributes(cert('inter')).get('subj'));
    });

    it("issr of the seed's MouseCA is the seed's bytes", () => {
      const issr = certificateItemAttributes(cert('mouse')).get('issr') as Uint8Array;
      assert.equal(hex(issr), '3110300e06035504030c074d6f7573654341310b3009060355040613024742');
    });

    it('PrintableString names are normalized: upper case, blanks collapsed and trimmed, lengths fixed up', () => {
      const { subject: raw } = o.nameContents(pem.printable!);
      const { subject: normal } = o.nameContents(pem.printableNormal!);
      assert.match(o.run('asn1parse', '-in', pem.printable!), /PRINTABLESTRING\s+:  mixed   case  name /);
      const attrs = certificateItemAttributes(cert('printable'));
      assert.notDeepEqual(raw, normal);
      assert.deepEqual(attrs.get('subj'), normal);
      assert.deepEqual(attrs.get('issr'), normal);
    });

    it('normalization collapses tabs too and leaves UTF8String values alone', () => {
      // SET { SEQ { CN, PrintableString "\ta\t\tb " } }, SET { SEQ { O, UTF8String " x  y" } }
      const ps = [0x09, 0x61, 0x09, 0x09, 0x62, 0x20];
      const utf = [0x20, 0x78, 0x20, 0x20, 0x79];
      const rdn = (oid: number, tag: number, v: number[]) => [0x31, v.length + 9, 0x30, v.length + 7, 0x06, 0x03, 0x55, 0x04, oid, tag, v.length, ...v];
      const content = Uint8Array.from([...rdn(3, 0x13, ps), ...rdn(10, 0x0c, utf)]);
      const expected = Uint8Array.from([...rdn(3, 0x13, [0x41, 0x20, 0x42]), ...rdn(10, 0x0c, utf)]);
      assert.deepEqual(normalizeNameContent(content), expected);
    });

    it('issr in a query: a full DER Name is normalized to content; content is used unchanged', () => {
      const c = cert('printable');
      const full = SecCertificateCopyNormalizedIssuerSequence(c)!;
      const issr = certificateItemAttributes(c).get('issr') as Uint8Array;
      assert.deepEqual(canonicalIssuer(full), issr);
      assert.deepEqual(canonicalIssuer(issr), issr);
      const { issuer } = o.nameContents(pem.printable!);
      const rawSequence = Uint8Array.from([0x30, issuer.length, ...issuer]);
      assert.deepEqual(canonicalIssuer(rawSequence), issr);
    });

    it('skid is the SubjectKeyIdentifier openssl reports, and absent without the extension', () => {
      for (const name of ['root', 'inter', 'leaf', 'rsa']) {
        assert.deepEqual(certificateItemAttributes(cert(name)).get('skid'), o.subjectKeyId(pem[name]!), name);
      }
      assert.equal(o.subjectKeyId(pem.printable!), undefined);
      assert.equal(certificateItemAttributes(cert('printable')).has('skid'), false);
      assert.equal(certificateItemAttributes(cert('v1')).has('skid'), false);
    });

    it('pkhh is the SHA-1 of the subjectPublicKey BIT STRING content (EC 04‖X‖Y, RSA PKCS#1)', () => {
      for (const name of ['leaf', 'rsa', 'root']) {
        const bits = o.publicKeyBits(pem[name]!);
        const expected = createHash('sha1').update(bits).digest();
        assert.deepEqual(certificateItemAttributes(cert(name)).get('pkhh'), new Uint8Array(expected), name);
      }
      assert.equal(o.publicKeyBits(pem.leaf!)[0], 0x04);
      assert.equal(o.publicKeyBits(pem.leaf!).length, 65);
    });

    it('labl is the subject summary and v_Data the DER', () => {
      const attrs = certificateItemAttributes(cert('leaf'));
      assert.equal(attrs.get('labl'), 'leaf.example.com');
      assert.deepEqual(attrs.get('v_Data'), o.der(pem.leaf!));
    });
  });

  describe('SecCertificateCopySubjectSummary', () => {
    const summary = (name: string) => SecCertificateCopySubjectSummary(cert(name));

    it('the common name when there is one', () => {
      assert.equal(summary('root'), 'Test Root CA');
      assert.equal(summary('mouse'), 'MouseCA');
    });
    it('several common names are joined with ", " in reverse order', () => {
      assert.equal(summary('manyCN'), 'Third, Second, First');
    });
    it('a common name with descriptions is "CN (descriptions in reverse order)"', () => {
      assert.equal(summary('description'), 'Device (Oven, Kitchen)');
    });
    it('without a common name: the organizational units (reverse order) before the organization', () => {
      assert.equal(summary('ou'), 'Unit B, Unit A');
    });
    it('without a CN or OU: the organization', () => {
      assert.equal(summary('o'), 'Org Only');
    });
    it('without CN, OU or O: the other printable values in reverse order', () => {
      assert.equal(summary('country'), 'Springfield, US');
    });
    it('without a common name, the first email address wins over O/OU: subject emailAddress', () => {
      assert.equal(summary('subjectEmail'), 'subject@example.com');
    });
    it('without a common name, a SubjectAltName email comes before the subject emailAddress', () => {
      assert.equal(summary('sanEmail'), 'san@example.com');
    });
    it('without a common name or email, the first SubjectAltName DNS name', () => {
      assert.equal(summary('dns'), 'host.example.net');
    });
    it('printable values keep their original text (the summary is not normalized)', () => {
      assert.equal(summary('printable'), '  mixed   case  name ');
    });
  });

  describe('other accessors', () => {
    it('SecCertificateCopyKey gives the public key of the certificate (EC and RSA)', () => {
      for (const name of ['leaf', 'rsa']) {
        const key = SecCertificateCopyKey(cert(name))!;
        const spki = key.publicKeyObject.export({ format: 'der', type: 'spki' });
        o.write(`${name}.spki.der`, spki);
        o.write(`${name}.cert.pub`, o.run('x509', '-in', pem[name]!, '-noout', '-pubkey'));
        assert.equal(o.run('pkey', '-pubin', '-in', `${name}.cert.pub`, '-outform', 'DER').length, spki.length);
        assert.equal(key.privateAccess, undefined);
      }
      assert.equal(SecCertificateCopyKey(cert('rsa'))!.publicKeyObject.asymmetricKeyType, 'rsa');
    });

    it('SecCertificateCopySerialNumberData reports errSecInvalidCertificate for a non-certificate', () => {
      const r = SecCertificateCopySerialNumberData({} as SecCertificate);
      assert.equal(r.value, undefined);
      assert.equal(r.error?.status, errSecDecode);
    });

    it('isDNSName follows SecFrameworkIsDNSName', () => {
      assert.ok(isDNSName('host.example.com'));
      assert.ok(isDNSName('*.example.com'));
      assert.ok(!isDNSName('host.example.'));
      assert.ok(!isDNSName('10.0.0.1'));
      assert.ok(!isDNSName('-bad.example.com'));
      assert.ok(!isDNSName('a b'));
    });
  });
});
