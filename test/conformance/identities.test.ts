/**
 * Certificates, keys and identities through the SecItem functions (reference
 * §7 cases 2–12 and 31–39, §4.12, §4.13, §5.1, §5.2; seed 002 "Value Type
 * Subtleties" and "Outputs"; seed 000 Pitfalls "Investigating Complex
 * Attributes", "Digital Identities Aren't Real", "Import, Then Add",
 * "Understand These Key Attributes"). All material is made with openssl
 * during the run; everything goes through the public API.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  SecIdentity,
  SecCertificate,
  SecKey,
  SecError,
  SecCertificateCreateWithData,
  SecCertificateCopyData,
  SecCertificateCopySubjectSummary,
  SecKeyCreateWithData,
  SecIdentityCopyCertificate,
  SecIdentityCopyPrivateKey,
  SecPKCS12Import,
  kSecImportExportPassphrase,
  kSecImportItemIdentity,
  kSecClass,
  kSecClassCertificate,
  kSecClassKey,
  kSecClassIdentity,
  kSecClassGenericPassword,
  kSecAttrAccount,
  kSecAttrApplicationLabel,
  kSecAttrApplicationTag,
  kSecAttrPublicKeyHash,
  kSecAttrLabel,
  kSecAttrIssuer,
  kSecAttrSubject,
  kSecAttrSerialNumber,
  kSecAttrSubjectKeyID,
  kSecAttrCertificateType,
  kSecAttrCertificateEncoding,
  kSecAttrSynchronizable,
  kSecAttrAccessible,
  kSecAttrAccessibleWhenUnlocked,
  kSecAttrAccessGroup,
  kSecAttrKeyCreator,
  kSecAttrKeyClass,
  kSecAttrKeyClassPrivate,
  kSecAttrKeyType,
  kSecAttrKeyTypeECSECPrimeRandom,
  kSecAttrKeyTypeRSA,
  kSecPrivateKeyAttrs,
  kSecPublicKeyAttrs,
  kSecAttrKeySizeInBits,
  kSecAttrEffectiveKeySize,
  kSecAttrIsPermanent,
  kSecAttrIsPrivate,
  kSecAttrIsModifiable,
  kSecAttrIsSensitive,
  kSecAttrWasAlwaysSensitive,
  kSecAttrIsExtractable,
  kSecAttrWasNeverExtractable,
  kSecAttrCanEncrypt,
  kSecAttrCanDecrypt,
  kSecAttrCanDerive,
  kSecAttrCanSign,
  kSecAttrCanVerify,
  kSecAttrCanSignRecover,
  kSecAttrCanVerifyRecover,
  kSecAttrCanWrap,
  kSecAttrCanUnwrap,
  kSecValueRef,
  kSecValueData,
  kSecValuePersistentRef,
  kSecReturnRef,
  kSecReturnData,
  kSecReturnAttributes,
  kSecReturnPersistentRef,
  kSecMatchLimit,
  kSecMatchLimitAll,
  errSecSuccess,
  errSecDuplicateItem,
  errSecItemNotFound,
  errSecNoSuchAttr,
  errSecParam,
} from '../../src/index.js';
import { TempKeychain, type Client, type Dict, ok, expectOutcome, expectStatus, bytes, dict, array, sameBytes } from '../helpers.js';
import { OpenSSLDir, makeIdentity, certificateOf, externalOf, publicBytesOf, hex, sha1, derSequence, type Material } from './identity-material.js';

const cleanups: (() => void)[] = [];
after(() => {
  for (const c of cleanups.reverse()) c();
});

function fresh(): { tk: TempKeychain; app: Client } {
  const tk = new TempKeychain();
  cleanups.push(() => tk.cleanup());
  return { tk, app: tk.client() };
}

let o: OpenSSLDir;
let ec: Material;
let rsa: Material;
/** A second certificate (other serial, other subject) for ec's key. */
let ecSecondCertDer: Uint8Array;
/** A certificate with subject/issuer CN=MouseCA (UTF8String), C=GB (seed 000). */
let mouse: Material;
/** A certificate whose issuer is a PrintableString with lower case and doubled blanks, and the normalized form openssl writes for its upper-case twin. */
let printableIssuer: { der: Uint8Array; normalized: Uint8Array };
let leafWithSki: { der: Uint8Array; ski: Uint8Array; serial: Uint8Array; issuer: Uint8Array; subject: Uint8Array; pkhh: Uint8Array };

before(() => {
  o = new OpenSSLDir();
  cleanups.push(() => o.remove());
  o.ecKey('ca');
  o.selfSigned('ca', 'ca.key', '/CN=Conformance CA/O=Example', { section: 'ca' });
  ec = makeIdentity(o, 'ecleaf', { kind: 'ec', subject: '/CN=ec identity/O=Example', issuer: 'ca', serial: '0x1001' });
  rsa = makeIdentity(o, 'rsaleaf', { kind: 'rsa', subject: '/CN=rsa identity/O=Example', issuer: 'ca', serial: '0x1002' });
  o.issued('ecleaf2', 'ecleaf.key', '/CN=ec identity again/O=Example', 'ca.pem', 'ca.key', 'leaf', '0x1003');
  ecSecondCertDer = o.der('ecleaf2.pem');
  mouse = makeIdentity(o, 'mouse', { kind: 'ec', subject: '/CN=MouseCA/C=GB' });
  // §5.1 normalization: PrintableString a–z upper-cased, blank runs collapsed, ends trimmed.
  o.ecKey('pca');
  o.selfSigned('pca', 'pca.key', '/CN=Mixed  case ca/O=example org', { section: 'ca', printable: true });
  o.selfSigned('pcaupper', 'pca.key', '/CN=MIXED CASE CA/O=EXAMPLE ORG', { section: 'ca', printable: true });
  o.ecKey('pleaf');
  o.issued('pleaf', 'pleaf.key', '/CN=printable leaf', 'pca.pem', 'pca.key', 'leaf', '0x00ff01');
  printableIssuer = { der: o.der('pleaf.pem'), normalized: o.nameContents('pcaupper.pem').subject };
  leafWithSki = {
    der: o.der('pleaf.pem'),
    ski: o.subjectKeyId('pleaf.pem')!,
    serial: Uint8Array.from([0x00, 0xff, 0x01]),
    issuer: o.nameContents('pleaf.pem').issuer,
    subject: o.nameContents('pleaf.pem').subject,
    pkhh: sha1(o.publicKeyBits('pleaf.pem')),
  };
});

const certQuery = (cert: SecCertificate, extra: Dict = {}): Dict => ({ [kSecClass]: kSecClassCertificate, [kSecValueRef]: cert, ...extra });
const count = (app: Client, cls: string, extra: Dict = {}): number => {
  const r = app.SecItemCopyMatching({ [kSecClass]: cls, [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnAttributes]: true, ...extra });
  if (r.status === errSecItemNotFound) return 0;
  return array(ok(r, `count ${cls}`)).length;
};
const certDerOf = (v: unknown): string => {
  assert.ok(v instanceof SecCertificate, 'expected a SecCertificate');
  return hex(SecCertificateCopyData(v));
};
const identityParts = (v: unknown): { cert: string; key: string } => {
  assert.ok(v instanceof SecIdentity, `expected a SecIdentity, got ${String(v)}`);
  const c = SecIdentityCopyCertificate(v);
  const k = SecIdentityCopyPrivateKey(v);
  expectStatus(c.status, errSecSuccess, 'SecIdentityCopyCertificate');
  expectStatus(k.status, errSecSuccess, 'SecIdentityCopyPrivateKey');
  return { cert: hex(SecCertificateCopyData(c.certificate!)), key: publicBytesOf(k.privateKey!) };
};

// ── §7 cases 2–12: certificates added by reference ───────────────────────────

describe('§7 cases 2–12: a certificate added with kSecValueRef', () => {
  it('§7 case 2: SecItemAdd {class: cert, v_Ref: cert} without a return key succeeds', () => {
    const { app } = fresh();
    const r = app.SecItemAdd(certQuery(certificateOf(ec.der)));
    expectStatus(r.status, errSecSuccess);
  });

  it('§7 case 3: adding the same certificate again is errSecDuplicateItem', () => {
    const { app } = fresh();
    ok(app.SecItemAdd(certQuery(certificateOf(ec.der))));
    // A fresh SecCertificate of the same DER: the uniqueness is (ctyp, issr, slnr, ...), not object identity.
    expectOutcome(app.SecItemAdd(certQuery(certificateOf(ec.der))), errSecDuplicateItem);
  });

  it('§7 case 4: SecItemDelete {class: cert, v_Ref: cert} deletes it (then it is not found)', () => {
    const { app } = fresh();
    const cert = certificateOf(ec.der);
    ok(app.SecItemAdd(certQuery(cert)));
    expectStatus(app.SecItemDelete(certQuery(cert)), errSecSuccess);
    expectOutcome(app.SecItemCopyMatching(certQuery(cert)), errSecItemNotFound);
  });

  it('§7 case 5: an add without any r_* key returns nothing', () => {
    const { app } = fresh();
    const r = app.SecItemAdd(certQuery(certificateOf(ec.der)));
    expectStatus(r.status, errSecSuccess);
    assert.ok(r.result === undefined || r.result === null, `"nothing returned", got ${String(r.result)}`);
  });

  it('§7 case 6: r_PersistentRef on add gives bytes; CopyMatching {v_PersistentRef, r_Data} gives the certificate DER', () => {
    const { app } = fresh();
    const pref = bytes(ok(app.SecItemAdd(certQuery(certificateOf(ec.der), { [kSecReturnPersistentRef]: true }))));
    assert.equal(pref.length, 20, '§4.12: 4-byte class + 16-byte UUID');
    assert.equal(Buffer.from(pref.subarray(0, 4)).toString('latin1'), 'cert');
    sameBytes(ok(app.SecItemCopyMatching({ [kSecValuePersistentRef]: pref, [kSecReturnData]: true })), ec.der);
  });

  it('§7 case 7: r_Ref on add returns a SecCertificate equal to the one added', () => {
    const { app } = fresh();
    const got = ok(app.SecItemAdd(certQuery(certificateOf(ec.der), { [kSecReturnRef]: true })));
    assert.equal(certDerOf(got), hex(ec.der));
  });

  it('§7 case 8 / seed 002 "Outputs": r_Data of a certificate is its DER', () => {
    const { app } = fresh();
    sameBytes(ok(app.SecItemAdd(certQuery(certificateOf(ec.der), { [kSecReturnData]: true }))), ec.der, 'add r_Data');
    sameBytes(ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassCertificate, [kSecReturnData]: true })), ec.der, 'CopyMatching r_Data');
  });

  it('§7 case 9: r_Attributes on add is a dictionary without v_Data, v_Ref, v_PersistentRef; ctyp and cenc are numbers', () => {
    const { app } = fresh();
    const d = dict(ok(app.SecItemAdd(certQuery(certificateOf(ec.der), { [kSecReturnAttributes]: true }))));
    for (const k of [kSecValueData, kSecValueRef, kSecValuePersistentRef]) assert.ok(!(k in d), `no ${k} in the attributes`);
    assert.equal(typeof d[kSecAttrCertificateType], 'number');
    assert.equal(typeof d[kSecAttrCertificateEncoding], 'number');
  });

  it('§7 case 10: all four r_* keys give one dictionary: v_Data = DER, v_Ref = the certificate, a resolvable v_PersistentRef, class = cert, numeric ctyp/cenc', () => {
    const { app } = fresh();
    const d = dict(
      ok(
        app.SecItemAdd(
          certQuery(certificateOf(ec.der), { [kSecReturnAttributes]: true, [kSecReturnData]: true, [kSecReturnRef]: true, [kSecReturnPersistentRef]: true }),
        ),
      ),
    );
    sameBytes(d[kSecValueData], ec.der, 'v_Data');
    assert.equal(certDerOf(d[kSecValueRef]), hex(ec.der), 'v_Ref');
    assert.equal(d[kSecClass], kSecClassCertificate, 'class');
    assert.equal(typeof d[kSecAttrCertificateType], 'number');
    assert.equal(typeof d[kSecAttrCertificateEncoding], 'number');
    const pref = bytes(d[kSecValuePersistentRef]);
    sameBytes(ok(app.SecItemCopyMatching({ [kSecValuePersistentRef]: pref, [kSecReturnData]: true })), ec.der, 'the pref resolves');
  });

  it('§7 case 11: a key-only attribute (atag) with a certificate is errSecNoSuchAttr on add and on delete', () => {
    const { app } = fresh();
    const d = certQuery(certificateOf(ec.der), { [kSecAttrApplicationTag]: 'tag' });
    expectOutcome(app.SecItemAdd(d), errSecNoSuchAttr, 'add');
    expectStatus(app.SecItemDelete(d), errSecNoSuchAttr, 'delete');
    assert.equal(count(app, kSecClassCertificate), 0, 'nothing was added');
  });

  it('§7 case 12: a certificate can be added with sync: true and deleted with the same dictionary', () => {
    const { app } = fresh();
    const d = certQuery(certificateOf(ec.der), { [kSecAttrSynchronizable]: true });
    ok(app.SecItemAdd(d), 'add');
    expectStatus(app.SecItemDelete(d), errSecSuccess, 'delete');
  });
});

// ── §5.1 and seed 000 "Investigating Complex Attributes" ─────────────────────

describe('§5.1: the attributes inferred from a certificate reference', () => {
  it('seed 000 "Investigating Complex Attributes": issr of CN=MouseCA (UTF8String), C=GB is 3110300e06035504030c074d6f7573654341310b3009060355040613024742', () => {
    const { app } = fresh();
    const d = dict(ok(app.SecItemAdd({ [kSecValueRef]: mouse.certificate, [kSecReturnAttributes]: true })));
    assert.equal(hex(bytes(d[kSecAttrIssuer])), '3110300e06035504030c074d6f7573654341310b3009060355040613024742');
    assert.equal(hex(mouse.issuerContents), '3110300e06035504030c074d6f7573654341310b3009060355040613024742', 'openssl wrote the seed\'s Name');
  });

  it('seed 000 "Investigating Complex Attributes": "to search the keychain for all certificates issued by a specific certificate authority", the issr read back from one of its certificates finds every one of them and no other', () => {
    const { app } = fresh();
    const issr = bytes(dict(ok(app.SecItemAdd({ [kSecValueRef]: certificateOf(ec.der), [kSecReturnAttributes]: true })))[kSecAttrIssuer]);
    ok(app.SecItemAdd({ [kSecValueRef]: certificateOf(rsa.der) }), 'another leaf of the same CA');
    ok(app.SecItemAdd({ [kSecValueRef]: mouse.certificate }), 'a certificate of another issuer');
    const byIssuer = (issuer: Uint8Array) =>
      array(ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassCertificate, [kSecAttrIssuer]: issuer, [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnData]: true })))
        .map((d) => hex(bytes(d)))
        .sort();
    assert.deepEqual(byIssuer(issr), [hex(ec.der), hex(rsa.der)].sort());
    // The full Name the file-based keychain shows (with the outer SEQUENCE) finds the same certificates.
    assert.deepEqual(byIssuer(derSequence(issr)), [hex(ec.der), hex(rsa.der)].sort());
  });

  it('ctyp 3 (v3), cenc 3 (DER), subj/issr = Name contents, slnr = serial INTEGER content (leading 00 kept), skid = SKI, pkhh = SHA-1 of the subjectPublicKey bits, labl = subject summary', () => {
    const { app } = fresh();
    const cert = certificateOf(leafWithSki.der);
    const d = dict(ok(app.SecItemAdd({ [kSecValueRef]: cert, [kSecReturnAttributes]: true })));
    assert.equal(d[kSecAttrCertificateType], 3, 'ctyp');
    assert.equal(d[kSecAttrCertificateEncoding], 3, 'cenc');
    // The leaf's subject is UTF8String (nothing to normalize); its issuer is a PrintableString Name (normalized, next test).
    assert.equal(hex(bytes(d[kSecAttrSubject])), hex(leafWithSki.subject), 'subj');
    assert.equal(hex(bytes(d[kSecAttrSerialNumber])), hex(leafWithSki.serial), 'slnr');
    assert.equal(hex(bytes(d[kSecAttrSubjectKeyID])), hex(leafWithSki.ski), 'skid');
    assert.equal(hex(bytes(d[kSecAttrPublicKeyHash])), hex(leafWithSki.pkhh), 'pkhh');
    assert.equal(d[kSecAttrLabel], 'printable leaf', 'labl = SecCertificateCopySubjectSummary');
    assert.equal(d[kSecAttrLabel], SecCertificateCopySubjectSummary(cert));
  });

  it('a certificate without the SubjectKeyIdentifier extension has no skid', () => {
    const { app } = fresh();
    const d = dict(ok(app.SecItemAdd({ [kSecValueRef]: mouse.certificate, [kSecReturnAttributes]: true })));
    // SecCertificateCopyAttributeDictionary sets skid only when the extension exists, and skid has no default (§1.4: no N flag).
    assert.ok(!(kSecAttrSubjectKeyID in d), `skid: ${String(d[kSecAttrSubjectKeyID])}`);
  });

  it('issr is normalized: PrintableString a–z upper-cased, runs of blanks collapsed (the content of the upper-case Name openssl writes)', () => {
    const { app } = fresh();
    const d = dict(ok(app.SecItemAdd({ [kSecValueRef]: certificateOf(printableIssuer.der), [kSecReturnAttributes]: true })));
    assert.equal(hex(bytes(d[kSecAttrIssuer])), hex(printableIssuer.normalized));
  });

  it('a caller-supplied label wins over the inferred subject summary', () => {
    const { app } = fresh();
    const d = dict(ok(app.SecItemAdd({ [kSecValueRef]: certificateOf(ec.der), [kSecAttrLabel]: 'mine', [kSecReturnAttributes]: true })));
    assert.equal(d[kSecAttrLabel], 'mine');
  });
});

// ── seed 002 "Value Type Subtleties" ─────────────────────────────────────────

describe('seed 002 "Value Type Subtleties": kSecValueRef', () => {
  it('in an add dictionary the class is inferred from the object (no kSecClass given): certificate → cert, private key → keys', () => {
    const { app } = fresh();
    ok(app.SecItemAdd({ [kSecValueRef]: certificateOf(ec.der) }), 'cert');
    ok(app.SecItemAdd({ [kSecValueRef]: ec.privateKey }), 'key');
    assert.equal(count(app, kSecClassCertificate), 1);
    assert.equal(count(app, kSecClassKey), 1);
  });

  it('in a query dictionary the class and attributes are inferred: {v_Ref: cert} finds that certificate and not another', () => {
    const { app } = fresh();
    ok(app.SecItemAdd({ [kSecValueRef]: certificateOf(ec.der) }));
    ok(app.SecItemAdd({ [kSecValueRef]: certificateOf(rsa.der) }));
    sameBytes(ok(app.SecItemCopyMatching({ [kSecValueRef]: certificateOf(rsa.der), [kSecReturnData]: true })), rsa.der);
    const all = array(ok(app.SecItemCopyMatching({ [kSecValueRef]: certificateOf(ec.der), [kSecReturnData]: true, [kSecMatchLimit]: kSecMatchLimitAll })));
    assert.equal(all.length, 1);
    sameBytes(all[0], ec.der);
  });

  it('a key reference in a query finds the key item (kSecAttrIsPermanent and usage flags of the ref do not restrict it)', () => {
    const { app } = fresh();
    ok(app.SecItemAdd({ [kSecValueRef]: ec.privateKey, [kSecAttrLabel]: 'k' }));
    const d = dict(ok(app.SecItemCopyMatching({ [kSecValueRef]: ec.privateKey, [kSecReturnAttributes]: true })));
    assert.equal(d[kSecAttrLabel], 'k');
  });

  it('kSecValueRef is refused in an update dictionary and nothing changes', () => {
    const { app } = fresh();
    ok(app.SecItemAdd({ [kSecValueRef]: certificateOf(ec.der), [kSecAttrLabel]: 'before' }));
    const status = app.SecItemUpdate({ [kSecClass]: kSecClassCertificate }, { [kSecValueRef]: certificateOf(rsa.der) });
    assert.notEqual(status, errSecSuccess, 'refused');
    const d = dict(ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassCertificate, [kSecReturnAttributes]: true, [kSecReturnData]: true })));
    sameBytes(d[kSecValueData], ec.der, 'still the same certificate');
    assert.equal(d[kSecAttrLabel], 'before');
  });

  it('kSecValueRef in an update dictionary is errSecNoSuchAttr (§4.4 ④: every key of attributesToUpdate but v_Data is an attribute)', () => {
    const { app } = fresh();
    ok(app.SecItemAdd({ [kSecValueRef]: certificateOf(ec.der), [kSecAttrLabel]: 'before' }));
    const status = app.SecItemUpdate({ [kSecClass]: kSecClassCertificate }, { [kSecValueRef]: certificateOf(rsa.der) });
    assert.notEqual(status, errSecSuccess, 'refused');
    const d = dict(ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassCertificate, [kSecReturnAttributes]: true, [kSecReturnData]: true })));
    sameBytes(d[kSecValueData], ec.der, 'still the same certificate');
    assert.equal(d[kSecAttrLabel], 'before');
    expectStatus(status, errSecNoSuchAttr, 'attributesToUpdate: every key but v_Data is an attribute');
  });
});

describe('seed 002 "Value Type Subtleties": kSecValueRef "is not supported in an update dictionary", whatever the object', () => {
  it('a SecKey or a SecIdentity in attributesToUpdate is errSecNoSuchAttr and nothing changes', () => {
    const { app } = fresh();
    ok(app.SecItemAdd({ [kSecValueRef]: ec.identity, [kSecAttrLabel]: 'before' }));
    expectStatus(app.SecItemUpdate({ [kSecClass]: kSecClassKey }, { [kSecValueRef]: rsa.privateKey }), errSecNoSuchAttr, 'a key');
    expectStatus(app.SecItemUpdate({ [kSecClass]: kSecClassIdentity }, { [kSecValueRef]: rsa.identity }), errSecNoSuchAttr, 'an identity');
    const d = dict(ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity, [kSecReturnAttributes]: true, [kSecReturnRef]: true })));
    assert.equal(d[kSecAttrLabel], 'before');
    assert.deepEqual(identityParts(d[kSecValueRef]), { cert: hex(ec.der), key: publicBytesOf(ec.privateKey) });
  });
});

describe('seed 002 "Outputs": kSecReturnRef gives SecCertificate / SecKey / SecIdentity', () => {
  it('r_Ref of cert is a SecCertificate, of keys a SecKey, of idnt a SecIdentity', () => {
    const { app } = fresh();
    ok(app.SecItemAdd({ [kSecValueRef]: ec.identity }));
    assert.ok(ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassCertificate, [kSecReturnRef]: true })) instanceof SecCertificate);
    assert.ok(ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassKey, [kSecReturnRef]: true })) instanceof SecKey);
    assert.ok(ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity, [kSecReturnRef]: true })) instanceof SecIdentity);
  });

  it('"If you supply multiple return type properties or kSecReturnAttributes, you get back a dictionary" also with an identity as kSecValueRef, on add and in a query; a single return key gives its value', () => {
    const { app } = fresh();
    const added = dict(ok(app.SecItemAdd({ [kSecValueRef]: ec.identity, [kSecReturnAttributes]: true })), 'add r_Attributes');
    assert.equal(added[kSecAttrLabel], 'ec identity');
    sameBytes(added['certdata'], ec.der);
    const both = dict(ok(app.SecItemCopyMatching({ [kSecValueRef]: ec.identity, [kSecReturnAttributes]: true, [kSecReturnRef]: true })), 'r_Attributes + r_Ref');
    assert.deepEqual(identityParts(both[kSecValueRef]), { cert: hex(ec.der), key: publicBytesOf(ec.privateKey) });
    assert.equal(hex(bytes(both[kSecAttrApplicationLabel])), hex(ec.publicKeyHash));
    const refs = dict(ok(app.SecItemCopyMatching({ [kSecValueRef]: ec.identity, [kSecReturnRef]: true, [kSecReturnPersistentRef]: true })), 'r_Ref + r_PersistentRef');
    assert.ok(refs[kSecValueRef] instanceof SecIdentity);
    assert.equal(Buffer.from(bytes(refs[kSecValuePersistentRef]).subarray(0, 4)).toString('latin1'), 'idnt');
    assert.ok(ok(app.SecItemCopyMatching({ [kSecValueRef]: ec.identity, [kSecReturnRef]: true })) instanceof SecIdentity, 'r_Ref alone');
    assert.equal(hex(bytes(ok(app.SecItemCopyMatching({ [kSecValueRef]: ec.identity, [kSecReturnData]: true })))), externalOf(ec.privateKey), 'r_Data alone: the key\'s data');
  });

  it('"For kSecReturnData you get back the keychain item\'s data": of a key item, the bytes SecKeyCopyExternalRepresentation gives ("If you want to export a key, call SecKeyCopyExternalRepresentation")', () => {
    for (const m of [ec, rsa]) {
      const { app } = fresh();
      ok(app.SecItemAdd({ [kSecValueRef]: m.privateKey }));
      ok(app.SecItemAdd({ [kSecValueRef]: m.publicKey }));
      for (const [kcls, key] of [[1, m.privateKey], [0, m.publicKey]] as const) {
        const data = bytes(ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassKey, [kSecAttrKeyClass]: kcls, [kSecReturnData]: true })));
        assert.equal(hex(data), externalOf(key), `${m.name} kcls ${kcls}`);
      }
    }
  });
});

// ── §5.2 and seed 000 "Understand These Key Attributes" ──────────────────────

describe('§5.2 / seed 000 "Understand These Key Attributes": attributes inferred from a key reference', () => {
  // Number-kind attributes come back as numbers (§1.2: CFBoolean → SInt32 0/1; "73" → 73).
  const expected = (kind: 'ec' | 'rsa', priv: boolean): Dict => ({
    [kSecAttrKeyClass]: priv ? 1 : 0,
    [kSecAttrKeyType]: kind === 'ec' ? 73 : 42,
    [kSecAttrIsPermanent]: 1,
    [kSecAttrIsPrivate]: 1,
    [kSecAttrIsModifiable]: 1,
    [kSecAttrIsSensitive]: 0,
    [kSecAttrWasAlwaysSensitive]: 0,
    [kSecAttrIsExtractable]: 1,
    [kSecAttrWasNeverExtractable]: 0,
    [kSecAttrCanEncrypt]: priv ? 0 : 1,
    [kSecAttrCanDecrypt]: priv ? 1 : kind === 'rsa' ? 1 : 0,
    [kSecAttrCanDerive]: priv ? (kind === 'rsa' ? 0 : 1) : 0,
    [kSecAttrCanSign]: priv ? 1 : 0,
    [kSecAttrCanVerify]: priv ? 0 : 1,
    [kSecAttrCanSignRecover]: 0,
    [kSecAttrCanVerifyRecover]: 0,
    [kSecAttrCanWrap]: priv ? 0 : 1,
    [kSecAttrCanUnwrap]: priv ? 1 : 0,
  });
  for (const kind of ['ec', 'rsa'] as const) {
    for (const priv of [true, false]) {
      it(`${kind.toUpperCase()} ${priv ? 'private' : 'public'} key: kcls, type, bsiz/esiz, klbl = SHA-1 of the public key bytes, perm/priv/modi and usage flags per §5.2`, () => {
        const m = kind === 'ec' ? ec : rsa;
        const { app } = fresh();
        const d = dict(ok(app.SecItemAdd({ [kSecValueRef]: priv ? m.privateKey : m.publicKey, [kSecReturnAttributes]: true })));
        assert.equal(hex(bytes(d[kSecAttrApplicationLabel])), hex(m.publicKeyHash), 'klbl');
        assert.equal(d[kSecAttrKeySizeInBits], m.bits, 'bsiz');
        assert.equal(d[kSecAttrEffectiveKeySize], m.bits, 'esiz');
        const want = expected(kind, priv);
        const got: Dict = {};
        for (const k of Object.keys(want)) got[k] = d[k];
        assert.deepEqual(got, want);
      });
    }
  }

  it('SecKeyCreateRandomKey with kSecAttrIsPermanent stores each permanent half by reference (SecKey.m add_key): its sub-dictionary\'s attributes, the top level merged in, the inferred klbl', () => {
    const { app } = fresh();
    const r = app.SecKeyCreateRandomKey({
      [kSecAttrKeyType]: kSecAttrKeyTypeECSECPrimeRandom,
      [kSecAttrKeySizeInBits]: 384,
      [kSecAttrLabel]: 'generated',
      [kSecPrivateKeyAttrs]: { [kSecAttrIsPermanent]: true, [kSecAttrApplicationTag]: 'com.example.generated' },
    });
    assert.ok(r.value instanceof SecKey, `SecKeyCreateRandomKey: ${r.error?.message}`);
    const d = dict(ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassKey, [kSecAttrApplicationTag]: 'com.example.generated', [kSecReturnAttributes]: true, [kSecReturnRef]: true })));
    assert.equal(d[kSecAttrKeyClass], 1, 'the private half');
    assert.equal(d[kSecAttrKeySizeInBits], 384);
    assert.equal(d[kSecAttrLabel], 'generated', 'a top-level attribute is merged into the half');
    assert.equal(hex(bytes(d[kSecAttrApplicationLabel])), hex(sha1(Buffer.from(publicBytesOf(r.value), 'hex'))), 'klbl = SHA-1 of 04‖X‖Y');
    assert.equal(externalOf(d[kSecValueRef] as SecKey), externalOf(r.value), 'the stored key is the key returned');
    assert.equal(count(app, kSecClassKey), 1, 'the public half is not permanent by default');
    const both = app.SecKeyCreateRandomKey({
      [kSecAttrKeyType]: kSecAttrKeyTypeECSECPrimeRandom,
      [kSecAttrKeySizeInBits]: 256,
      [kSecAttrIsPermanent]: true,
      [kSecAttrApplicationTag]: 'com.example.pair',
    });
    assert.ok(both.value, `SecKeyCreateRandomKey: ${both.error?.message}`);
    const halves = array(ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassKey, [kSecAttrApplicationTag]: 'com.example.pair', [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnAttributes]: true })));
    assert.deepEqual(halves.map((h) => dict(h)[kSecAttrKeyClass]).sort(), [0, 1], 'a top-level kSecAttrIsPermanent stores both halves');
  });

  it('"SecItem attributes for keys": klbl and atag are components of key uniqueness, labl is not', () => {
    const { app } = fresh();
    ok(app.SecItemAdd({ [kSecValueRef]: ec.privateKey, [kSecAttrLabel]: 'one' }));
    expectOutcome(app.SecItemAdd({ [kSecValueRef]: ec.privateKey, [kSecAttrLabel]: 'two' }), errSecDuplicateItem, 'labl');
    ok(app.SecItemAdd({ [kSecValueRef]: ec.privateKey, [kSecAttrApplicationLabel]: Uint8Array.of(1, 2, 3) }), 'klbl');
    ok(app.SecItemAdd({ [kSecValueRef]: ec.privateKey, [kSecAttrApplicationTag]: Uint8Array.of(4, 5, 6) }), 'atag');
    assert.equal(count(app, kSecClassKey), 3);
  });

  it('"SecItem attributes for keys": klbl is data "but may be a CFString containing a UUID": such a string is stored and returned as its UTF-8 bytes, and found by either form', () => {
    const { app } = fresh();
    const uuid = 'E621E1F8-C36C-495A-93FC-0C247A3E6E5F';
    const d = dict(ok(app.SecItemAdd({ [kSecValueRef]: ec.privateKey, [kSecAttrApplicationLabel]: uuid, [kSecReturnAttributes]: true })));
    sameBytes(d[kSecAttrApplicationLabel], uuid);
    expectOutcome(app.SecItemCopyMatching({ [kSecClass]: kSecClassKey, [kSecAttrApplicationLabel]: uuid }), errSecSuccess, 'by the string');
    expectOutcome(app.SecItemCopyMatching({ [kSecClass]: kSecClassKey, [kSecAttrApplicationLabel]: Buffer.from(uuid) }), errSecSuccess, 'by its bytes');
  });

  it('the private key\'s klbl equals its certificate\'s pkhh (EC and RSA)', () => {
    for (const m of [ec, rsa]) {
      const { app } = fresh();
      const k = dict(ok(app.SecItemAdd({ [kSecValueRef]: m.privateKey, [kSecReturnAttributes]: true })));
      const c = dict(ok(app.SecItemAdd({ [kSecValueRef]: m.certificate, [kSecReturnAttributes]: true })));
      assert.equal(hex(bytes(k[kSecAttrApplicationLabel])), hex(bytes(c[kSecAttrPublicKeyHash])), m.name);
    }
  });
});

// ── §7 cases 31–39: identities (EC and RSA) ──────────────────────────────────

for (const which of ['ec', 'rsa'] as const) {
  describe(`§7 cases 31–39 with an ${which.toUpperCase()} identity`, () => {
    const m = () => (which === 'ec' ? ec : rsa);

    it('§7 case 31: with cert and private key added by ref, {class: keys, klbl: SHA-1(pubkey), r_Ref} finds the key and {class: cert, pkhh: digest, r_Ref} the certificate', () => {
      const { app } = fresh();
      ok(app.SecItemAdd({ [kSecValueRef]: m().certificate }));
      ok(app.SecItemAdd({ [kSecValueRef]: m().privateKey }));
      const key = ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassKey, [kSecAttrApplicationLabel]: m().publicKeyHash, [kSecReturnRef]: true }));
      assert.ok(key instanceof SecKey);
      assert.equal(externalOf(key), externalOf(m().privateKey), 'the key found is the key added');
      const cert = ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassCertificate, [kSecAttrPublicKeyHash]: m().publicKeyHash, [kSecReturnRef]: true }));
      assert.equal(certDerOf(cert), hex(m().der));
    });

    it('§7 case 32: {class: idnt, klbl: digest, r_Ref} is the identity of that certificate and key', () => {
      const { app } = fresh();
      ok(app.SecItemAdd({ [kSecValueRef]: m().certificate }));
      ok(app.SecItemAdd({ [kSecValueRef]: m().privateKey }));
      const id = ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity, [kSecAttrApplicationLabel]: m().publicKeyHash, [kSecReturnRef]: true }));
      assert.deepEqual(identityParts(id), { cert: hex(m().der), key: publicBytesOf(m().privateKey) });
    });

    it('§7 case 33: SecItemDelete {v_Ref: cert} then the same query is errSecItemNotFound; the same for {v_Ref: key}', () => {
      const { app } = fresh();
      ok(app.SecItemAdd({ [kSecValueRef]: m().certificate }));
      ok(app.SecItemAdd({ [kSecValueRef]: m().privateKey }));
      expectStatus(app.SecItemDelete({ [kSecValueRef]: m().certificate }), errSecSuccess, 'delete cert');
      expectOutcome(app.SecItemCopyMatching({ [kSecValueRef]: m().certificate }), errSecItemNotFound, 'cert gone');
      expectStatus(app.SecItemDelete({ [kSecValueRef]: m().privateKey }), errSecSuccess, 'delete key');
      expectOutcome(app.SecItemCopyMatching({ [kSecValueRef]: m().privateKey }), errSecItemNotFound, 'key gone');
    });

    it('§7 case 34: adding the same identity twice is errSecDuplicateItem and returns no reference', () => {
      const { app } = fresh();
      const pref = bytes(ok(app.SecItemAdd({ [kSecValueRef]: m().identity, [kSecReturnPersistentRef]: true })));
      assert.equal(Buffer.from(pref.subarray(0, 4)).toString('latin1'), 'idnt', '§4.13: the returned pref is an identity pref');
      assert.equal(pref.length, 20);
      const again = app.SecItemAdd({ [kSecValueRef]: m().identity, [kSecReturnPersistentRef]: true });
      expectStatus(again.status, errSecDuplicateItem);
      assert.ok(again.result === undefined || again.result === null, 'no pref returned');
      assert.equal(count(app, kSecClassCertificate), 1);
      assert.equal(count(app, kSecClassKey), 1);
    });

    it('§7 case 35 / §4.12: the identity pref finds the identity; {v_Ref: identity|key|cert, r_PersistentRef} give the idnt pref (= idnt + the certificate\'s UUID), the key\'s and the cert\'s', () => {
      const { app } = fresh();
      const pref = bytes(ok(app.SecItemAdd({ [kSecValueRef]: m().identity, [kSecReturnPersistentRef]: true })));
      const id = ok(app.SecItemCopyMatching({ [kSecValuePersistentRef]: pref, [kSecReturnRef]: true }));
      assert.deepEqual(identityParts(id), { cert: hex(m().der), key: publicBytesOf(m().privateKey) });
      const idPref = bytes(ok(app.SecItemCopyMatching({ [kSecValueRef]: m().identity, [kSecReturnPersistentRef]: true })), 'identity pref');
      assert.equal(hex(idPref), hex(pref), 'the same pref as the add returned');
      const keyPref = bytes(ok(app.SecItemCopyMatching({ [kSecValueRef]: m().privateKey, [kSecReturnPersistentRef]: true })), 'key pref');
      const certPref = bytes(ok(app.SecItemCopyMatching({ [kSecValueRef]: m().certificate, [kSecReturnPersistentRef]: true })), 'cert pref');
      assert.equal(Buffer.from(keyPref.subarray(0, 4)).toString('latin1'), 'keys');
      assert.equal(Buffer.from(certPref.subarray(0, 4)).toString('latin1'), 'cert');
      assert.equal(hex(pref.subarray(4)), hex(certPref.subarray(4)), '§4.12: identity pref = idnt + the certificate\'s UUID');
    });

    it('§7 case 36: delete by identity ref, its pref is then not found; re-add; delete by pref; then not found', () => {
      const { app } = fresh();
      const pref = bytes(ok(app.SecItemAdd({ [kSecValueRef]: m().identity, [kSecReturnPersistentRef]: true })));
      expectStatus(app.SecItemDelete({ [kSecValueRef]: m().identity, [kSecReturnPersistentRef]: true }), errSecSuccess, 'delete by ref');
      expectOutcome(app.SecItemCopyMatching({ [kSecValuePersistentRef]: pref, [kSecReturnRef]: true }), errSecItemNotFound, 'old pref');
      const pref2 = bytes(ok(app.SecItemAdd({ [kSecValueRef]: m().identity, [kSecReturnPersistentRef]: true })), 're-add');
      expectStatus(app.SecItemDelete({ [kSecValuePersistentRef]: pref2 }), errSecSuccess, 'delete by pref');
      expectOutcome(app.SecItemCopyMatching({ [kSecValuePersistentRef]: pref2, [kSecReturnRef]: true }), errSecItemNotFound, 'new pref');
      assert.equal(count(app, kSecClassCertificate), 0, 'cert gone');
      assert.equal(count(app, kSecClassKey), 0, 'key gone (no other cert uses it)');
    });

    it('§7 case 37: an identity added with labl "zomg" is found by that label as idnt, cert and keys', () => {
      const { app } = fresh();
      ok(app.SecItemAdd({ [kSecValueRef]: m().identity, [kSecAttrLabel]: 'zomg' }));
      for (const cls of [kSecClassIdentity, kSecClassCertificate, kSecClassKey]) {
        expectOutcome(app.SecItemCopyMatching({ [kSecClass]: cls, [kSecAttrLabel]: 'zomg' }), errSecSuccess, cls);
      }
    });

    it('§7 case 38: the identity\'s label is the certificate\'s: relabelling the key leaves it found as "zomg"; relabelling the cert moves it to "zzzomg"', () => {
      const { app } = fresh();
      ok(app.SecItemAdd({ [kSecValueRef]: m().identity, [kSecAttrLabel]: 'zomg' }));
      expectStatus(app.SecItemUpdate({ [kSecValueRef]: m().privateKey }, { [kSecAttrLabel]: 'zzzomg' }), errSecSuccess, 'update key');
      expectOutcome(app.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity, [kSecAttrLabel]: 'zomg' }), errSecSuccess, 'idnt still zomg');
      expectStatus(app.SecItemUpdate({ [kSecValueRef]: m().certificate }, { [kSecAttrLabel]: 'zzzomg' }), errSecSuccess, 'update cert');
      expectOutcome(app.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity, [kSecAttrLabel]: 'zomg' }), errSecItemNotFound, 'no idnt zomg');
      expectOutcome(app.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity, [kSecAttrLabel]: 'zzzomg' }), errSecSuccess, 'idnt zzzomg');
    });

    it('§7 case 39: {class: idnt, issr: normalized issuer content} finds the identity', () => {
      const { app } = fresh();
      ok(app.SecItemAdd({ [kSecValueRef]: m().identity, [kSecAttrLabel]: 'zomg' }));
      // The CA's Name is UTF8String only: its normalized content is its content.
      const a = ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity, [kSecAttrIssuer]: m().issuerContents, [kSecReturnRef]: true }));
      assert.equal(identityParts(a).cert, hex(m().der));
    });

    it('§7 case 39: {class: idnt, issr: full DER Name (outer SEQUENCE)} finds the same identity (the query\'s issuer is normalized client-side)', () => {
      const { app } = fresh();
      ok(app.SecItemAdd({ [kSecValueRef]: m().identity, [kSecAttrLabel]: 'zomg' }));
      const a = ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity, [kSecAttrIssuer]: m().issuerContents, [kSecReturnRef]: true }));
      const b = ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity, [kSecAttrIssuer]: m().issuerFull, [kSecReturnRef]: true }));
      assert.deepEqual(identityParts(a), identityParts(b));
    });
  });
}

describe('§5.1: a full DER issuer Name in a query is normalized before matching', () => {
  it('a certificate whose PrintableString issuer has lower case is found by the normalized issuer content', () => {
    const { app } = fresh();
    ok(app.SecItemAdd({ [kSecValueRef]: certificateOf(printableIssuer.der) }));
    sameBytes(ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassCertificate, [kSecAttrIssuer]: printableIssuer.normalized, [kSecReturnData]: true })), printableIssuer.der);
  });

  it('a certificate whose PrintableString issuer has lower case is found by the full, unnormalized issuer Name', () => {
    const { app } = fresh();
    ok(app.SecItemAdd({ [kSecValueRef]: certificateOf(printableIssuer.der) }));
    const full = o.nameContents('pleaf.pem').issuer;
    const wrapped = derSequence(full);
    sameBytes(ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassCertificate, [kSecAttrIssuer]: wrapped, [kSecReturnData]: true })), printableIssuer.der);
  });
});

describe('§4.5 step 1 / §5.1: a kSecAttrIssuer given as a full DER Name is normalized in every dictionary, not only in queries', () => {
  const fullIssuer = (): Uint8Array => derSequence(o.nameContents('pleaf.pem').issuer);

  it('SecItemAdd by reference with an explicit full issuer Name stores the normalized issuer content', () => {
    const { app } = fresh();
    const d = dict(ok(app.SecItemAdd({ [kSecValueRef]: certificateOf(printableIssuer.der), [kSecAttrIssuer]: fullIssuer(), [kSecReturnAttributes]: true })));
    assert.equal(hex(bytes(d[kSecAttrIssuer])), hex(printableIssuer.normalized));
  });

  it('SecItemAdd by data with a full issuer Name stores the normalized content: the same (ctyp, issr, slnr) as the certificate added by reference', () => {
    const { app } = fresh();
    const d = dict(
      ok(
        app.SecItemAdd({
          [kSecClass]: kSecClassCertificate,
          [kSecValueData]: printableIssuer.der,
          [kSecAttrCertificateType]: 3,
          [kSecAttrIssuer]: fullIssuer(),
          [kSecAttrSerialNumber]: leafWithSki.serial,
          [kSecReturnAttributes]: true,
        }),
      ),
    );
    assert.equal(hex(bytes(d[kSecAttrIssuer])), hex(printableIssuer.normalized));
    expectOutcome(app.SecItemAdd({ [kSecValueRef]: certificateOf(printableIssuer.der) }), errSecDuplicateItem, 'the uniqueness constraint sees the same issuer');
  });

  it('SecItemUpdate with a full issuer Name in attributesToUpdate stores the normalized content', () => {
    const { app } = fresh();
    ok(app.SecItemAdd({ [kSecClass]: kSecClassCertificate, [kSecValueData]: printableIssuer.der, [kSecAttrSerialNumber]: leafWithSki.serial }));
    expectStatus(app.SecItemUpdate({ [kSecClass]: kSecClassCertificate }, { [kSecAttrIssuer]: fullIssuer() }), errSecSuccess);
    const d = dict(ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassCertificate, [kSecReturnAttributes]: true })));
    assert.equal(hex(bytes(d[kSecAttrIssuer])), hex(printableIssuer.normalized));
  });

  it('a kSecAttrIssuer that is not data is errSecParam in every call, before the class is looked at (the client casts it to CFData)', () => {
    const { app } = fresh();
    ok(app.SecItemAdd({ [kSecValueRef]: certificateOf(ec.der) }));
    for (const cls of [kSecClassCertificate, kSecClassGenericPassword]) {
      const d = { [kSecClass]: cls, [kSecAttrAccount]: 'a', [kSecAttrIssuer]: 'CN=Conformance CA' };
      expectOutcome(app.SecItemAdd(d), errSecParam, `${cls} add`);
      expectOutcome(app.SecItemCopyMatching(d), errSecParam, `${cls} copy`);
      expectStatus(app.SecItemDelete(d), errSecParam, `${cls} delete`);
      expectStatus(app.SecItemUpdate({ [kSecClass]: cls }, { [kSecAttrIssuer]: 'CN=x' }), errSecParam, `${cls} update`);
    }
    assert.equal(count(app, kSecClassCertificate), 1, 'nothing was added or deleted');
  });
});

describe('§4.13: the attribute dictionary of an identity', () => {
  it('holds the certificate\'s DER as certdata (kSecAttrIdentityCertificateData) beside the merged attributes; v_Data is the key\'s data', () => {
    const { app } = fresh();
    ok(app.SecItemAdd({ [kSecValueRef]: ec.identity }));
    const d = dict(ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity, [kSecReturnAttributes]: true })));
    sameBytes(d['certdata'], ec.der, 'certdata');
    assert.ok(!(kSecValueData in d), 'no v_Data without kSecReturnData');
    const withData = dict(ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity, [kSecReturnAttributes]: true, [kSecReturnData]: true })));
    sameBytes(withData['certdata'], ec.der, 'certdata with r_Data');
    assert.equal(hex(bytes(withData[kSecValueData])), externalOf(ec.privateKey), 'v_Data: the key\'s external representation');
  });
});

describe('seed 000 "Import, Then Add": adding by data infers nothing', () => {
  it('a certificate added by kSecValueData gets only defaults (ctyp 0, empty issr and slnr; no labl, subj, pkhh), so the same certificate by reference is another item', () => {
    const { app } = fresh();
    const d = dict(ok(app.SecItemAdd({ [kSecClass]: kSecClassCertificate, [kSecValueData]: ec.der, [kSecReturnAttributes]: true })));
    assert.equal(d[kSecAttrCertificateType], 0, 'ctyp default');
    assert.equal(hex(bytes(d[kSecAttrIssuer])), '', 'issr default: empty data');
    assert.equal(hex(bytes(d[kSecAttrSerialNumber])), '', 'slnr default: empty data');
    for (const k of [kSecAttrLabel, kSecAttrSubject, kSecAttrPublicKeyHash, kSecAttrSubjectKeyID]) assert.ok(!(k in d), `no ${k}`);
    ok(app.SecItemAdd({ [kSecValueRef]: certificateOf(ec.der) }), 'by reference: a different (ctyp, issr, slnr)');
    assert.equal(count(app, kSecClassCertificate), 2);
  });

  it('a private key added by kSecValueData has no application label, so it forms no identity with its certificate; the imported SecKey does', () => {
    const { app } = fresh();
    ok(app.SecItemAdd({ [kSecValueRef]: ec.certificate }));
    const d = dict(ok(app.SecItemAdd({ [kSecClass]: kSecClassKey, [kSecValueData]: Buffer.from(externalOf(ec.privateKey), 'hex'), [kSecReturnAttributes]: true })));
    assert.equal(hex(bytes(d[kSecAttrApplicationLabel])), '', 'klbl default: empty data');
    expectOutcome(app.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity }), errSecItemNotFound, 'no identity from key data');
    ok(app.SecItemAdd({ [kSecValueRef]: ec.privateKey }), 'the key by reference');
    expectOutcome(app.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity }), errSecSuccess, 'the identity forms');
  });
});

describe('§1.4 / §1.5: certificate and key uniqueness', () => {
  /** Another key's certificate with the issuer and serial number of `ec`'s (0x1001). */
  let sameIssuerAndSerialDer: Uint8Array;
  before(() => {
    o.ecKey('dupserial');
    o.issued('dupserial', 'dupserial.key', '/CN=someone else/O=Example', 'ca.pem', 'ca.key', 'leaf', '0x1001');
    sameIssuerAndSerialDer = o.der('dupserial.pem');
  });

  it('cert = (ctyp, issr, slnr, agrp, sync, ...): another certificate with the same issuer and serial number is errSecDuplicateItem', () => {
    const { app } = fresh();
    ok(app.SecItemAdd({ [kSecValueRef]: certificateOf(ec.der) }));
    assert.notEqual(hex(sameIssuerAndSerialDer), hex(ec.der), 'a different certificate (subject, key, signature)');
    expectOutcome(app.SecItemAdd({ [kSecValueRef]: certificateOf(sameIssuerAndSerialDer) }), errSecDuplicateItem);
    assert.equal(count(app, kSecClassCertificate), 1);
  });

  it('labl, pdmn, subj, skid and pkhh are not in the certificate key: the same certificate with another label or protection is errSecDuplicateItem', () => {
    const { app } = fresh();
    ok(app.SecItemAdd({ [kSecValueRef]: certificateOf(ec.der) }));
    expectOutcome(app.SecItemAdd({ [kSecValueRef]: certificateOf(ec.der), [kSecAttrLabel]: 'another label' }), errSecDuplicateItem, 'labl');
    expectOutcome(app.SecItemAdd({ [kSecValueRef]: certificateOf(ec.der), [kSecAttrAccessible]: kSecAttrAccessibleWhenUnlocked }), errSecDuplicateItem, 'pdmn');
    expectOutcome(app.SecItemAdd({ [kSecValueRef]: certificateOf(ec.der), [kSecAttrSubject]: Uint8Array.of(1), [kSecAttrPublicKeyHash]: Uint8Array.of(2) }), errSecDuplicateItem, 'subj, pkhh');
  });

  it('ctyp, sync and agrp are in the certificate key: the same certificate is a second item with another of them', () => {
    const tk = new TempKeychain();
    cleanups.push(() => tk.cleanup());
    const app = tk.client('T.app', ['T.group1', 'T.group2']);
    ok(app.SecItemAdd({ [kSecValueRef]: certificateOf(ec.der) }));
    ok(app.SecItemAdd({ [kSecValueRef]: certificateOf(ec.der), [kSecAttrSynchronizable]: true }), 'sync');
    ok(app.SecItemAdd({ [kSecValueRef]: certificateOf(ec.der), [kSecAttrCertificateType]: 1 }), 'ctyp');
    ok(app.SecItemAdd({ [kSecValueRef]: certificateOf(ec.der), [kSecAttrAccessGroup]: 'T.group2' }), 'agrp');
    assert.equal(count(app, kSecClassCertificate, { [kSecAttrSynchronizable]: 'syna' }), 4);
  });

  it('keys = (kcls, klbl, atag, crtr, type, bsiz, esiz, sdat, edat, ...): the same key with another label is errSecDuplicateItem; with another atag or crtr, or as its public half, a second item', () => {
    const { app } = fresh();
    ok(app.SecItemAdd({ [kSecValueRef]: ec.privateKey }));
    expectOutcome(app.SecItemAdd({ [kSecValueRef]: ec.privateKey, [kSecAttrLabel]: 'another label' }), errSecDuplicateItem, 'labl');
    ok(app.SecItemAdd({ [kSecValueRef]: ec.privateKey, [kSecAttrApplicationTag]: 'com.example.tag' }), 'atag');
    // atag is hashed: the tag as data is the same value as the tag as a string (§1.2).
    expectOutcome(app.SecItemAdd({ [kSecValueRef]: ec.privateKey, [kSecAttrApplicationTag]: Buffer.from('com.example.tag') }), errSecDuplicateItem, 'atag as data');
    ok(app.SecItemAdd({ [kSecValueRef]: ec.privateKey, [kSecAttrKeyCreator]: 7 }), 'crtr');
    ok(app.SecItemAdd({ [kSecValueRef]: ec.publicKey }), 'kcls: the public half');
    assert.equal(count(app, kSecClassKey), 4);
  });
});

// ── seed 000 "Digital Identities Aren't Real" ────────────────────────────────

describe('seed 000 "Digital Identities Aren\'t Real"', () => {
  it('"the keychain does not store digital identities": adding one to an empty keychain stores its certificate as a kSecClassCertificate item and its private key as a kSecClassKey item', () => {
    const { app } = fresh();
    ok(app.SecItemAdd({ [kSecValueRef]: ec.identity }));
    sameBytes(ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassCertificate, [kSecReturnData]: true })), ec.der, 'the certificate');
    const key = ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassKey, [kSecReturnRef]: true }));
    assert.ok(key instanceof SecKey);
    assert.equal(externalOf(key), externalOf(ec.privateKey), 'the private key');
    assert.equal(count(app, kSecClassCertificate), 1);
    assert.equal(count(app, kSecClassKey), 1);
  });

  it('adding a certificate whose private key is already present makes an identity appear', () => {
    const { app } = fresh();
    ok(app.SecItemAdd({ [kSecValueRef]: ec.privateKey }));
    expectOutcome(app.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity }), errSecItemNotFound, 'key alone: no identity');
    ok(app.SecItemAdd({ [kSecValueRef]: ec.certificate }));
    assert.deepEqual(identityParts(ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity, [kSecReturnRef]: true }))), { cert: hex(ec.der), key: publicBytesOf(ec.privateKey) });
  });

  it('adding a private key whose certificate is already present makes an identity appear', () => {
    const { app } = fresh();
    ok(app.SecItemAdd({ [kSecValueRef]: rsa.certificate }));
    expectOutcome(app.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity }), errSecItemNotFound, 'cert alone: no identity');
    ok(app.SecItemAdd({ [kSecValueRef]: rsa.privateKey }));
    expectOutcome(app.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity }), errSecSuccess);
  });

  it('adding an identity when its certificate is present adds only the private key (success, one cert, one key)', () => {
    const { app } = fresh();
    ok(app.SecItemAdd({ [kSecValueRef]: ec.certificate }));
    ok(app.SecItemAdd({ [kSecValueRef]: ec.identity }), 'identity add');
    assert.equal(count(app, kSecClassCertificate), 1);
    assert.equal(count(app, kSecClassKey), 1);
  });

  it('adding an identity when its private key is present adds only the certificate (success, one cert, one key)', () => {
    const { app } = fresh();
    ok(app.SecItemAdd({ [kSecValueRef]: ec.privateKey }));
    ok(app.SecItemAdd({ [kSecValueRef]: ec.identity }), 'identity add');
    assert.equal(count(app, kSecClassCertificate), 1);
    assert.equal(count(app, kSecClassKey), 1);
  });

  it('deleting an identity deletes its certificate and its private key when no other certificate uses that key', () => {
    const { app } = fresh();
    ok(app.SecItemAdd({ [kSecValueRef]: rsa.identity }));
    expectStatus(app.SecItemDelete({ [kSecValueRef]: rsa.identity }), errSecSuccess);
    assert.equal(count(app, kSecClassCertificate), 0);
    assert.equal(count(app, kSecClassKey), 0);
  });

  it('deleting an identity keeps its private key while another certificate for that key remains (whose identity is still found)', () => {
    const { app } = fresh();
    ok(app.SecItemAdd({ [kSecValueRef]: ec.identity }));
    ok(app.SecItemAdd({ [kSecValueRef]: certificateOf(ecSecondCertDer) }));
    assert.equal(array(ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity, [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnRef]: true }))).length, 2, 'two identities share one key');
    expectStatus(app.SecItemDelete({ [kSecValueRef]: ec.identity }), errSecSuccess);
    assert.equal(count(app, kSecClassKey), 1, 'the key stays');
    expectOutcome(app.SecItemCopyMatching({ [kSecValueRef]: ec.certificate }), errSecItemNotFound, 'its certificate is gone');
    const left = ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity, [kSecReturnRef]: true }));
    assert.equal(identityParts(left).cert, hex(ecSecondCertDer));
  });

  it('the system forms an identity from the private key only: kSecAttrIsPrivate must be set (Apple\'s join: keys.priv == 1), and a public key of the certificate is no identity', () => {
    const { app } = fresh();
    ok(app.SecItemAdd({ [kSecValueRef]: ec.certificate }));
    ok(app.SecItemAdd({ [kSecValueRef]: ec.publicKey }));
    expectOutcome(app.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity }), errSecItemNotFound, 'certificate + public key');
    ok(app.SecItemAdd({ [kSecValueRef]: ec.privateKey, [kSecAttrIsPrivate]: false }));
    expectOutcome(app.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity }), errSecItemNotFound, 'a private key stored with priv = 0');
    expectStatus(app.SecItemUpdate({ [kSecClass]: kSecClassKey, [kSecAttrKeyClass]: 1 }, { [kSecAttrIsPrivate]: true }), errSecSuccess);
    expectOutcome(app.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity }), errSecSuccess, 'priv = 1: the identity forms');
  });

  it('kSecAttrSynchronizable of an identity query is its key\'s (Apple\'s join selects keys.*): a synchronizable certificate with a local key is found by default; a synchronizable key only with sync true or any', () => {
    const { app } = fresh();
    ok(app.SecItemAdd({ [kSecValueRef]: ec.certificate, [kSecAttrSynchronizable]: true }));
    ok(app.SecItemAdd({ [kSecValueRef]: ec.privateKey }));
    assert.equal(identityParts(ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity, [kSecReturnRef]: true }))).cert, hex(ec.der), 'sync certificate, local key');
    ok(app.SecItemAdd({ [kSecValueRef]: rsa.identity, [kSecAttrSynchronizable]: true }));
    const local = array(ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity, [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnRef]: true })));
    assert.deepEqual(local.map((i) => identityParts(i).cert), [hex(ec.der)], 'no sync key without kSecAttrSynchronizable');
    const synced = ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity, [kSecAttrSynchronizable]: true, [kSecReturnRef]: true }));
    assert.equal(identityParts(synced).cert, hex(rsa.der), 'sync: true');
    assert.equal(array(ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity, [kSecAttrSynchronizable]: 'syna', [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnRef]: true }))).length, 2, 'sync: any');
  });

  it('an identity persistent reference finds a synchronizable identity (a persistent reference implies no sync condition)', () => {
    const { app } = fresh();
    const pref = bytes(ok(app.SecItemAdd({ [kSecValueRef]: ec.identity, [kSecAttrSynchronizable]: true, [kSecReturnPersistentRef]: true })));
    assert.equal(identityParts(ok(app.SecItemCopyMatching({ [kSecValuePersistentRef]: pref, [kSecReturnRef]: true }))).cert, hex(ec.der));
  });

  it('§4.13: the extra attributes of an identity add (label, access group, protection) go to both halves', () => {
    const tk = new TempKeychain();
    cleanups.push(() => tk.cleanup());
    const app = tk.client('T.app', ['T.group1', 'T.group2']);
    ok(app.SecItemAdd({ [kSecValueRef]: ec.identity, [kSecAttrLabel]: 'both', [kSecAttrAccessGroup]: 'T.group2', [kSecAttrAccessible]: kSecAttrAccessibleWhenUnlocked }));
    for (const cls of [kSecClassCertificate, kSecClassKey]) {
      const d = dict(ok(app.SecItemCopyMatching({ [kSecClass]: cls, [kSecReturnAttributes]: true })), cls);
      assert.deepEqual([d[kSecAttrLabel], d[kSecAttrAccessGroup], d[kSecAttrAccessible]], ['both', 'T.group2', kSecAttrAccessibleWhenUnlocked], cls);
    }
  });

  it('removing the private key "removes" the identity while the certificate stays', () => {
    const { app } = fresh();
    ok(app.SecItemAdd({ [kSecValueRef]: ec.identity }));
    expectStatus(app.SecItemDelete({ [kSecValueRef]: ec.privateKey }), errSecSuccess);
    expectOutcome(app.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity }), errSecItemNotFound);
    assert.equal(count(app, kSecClassCertificate), 1);
  });

  it('"The system forms a digital identity by matching the kSecAttrApplicationLabel (klbl) attribute of the private key with the kSecAttrPublicKeyHash (pkhh) attribute of the certificate": a key added with another klbl forms none until its klbl is the certificate\'s pkhh', () => {
    const { app } = fresh();
    ok(app.SecItemAdd({ [kSecValueRef]: ec.certificate }));
    ok(app.SecItemAdd({ [kSecValueRef]: ec.privateKey, [kSecAttrApplicationLabel]: Buffer.from('not the public key hash') }));
    expectOutcome(app.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity }), errSecItemNotFound, 'klbl ≠ pkhh');
    const pkhh = bytes(dict(ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassCertificate, [kSecReturnAttributes]: true })))[kSecAttrPublicKeyHash]);
    expectStatus(app.SecItemUpdate({ [kSecClass]: kSecClassKey }, { [kSecAttrApplicationLabel]: pkhh }), errSecSuccess);
    assert.deepEqual(identityParts(ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity, [kSecReturnRef]: true }))), { cert: hex(ec.der), key: publicBytesOf(ec.privateKey) });
  });

  it('deleting the certificate "removes" the identity while the key stays', () => {
    const { app } = fresh();
    ok(app.SecItemAdd({ [kSecValueRef]: ec.identity }));
    expectStatus(app.SecItemDelete({ [kSecValueRef]: ec.certificate }), errSecSuccess);
    expectOutcome(app.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity }), errSecItemNotFound);
    assert.equal(count(app, kSecClassKey), 1);
  });
});

// ── seed 000 "Import, Then Add" ──────────────────────────────────────────────

describe('SecItemUpdate of kSecClassIdentity changes the identities it selects, and nothing else', () => {
  it('relabels the certificate and the key of the matching identity; a certificate without its key and another key keep their labels', () => {
    const { app } = fresh();
    ok(app.SecItemAdd({ [kSecValueRef]: ec.identity, [kSecAttrLabel]: 'before' }));
    ok(app.SecItemAdd({ [kSecValueRef]: rsa.certificate, [kSecAttrLabel]: 'lonely cert' }));
    expectStatus(app.SecItemUpdate({ [kSecClass]: kSecClassIdentity, [kSecAttrLabel]: 'before' }, { [kSecAttrLabel]: 'after' }), errSecSuccess);
    expectOutcome(app.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity, [kSecAttrLabel]: 'after' }), errSecSuccess);
    expectOutcome(app.SecItemCopyMatching({ [kSecClass]: kSecClassKey, [kSecAttrLabel]: 'after' }), errSecSuccess, 'the key half changed too');
    expectOutcome(app.SecItemCopyMatching({ [kSecClass]: kSecClassCertificate, [kSecAttrLabel]: 'lonely cert' }), errSecSuccess, 'a certificate of no identity is untouched');
    expectStatus(app.SecItemUpdate({ [kSecClass]: kSecClassIdentity, [kSecAttrLabel]: 'lonely cert' }, { [kSecAttrLabel]: 'x' }), errSecItemNotFound);
  });
});

describe('seed 000 "Import, Then Add"', () => {
  it('SecPKCS12Import stores nothing; adding the imported identity stores the certificate and key, labelled with the subject summary', () => {
    const { app } = fresh();
    const r = SecPKCS12Import(o.read('ecleaf.p12'), { [kSecImportExportPassphrase]: 'secret' });
    expectStatus(r.status, errSecSuccess);
    for (const cls of [kSecClassIdentity, kSecClassCertificate, kSecClassKey]) {
      expectOutcome(app.SecItemCopyMatching({ [kSecClass]: cls }), errSecItemNotFound, `after import: no ${cls}`);
    }
    const identity = r.items![0]![kSecImportItemIdentity];
    ok(app.SecItemAdd({ [kSecValueRef]: identity }));
    const d = dict(ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity, [kSecReturnAttributes]: true, [kSecReturnRef]: true })));
    assert.equal(d[kSecAttrLabel], 'ec identity', 'the certificate\'s inferred label');
    assert.deepEqual(identityParts(d[kSecValueRef]), { cert: hex(ec.der), key: publicBytesOf(ec.privateKey) });
    // The key came in with the right attributes (the point of "then add"): klbl = pkhh.
    const k = dict(ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassKey, [kSecReturnAttributes]: true })));
    assert.equal(hex(bytes(k[kSecAttrApplicationLabel])), hex(ec.publicKeyHash));
    assert.equal(k[kSecAttrKeyClass], 1);
  });

  it('"If you get an error, you know whether the problem was with the import step or the add step": data in a wrong format fails the import and nothing is added; a good import fails only at the add, with the add\'s OSStatus', () => {
    const { app } = fresh();
    assert.equal(SecCertificateCreateWithData(Buffer.from(o.read('ecleaf.pem'))), undefined, 'a PEM text is not the DER SecCertificateCreateWithData takes');
    // "it's vital to know whether you're interpreting the key data correctly": PKCS#8 and SEC1 are not Apple's EC format (04‖X‖Y‖K).
    for (const wrong of ec.secrets.filter((x) => x.name !== 'EC private scalar')) {
      const r = SecKeyCreateWithData(wrong.bytes, { [kSecAttrKeyType]: kSecAttrKeyTypeECSECPrimeRandom, [kSecAttrKeyClass]: kSecAttrKeyClassPrivate });
      assert.ok(r.value === undefined && r.error instanceof SecError, `${wrong.name}: the import fails`);
    }
    assert.equal(count(app, kSecClassCertificate) + count(app, kSecClassKey), 0, 'nothing reached the keychain');
    const cert = SecCertificateCreateWithData(ec.der);
    assert.ok(cert instanceof SecCertificate, 'the import step succeeds');
    ok(app.SecItemAdd({ [kSecValueRef]: cert }));
    expectOutcome(app.SecItemAdd({ [kSecValueRef]: cert }), errSecDuplicateItem, 'the add step fails');
  });

  it('"it ensures that the resulting keychain item has the correct attributes. This is especially important for keys": SecKeyCreateWithData, then SecItemAdd of the key, infers its class, type, size and klbl (= its certificate\'s pkhh: the identity forms)', () => {
    for (const m of [ec, rsa]) {
      const { app } = fresh();
      const imported = SecKeyCreateWithData(Buffer.from(externalOf(m.privateKey), 'hex'), {
        [kSecAttrKeyType]: m.kind === 'ec' ? kSecAttrKeyTypeECSECPrimeRandom : kSecAttrKeyTypeRSA,
        [kSecAttrKeyClass]: kSecAttrKeyClassPrivate,
      });
      assert.ok(imported.value instanceof SecKey, `${m.name}: ${imported.error?.message}`);
      const d = dict(ok(app.SecItemAdd({ [kSecValueRef]: imported.value, [kSecReturnAttributes]: true })));
      assert.deepEqual([d[kSecAttrKeyClass], d[kSecAttrKeyType], d[kSecAttrKeySizeInBits]], [1, m.kind === 'ec' ? 73 : 42, m.bits], m.name);
      assert.equal(hex(bytes(d[kSecAttrApplicationLabel])), hex(m.publicKeyHash), m.name);
      ok(app.SecItemAdd({ [kSecValueRef]: SecCertificateCreateWithData(m.der)! }));
      expectOutcome(app.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity }), errSecSuccess, `${m.name}: the identity forms`);
    }
  });

  it('the identity\'s attributes are the certificate\'s for labl, issr, slnr (§4.13)', () => {
    const { app } = fresh();
    ok(app.SecItemAdd({ [kSecValueRef]: ec.identity }));
    expectStatus(app.SecItemUpdate({ [kSecValueRef]: ec.privateKey }, { [kSecAttrLabel]: 'key label' }), errSecSuccess);
    const d = dict(ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassIdentity, [kSecReturnAttributes]: true })));
    assert.equal(d[kSecAttrLabel], 'ec identity');
    assert.equal(hex(bytes(d[kSecAttrIssuer])), hex(ec.issuerContents));
    assert.equal(hex(bytes(d[kSecAttrSerialNumber])), '1001');
  });

  it('a query naming a certificate attribute and a key\'s klbl selects an identity only when both hold (the join does not override the klbl asked)', () => {
    const { app } = fresh();
    ok(app.SecItemAdd({ [kSecValueRef]: ec.identity }));
    ok(app.SecItemAdd({ [kSecValueRef]: rsa.identity }));
    const both = { [kSecClass]: kSecClassIdentity, [kSecAttrLabel]: 'ec identity', [kSecReturnRef]: true };
    assert.deepEqual(identityParts(ok(app.SecItemCopyMatching({ ...both, [kSecAttrApplicationLabel]: ec.publicKeyHash }))), { cert: hex(ec.der), key: publicBytesOf(ec.privateKey) });
    expectOutcome(app.SecItemCopyMatching({ ...both, [kSecAttrApplicationLabel]: rsa.publicKeyHash }), errSecItemNotFound);
  });
});
