/**
 * The SecKey functions: Apple's formats and algorithms, checked against
 * OpenSSL (keys, signatures, ciphertexts and shared secrets made by the
 * `openssl` command during the run), the support table of every algorithm
 * constant × key kind, and the errors of bad input.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createDecipheriv, createHash, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { p256 } from '@noble/curves/nist.js';
import * as A from '../../src/objects/key-algorithms.js';
import {
  SecKeyCopyAttributes,
  SecKeyCopyExternalRepresentation,
  SecKeyCopyKeyExchangeResult,
  SecKeyCopyPublicKey,
  SecKeyCreateDecryptedData,
  SecKeyCreateEncryptedData,
  SecKeyCreateRandomKey,
  SecKeyCreateSignature,
  SecKeyCreateWithData,
  SecKeyGetBlockSize,
  SecKeyIsAlgorithmSupported,
  SecKeyVerifySignature,
  keyFromItemData,
  keyItemAttributes,
  keyItemData,
  parseKeyParameters,
} from '../../src/objects/key-functions.js';
import { SecKey } from '../../src/objects/key.js';
import { errSecDecode, errSecKeySizeNotAllowed, errSecParam, errSecUnimplemented, errSecVerifyFailed } from '../../src/status.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'secitem-keys-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

let fileNo = 0;
function file(content: Uint8Array | string): string {
  const p = join(dir, `f${fileNo++}`);
  writeFileSync(p, content);
  return p;
}
function openssl(...args: string[]): Buffer {
  return execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
}
function osslVerifies(...args: string[]): boolean {
  try {
    return openssl(...args).toString().includes('Verified OK');
  } catch {
    return false;
  }
}

function ok<T>(r: { value?: T; error?: Error }): T {
  if (r.error) throw r.error;
  assert.ok(r.value !== undefined);
  return r.value as T;
}
function newKey(type: '73' | '42', bits: number): SecKey {
  return ok(SecKeyCreateRandomKey({ type, bsiz: bits }));
}
function pubPem(key: SecKey): string {
  return file(key.publicKeyObject.export({ type: 'spki', format: 'pem' }) as string);
}
const bytes = (s: string) => new Uint8Array(Buffer.from(s));
const sha = (alg: string, data: Uint8Array) => new Uint8Array(createHash(alg).update(data).digest());

/** An OpenSSL-generated EC key: its PEM path and the hex fields `openssl ec -text` prints. */
function opensslEC(curve: string, size: number): { pem: string; pub: Buffer; priv: Buffer } {
  const pem = join(dir, `ec${fileNo++}.pem`);
  openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${curve}`, '-out', pem);
  const text = openssl('ec', '-in', pem, '-text', '-noout').toString();
  const field = (name: string) =>
    Buffer.from(new RegExp(`${name}:\\n((?:\\s+[0-9a-f:]+\\n)+)`).exec(text)![1]!.replace(/[\s:]/g, ''), 'hex');
  let priv = field('priv');
  while (priv.length > size) priv = priv.subarray(1); // openssl prints a 00 before a high bit
  priv = Buffer.concat([Buffer.alloc(size - priv.length), priv]);
  return { pem, pub: field('pub'), priv };
}

function opensslRSA(bits: number): { pem: string; pubDer: Buffer; privDer: Buffer } {
  const pem = join(dir, `rsa${fileNo++}.pem`);
  openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${bits}`, '-out', pem);
  return {
    pem,
    pubDer: openssl('rsa', '-in', pem, '-outform', 'DER', '-RSAPublicKey_out'),
    privDer: openssl('rsa', '-in', pem, '-outform', 'DER', '-traditional'),
  };
}

describe('key algorithm constants', () => {
  it('have Apple\'s string values (reference §6.2)', () => {
    assert.equal(A.kSecKeyAlgorithmRSASignatureDigestPSSSHA384, 'algid:sign:RSA:digest-PSS:SHA384:SHA384:48');
    assert.equal(A.kSecKeyAlgorithmRSASignatureMessagePKCS1v15MD5, 'algid:sign:RSA:message-PKCS1v15:MD5');
    assert.equal(A.kSecKeyAlgorithmECDSASignatureRFC4754, 'algid:sign:ECDSA:RFC4754');
    assert.equal(A.kSecKeyAlgorithmECDSASignatureDigestRFC4754SHA1, 'algid:sign:ECDSA:digest-RFC4754:SHA1');
    assert.equal(A.kSecKeyAlgorithmRSAEncryptionOAEPSHA224AESGCM, 'algid:encrypt:RSA:OAEP:SHA224:AESGCM');
    assert.equal(A.kSecKeyAlgorithmECIESEncryptionCofactorVariableIVX963SHA512AESGCM, 'algid:encrypt:ECIES:ECDHC:KDFX963:SHA512:AESGCM-KDFIV');
    assert.equal(A.kSecKeyAlgorithmECDHKeyExchangeCofactorX963SHA1, 'algid:keyexchange:ECDHC:KDFX963:SHA1');
    assert.equal(A.kSecKeyKeyExchangeParameterRequestedSize, 'requestedSize');
    assert.equal(A.kSecPrivateKeyAttrs, 'private');
    assert.equal(A.kSecKeyOperationTypeKeyExchange, 4);
    // 7 + 6 + 6 + 5 + 5 RSA signatures, 1 + 5 + 5 + 2 + 5 + 5 ECDSA, 2 + 5 + 5 + 10 + 8 encryption, 12 key exchange
    assert.equal(Object.keys(A.secKeyAlgorithms).length, 89);
    assert.equal(new Set(Object.values(A.secKeyAlgorithms)).size, 89);
  });

  it('the "Others" of reference §6.2 (EdDSA, KEM, ML-DSA) have Apple\'s values and are not supported by EC or RSA keys', () => {
    const others: Record<string, string> = {
      kSecKeyAlgorithmEdDSASignatureMessageCurve25519SHA512: 'algid:sign:EdDSA:message-Curve25519:SHA512',
      kSecKeyAlgorithmEdDSASignatureMessageCurve448SHAKE256: 'algid:sign:EdDSA:message-Curve448:SHAKE256',
      kSecKeyAlgorithmKEMKyber: 'algid:kem:kyber',
      kSecKeyAlgorithmKEMMLKEM: 'algid:kem:ML-KEM',
      kSecKeyAlgorithmMLDSASignatureMessage: 'algid:sign:ML-DSA:message',
    };
    const exported = A as unknown as Record<string, unknown>;
    for (const [name, value] of Object.entries(others)) {
      assert.equal(exported[name], value, name);
      assert.ok(!(name in A.secKeyAlgorithms), `${name} is no EC or RSA algorithm`);
    }
    const ec = newKey('73', 256);
    const rsa = newKey('42', 2048);
    for (const key of [ec, rsa, SecKeyCopyPublicKey(ec)!, SecKeyCopyPublicKey(rsa)!]) {
      for (const op of [0, 1, 2, 3, 4]) for (const alg of Object.values(others)) assert.equal(SecKeyIsAlgorithmSupported(key, op, alg), false);
    }
    assert.equal(SecKeyCreateSignature(ec, A.kSecKeyAlgorithmEdDSASignatureMessageCurve25519SHA512, new Uint8Array(3)).error?.status, errSecParam);
  });
});

describe('SecKeyCreateRandomKey', () => {
  it('makes EC P-256/384/521 and RSA 2048–4096 keys with the block size of their type', () => {
    assert.equal(SecKeyGetBlockSize(newKey('73', 256)), 32);
    assert.equal(SecKeyGetBlockSize(newKey('73', 384)), 48);
    assert.equal(SecKeyGetBlockSize(newKey('73', 521)), 66);
    assert.equal(SecKeyGetBlockSize(newKey('42', 2048)), 256);
    assert.equal(SecKeyGetBlockSize(ok(SecKeyCreateRandomKey({ type: '42', bsiz: '3072' }))), 384);
  });

  it('rejects a missing or unknown key type with errSecParam', () => {
    for (const type of [undefined, 'ec', 73, '17']) {
      const r = SecKeyCreateRandomKey({ type, bsiz: 256 });
      assert.equal(r.error?.status, errSecParam, String(type));
      assert.match(r.error!.message, /kSecAttrKeyType/);
    }
  });

  it('rejects sizes outside EC 256/384/521 and RSA 2048–4096 with errSecKeySizeNotAllowed', () => {
    for (const [type, bsiz] of [['73', 192], ['73', 255], ['73', undefined], ['42', 1024], ['42', 8192], ['42', 'big']] as const) {
      const r = SecKeyCreateRandomKey({ type, bsiz });
      assert.equal(r.error?.status, errSecKeySizeNotAllowed, `${type}/${bsiz}`);
      assert.match(r.error!.message, /kSecAttrKeySizeInBits/);
    }
  });

  it('sends permanent and token keys to a keychain client', () => {
    for (const params of [
      { type: '73', bsiz: 256, perm: true },
      { type: '73', bsiz: 256, private: { perm: true } },
      { type: '73', bsiz: 256, public: { perm: true } },
      { type: '73', bsiz: 256, tkid: 'com.apple.setoken' },
    ]) {
      const r = SecKeyCreateRandomKey(params);
      assert.equal(r.error?.status, errSecParam);
      assert.match(r.error!.message, /app\.SecKeyCreateRandomKey\(parameters\)/);
    }
  });

  it('parseKeyParameters merges each half\'s sub-dictionary over the top level, as merge_params does', () => {
    const p = ok(parseKeyParameters({ type: '73', bsiz: 384, labl: 'top', atag: 't', private: { labl: 'priv', perm: true }, public: { atag: 'p' } }));
    assert.equal(p.type, 'ec');
    assert.equal(p.bits, 384);
    assert.deepEqual(p.privateAttributes, { labl: 'priv', perm: true, atag: 't' });
    assert.deepEqual(p.publicAttributes, { atag: 'p', labl: 'top' });
    assert.equal(p.privatePermanent, true);
    assert.equal(p.publicPermanent, false);
    assert.equal(ok(parseKeyParameters({ type: '73', bsiz: 256, tkid: 'com.apple.setoken' })).privatePermanent, true);
  });
});

describe('external representations (reference §6.1)', () => {
  for (const [curve, size] of [['P-256', 32], ['P-384', 48], ['P-521', 66]] as const) {
    it(`EC ${curve}: public is 04‖X‖Y and private 04‖X‖Y‖K, as openssl ec -text prints them`, () => {
      const o = opensslEC(curve, size);
      const priv = ok(SecKeyCreateWithData(new Uint8Array(Buffer.concat([o.pub, o.priv])), { type: '73', kcls: '1' }));
      assert.deepEqual(Buffer.from(ok(SecKeyCopyExternalRepresentation(priv))), Buffer.concat([o.pub, o.priv]));
      const pub = SecKeyCopyPublicKey(priv)!;
      assert.deepEqual(Buffer.from(ok(SecKeyCopyExternalRepresentation(pub))), o.pub);
      // the same key as OpenSSL's
      const theirs = createPublicKey(readFileSync(o.pem)).export({ format: 'jwk' });
      assert.deepEqual(pub.publicKeyObject.export({ format: 'jwk' }), theirs);
      // import of the public bytes, class and type given as numbers
      const pub2 = ok(SecKeyCreateWithData(new Uint8Array(o.pub), { type: 73, kcls: 0 }));
      assert.deepEqual(Buffer.from(ok(SecKeyCopyExternalRepresentation(pub2))), o.pub);
    });
  }

  it('RSA: public is PKCS#1 RSAPublicKey DER and private PKCS#1 RSAPrivateKey DER, as openssl rsa gives them', () => {
    const o = opensslRSA(2048);
    const priv = ok(SecKeyCreateWithData(new Uint8Array(o.privDer), { type: '42', kcls: '1' }));
    assert.deepEqual(Buffer.from(ok(SecKeyCopyExternalRepresentation(priv))), o.privDer);
    assert.deepEqual(Buffer.from(ok(SecKeyCopyExternalRepresentation(SecKeyCopyPublicKey(priv)!))), o.pubDer);
  });

  it('RSA public import also accepts X.509 SubjectPublicKeyInfo and exports PKCS#1', () => {
    const o = opensslRSA(2048);
    const spki = openssl('pkey', '-in', o.pem, '-pubout', '-outform', 'DER');
    const pub = ok(SecKeyCreateWithData(new Uint8Array(spki), { type: '42', kcls: '0' }));
    assert.deepEqual(Buffer.from(ok(SecKeyCopyExternalRepresentation(pub))), o.pubDer);
  });

  it('SecKeyCreateWithData requires kSecAttrKeyType and kSecAttrKeyClass', () => {
    const data = ok(SecKeyCopyExternalRepresentation(SecKeyCopyPublicKey(newKey('73', 256))!));
    assert.match(SecKeyCreateWithData(data, { kcls: '0' }).error!.message, /Unsupported key type/);
    assert.match(SecKeyCreateWithData(data, { type: '73' }).error!.message, /Unsupported key class/);
    assert.equal(SecKeyCreateWithData(data, { type: '73', kcls: '2' }).error!.status, errSecUnimplemented);
    assert.equal(SecKeyCreateWithData(data, { type: '17', kcls: '0' }).error!.status, errSecParam);
    assert.equal(SecKeyCreateWithData('04ab' as never, { type: '73', kcls: '0' }).error!.status, errSecParam);
  });

  it('SecKeyCreateWithData rejects EC data of a wrong length, off the curve, or with a scalar of another point', () => {
    const priv = ok(SecKeyCopyExternalRepresentation(newKey('73', 256)));
    const pub = priv.subarray(0, 65);
    const expectParam = (data: Uint8Array, kcls: string, pattern: RegExp) => {
      const r = SecKeyCreateWithData(data, { type: '73', kcls });
      assert.equal(r.error?.status, errSecParam);
      assert.match(r.error!.message, pattern);
    };
    expectParam(pub.subarray(0, 64), '0', /EC public key creation from data failed: 64 bytes/);
    const offCurve = Uint8Array.from(pub);
    offCurve[64]! ^= 1;
    expectParam(offCurve, '0', /not on P-256/);
    const compressed = Uint8Array.from(pub);
    compressed[0] = 2;
    expectParam(compressed, '0', /uncompressed/);
    const otherScalar = Uint8Array.from(priv);
    otherScalar[96]! ^= 1;
    expectParam(otherScalar, '1', /does not belong to the private scalar/);
    const zero = Uint8Array.from(priv);
    zero.fill(0, 65);
    expectParam(zero, '1', /out of range/);
  });

  it('SecKeyCreateWithData rejects RSA data that is no PKCS#1 key', () => {
    const r = SecKeyCreateWithData(bytes('not a key'), { type: '42', kcls: '0' });
    assert.equal(r.error?.status, errSecParam);
    assert.match(r.error!.message, /RSA public key creation from data failed/);
    assert.match(SecKeyCreateWithData(bytes('not a key'), { type: '42', kcls: '1' }).error!.message, /RSA private key creation/);
  });
});

describe('signatures against OpenSSL', () => {
  const message = bytes('the quick brown fox');

  for (const [curve, bits, hash, alg] of [
    ['P-256', 256, 'sha256', A.kSecKeyAlgorithmECDSASignatureMessageX962SHA256],
    ['P-384', 384, 'sha384', A.kSecKeyAlgorithmECDSASignatureMessageX962SHA384],
    ['P-521', 521, 'sha512', A.kSecKeyAlgorithmECDSASignatureMessageX962SHA512],
  ] as const) {
    it(`ECDSA X9.62 on ${curve}: our signatures verify with openssl dgst, and openssl's verify here`, () => {
      const key = newKey('73', bits);
      const sig = ok(SecKeyCreateSignature(key, alg, message));
      assert.ok(osslVerifies('dgst', `-${hash}`, '-verify', pubPem(key), '-signature', file(sig), file(message)));
      // digest form over the same digest is the same kind of signature
      const dsig = ok(SecKeyCreateSignature(key, A.kSecKeyAlgorithmECDSASignatureDigestX962, sha(hash, message)));
      assert.ok(osslVerifies('dgst', `-${hash}`, '-verify', pubPem(key), '-signature', file(dsig), file(message)));

      const o = opensslEC(curve, Math.ceil(bits / 8));
      const theirs = openssl('dgst', `-${hash}`, '-sign', o.pem, file(message));
      const pub = ok(SecKeyCreateWithData(new Uint8Array(o.pub), { type: '73', kcls: '0' }));
      assert.deepEqual(SecKeyVerifySignature(pub, alg, message, new Uint8Array(theirs)), { value: true });
    });
  }

  it('ECDSA RFC4754 is r‖s padded to the block size: OpenSSL\'s DER signature converted verifies', () => {
    const o = opensslEC('P-256', 32);
    const der = openssl('dgst', '-sha256', '-sign', o.pem, file(message));
    const compact = p256.Signature.fromBytes(der, 'der').toBytes('compact');
    const pub = ok(SecKeyCreateWithData(new Uint8Array(o.pub), { type: '73', kcls: '0' }));
    assert.equal(SecKeyVerifySignature(pub, A.kSecKeyAlgorithmECDSASignatureMessageRFC4754SHA256, message, compact).value, true);
    const priv = ok(SecKeyCreateWithData(new Uint8Array(Buffer.concat([o.pub, o.priv])), { type: '73', kcls: '1' }));
    for (const bitsKey of [priv, newKey('73', 521)]) {
      const sig = ok(SecKeyCreateSignature(bitsKey, A.kSecKeyAlgorithmECDSASignatureDigestRFC4754, new Uint8Array(32)));
      assert.equal(sig.length, 2 * SecKeyGetBlockSize(bitsKey));
    }
  });

  it('RSA PKCS#1 v1.5 and PSS (salt = digest length) verify with openssl dgst, and openssl\'s verify here', () => {
    const o = opensslRSA(2048);
    const priv = ok(SecKeyCreateWithData(new Uint8Array(o.privDer), { type: '42', kcls: '1' }));
    const pub = SecKeyCopyPublicKey(priv)!;
    const pem = pubPem(pub);
    const pss = ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32'];
    const s1 = ok(SecKeyCreateSignature(priv, A.kSecKeyAlgorithmRSASignatureMessagePKCS1v15SHA256, message));
    assert.ok(osslVerifies('dgst', '-sha256', '-verify', pem, '-signature', file(s1), file(message)));
    const s2 = ok(SecKeyCreateSignature(priv, A.kSecKeyAlgorithmRSASignatureDigestPSSSHA256, sha('sha256', message)));
    assert.ok(osslVerifies('dgst', '-sha256', ...pss, '-verify', pem, '-signature', file(s2), file(message)));

    const t1 = openssl('dgst', '-sha256', '-sign', o.pem, file(message));
    assert.equal(SecKeyVerifySignature(pub, A.kSecKeyAlgorithmRSASignatureMessagePKCS1v15SHA256, message, new Uint8Array(t1)).value, true);
    // PKCS#1 v1.5 signatures are deterministic: ours equal OpenSSL's
    assert.deepEqual(Buffer.from(s1), t1);
    const t2 = openssl('dgst', '-sha256', ...pss, '-sign', o.pem, file(message));
    assert.equal(SecKeyVerifySignature(pub, A.kSecKeyAlgorithmRSASignatureMessagePSSSHA256, message, new Uint8Array(t2)).value, true);
  });

  it('a signature that does not match gives false and errSecVerifyFailed', () => {
    for (const [key, alg] of [
      [newKey('73', 256), A.kSecKeyAlgorithmECDSASignatureMessageX962SHA256],
      [newKey('73', 256), A.kSecKeyAlgorithmECDSASignatureMessageRFC4754SHA256],
      [newKey('42', 2048), A.kSecKeyAlgorithmRSASignatureMessagePSSSHA256],
      [newKey('42', 2048), A.kSecKeyAlgorithmRSASignatureMessagePKCS1v15SHA1],
      [newKey('42', 2048), A.kSecKeyAlgorithmRSASignatureRaw],
    ] as const) {
      const data = alg === A.kSecKeyAlgorithmRSASignatureRaw ? new Uint8Array([1, 2, 3]) : message;
      const sig = ok(SecKeyCreateSignature(key, alg, data));
      const bad = Uint8Array.from(sig);
      bad[bad.length - 5]! ^= 0x10;
      const r = SecKeyVerifySignature(SecKeyCopyPublicKey(key)!, alg, data, bad);
      assert.equal(r.value, false, alg);
      assert.equal(r.error?.status, errSecVerifyFailed, alg);
      assert.equal(SecKeyVerifySignature(SecKeyCopyPublicKey(key)!, alg, bytes('other'), sig).error?.status, errSecVerifyFailed);
    }
    const short = SecKeyVerifySignature(SecKeyCopyPublicKey(newKey('73', 256))!, A.kSecKeyAlgorithmECDSASignatureDigestRFC4754, new Uint8Array(32), new Uint8Array(63));
    assert.equal(short.error?.status, errSecVerifyFailed);
  });

  it('digest algorithms require an input of the digest\'s size; DigestX962 takes any length', () => {
    const ec = newKey('73', 256);
    const r = SecKeyCreateSignature(ec, A.kSecKeyAlgorithmECDSASignatureDigestX962SHA256, new Uint8Array(31));
    assert.equal(r.error?.status, errSecParam);
    assert.match(r.error!.message, /bad digest size/);
    const rsa = newKey('42', 2048);
    assert.equal(SecKeyCreateSignature(rsa, A.kSecKeyAlgorithmRSASignatureDigestPSSSHA512, new Uint8Array(32)).error?.status, errSecParam);
    assert.equal(SecKeyCreateSignature(rsa, A.kSecKeyAlgorithmRSASignatureDigestPKCS1v15SHA1, new Uint8Array(32)).error?.status, errSecParam);
    // a SHA-512 digest with P-256 is truncated, as X9.62 does: OpenSSL agrees
    const d = sha('sha512', message);
    const sig = ok(SecKeyCreateSignature(ec, A.kSecKeyAlgorithmECDSASignatureDigestX962, d));
    assert.ok(osslVerifies('dgst', '-sha512', '-verify', pubPem(ec), '-signature', file(sig), file(message)));
    assert.ok(ok(SecKeyCreateSignature(ec, A.kSecKeyAlgorithmECDSASignatureDigestX962, new Uint8Array(20).fill(9))));
  });
});

describe('encryption against OpenSSL', () => {
  it('RSA OAEP (SHA-1, SHA-256) and PKCS#1 ciphertexts made here decrypt with openssl pkeyutl, and the other way', () => {
    const o = opensslRSA(2048);
    const priv = ok(SecKeyCreateWithData(new Uint8Array(o.privDer), { type: '42', kcls: '1' }));
    const pub = SecKeyCopyPublicKey(priv)!;
    const pem = pubPem(pub);
    const secret = bytes('attack at dawn');
    for (const [alg, opts] of [
      [A.kSecKeyAlgorithmRSAEncryptionOAEPSHA256, ['-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', 'rsa_oaep_md:sha256', '-pkeyopt', 'rsa_mgf1_md:sha256']],
      [A.kSecKeyAlgorithmRSAEncryptionOAEPSHA1, ['-pkeyopt', 'rsa_padding_mode:oaep']],
      [A.kSecKeyAlgorithmRSAEncryptionPKCS1, ['-pkeyopt', 'rsa_padding_mode:pkcs1']],
    ] as const) {
      const ct = ok(SecKeyCreateEncryptedData(pub, alg, secret));
      assert.equal(ct.length, 256);
      assert.deepEqual(openssl('pkeyutl', '-decrypt', '-inkey', o.pem, ...opts, '-in', file(ct)), Buffer.from(secret), alg);
      const theirs = openssl('pkeyutl', '-encrypt', '-pubin', '-inkey', pem, ...opts, '-in', file(secret));
      assert.deepEqual(Buffer.from(ok(SecKeyCreateDecryptedData(priv, alg, new Uint8Array(theirs)))), Buffer.from(secret), alg);
    }
  });

  it('RSAEncryptionPKCS1 takes at most block size − 11 bytes', () => {
    const pub = SecKeyCopyPublicKey(newKey('42', 2048))!;
    assert.ok(ok(SecKeyCreateEncryptedData(pub, A.kSecKeyAlgorithmRSAEncryptionPKCS1, new Uint8Array(245))));
    const r = SecKeyCreateEncryptedData(pub, A.kSecKeyAlgorithmRSAEncryptionPKCS1, new Uint8Array(246));
    assert.equal(r.error?.status, errSecParam);
    assert.match(r.error!.message, /at most 245/);
  });

  it('RSA OAEP+AES-GCM is the OAEP-wrapped AES-128 key ‖ ciphertext ‖ tag, with the public key as AAD and a zero IV', () => {
    const o = opensslRSA(2048);
    const priv = ok(SecKeyCreateWithData(new Uint8Array(o.privDer), { type: '42', kcls: '1' }));
    const pub = SecKeyCopyPublicKey(priv)!;
    const secret = bytes('a longer message for the session key');
    const ct = ok(SecKeyCreateEncryptedData(pub, A.kSecKeyAlgorithmRSAEncryptionOAEPSHA256AESGCM, secret));
    assert.equal(ct.length, 256 + secret.length + 16);
    const session = openssl('pkeyutl', '-decrypt', '-inkey', o.pem, '-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', 'rsa_oaep_md:sha256', '-pkeyopt', 'rsa_mgf1_md:sha256', '-in', file(ct.subarray(0, 256)));
    assert.equal(session.length, 16);
    const d = createDecipheriv('aes-128-gcm', session, Buffer.alloc(16));
    d.setAAD(o.pubDer);
    d.setAuthTag(ct.subarray(ct.length - 16));
    assert.deepEqual(Buffer.concat([d.update(ct.subarray(256, ct.length - 16)), d.final()]), Buffer.from(secret));
    assert.deepEqual(Buffer.from(ok(SecKeyCreateDecryptedData(priv, A.kSecKeyAlgorithmRSAEncryptionOAEPSHA256AESGCM, ct))), Buffer.from(secret));
  });

  /** The X9.63 KDF, written out independently of the implementation. */
  function x963(hash: string, z: Uint8Array, info: Uint8Array, length: number): Buffer {
    const out: Buffer[] = [];
    for (let i = 1; Buffer.concat(out).length < length; i++) {
      const c = Buffer.alloc(4);
      c.writeUInt32BE(i);
      out.push(createHash(hash).update(z).update(c).update(info).digest());
    }
    return Buffer.concat(out).subarray(0, length);
  }

  for (const [bits, variableIV, alg, aesBytes] of [
    [256, false, A.kSecKeyAlgorithmECIESEncryptionStandardX963SHA256AESGCM, 16],
    [384, false, A.kSecKeyAlgorithmECIESEncryptionCofactorX963SHA384AESGCM, 32],
    [521, true, A.kSecKeyAlgorithmECIESEncryptionStandardVariableIVX963SHA512AESGCM, 32],
    [256, true, A.kSecKeyAlgorithmECIESEncryptionCofactorVariableIVX963SHA224AESGCM, 16],
  ] as const) {
    it(`ECIES P-${bits} ${variableIV ? 'VariableIV' : 'zero IV'}: ephemeral 04‖X‖Y ‖ AES-${aesBytes * 8}-GCM ciphertext ‖ tag, KDF shared info = ephemeral key`, () => {
      const key = newKey('73', bits);
      const size = SecKeyGetBlockSize(key);
      const secret = bytes('ECIES plaintext');
      const ct = ok(SecKeyCreateEncryptedData(SecKeyCopyPublicKey(key)!, alg, secret));
      assert.equal(ct.length, 2 * size + 1 + secret.length + 16);
      const eph = ct.subarray(0, 2 * size + 1);
      const ephKey = ok(SecKeyCreateWithData(eph, { type: '73', kcls: '0' })).publicKeyObject;
      const z = key.privateAccess!.use((k: KeyObject) => diffieHellman({ privateKey: k, publicKey: ephKey }));
      const hash = `sha${/KDFX963:SHA(\d+)/.exec(alg)![1]}`;
      const okm = x963(hash, z, eph, aesBytes + (variableIV ? 16 : 0));
      const d = createDecipheriv(aesBytes === 16 ? 'aes-128-gcm' : 'aes-256-gcm', okm.subarray(0, aesBytes), variableIV ? okm.subarray(aesBytes) : Buffer.alloc(16));
      d.setAuthTag(ct.subarray(ct.length - 16));
      assert.deepEqual(Buffer.concat([d.update(ct.subarray(eph.length, ct.length - 16)), d.final()]), Buffer.from(secret));
      assert.deepEqual(Buffer.from(ok(SecKeyCreateDecryptedData(key, alg, ct))), Buffer.from(secret));
    });
  }

  it('ECIES decryption of a damaged packet fails with errSecParam', () => {
    const key = newKey('73', 256);
    const alg = A.kSecKeyAlgorithmECIESEncryptionStandardX963SHA256AESGCM;
    const ct = ok(SecKeyCreateEncryptedData(SecKeyCopyPublicKey(key)!, alg, bytes('x')));
    const tampered = Uint8Array.from(ct);
    tampered[ct.length - 1]! ^= 1;
    assert.match(SecKeyCreateDecryptedData(key, alg, tampered).error!.message, /aes-gcm decrypt/);
    assert.match(SecKeyCreateDecryptedData(key, alg, ct.subarray(0, 60)).error!.message, /too small input packet/);
    assert.match(SecKeyCreateDecryptedData(key, alg, ct.subarray(0, 70)).error!.message, /Input data too short/);
    const offCurve = Uint8Array.from(ct);
    offCurve[64]! ^= 1;
    assert.equal(SecKeyCreateDecryptedData(key, alg, offCurve).error?.status, errSecParam);
  });
});

describe('key exchange against OpenSSL', () => {
  it('ECDH standard and cofactor equal openssl pkeyutl -derive; the X9.63 variants equal openssl kdf X963KDF', () => {
    for (const [curve, size] of [['P-256', 32], ['P-384', 48], ['P-521', 66]] as const) {
      const a = opensslEC(curve, size);
      const b = opensslEC(curve, size);
      const aKey = ok(SecKeyCreateWithData(new Uint8Array(Buffer.concat([a.pub, a.priv])), { type: '73', kcls: '1' }));
      const bPub = ok(SecKeyCreateWithData(new Uint8Array(b.pub), { type: '73', kcls: '0' }));
      const expected = openssl('pkeyutl', '-derive', '-inkey', a.pem, '-peerkey', pubPem(bPub));
      for (const alg of [A.kSecKeyAlgorithmECDHKeyExchangeStandard, A.kSecKeyAlgorithmECDHKeyExchangeCofactor]) {
        assert.deepEqual(Buffer.from(ok(SecKeyCopyKeyExchangeResult(aKey, alg, bPub, {}))), expected);
      }
      const info = bytes('shared info');
      const kdf = openssl('kdf', '-binary', '-keylen', '42', '-kdfopt', 'digest:SHA384', '-kdfopt', `hexsecret:${expected.toString('hex')}`, '-kdfopt', `hexinfo:${Buffer.from(info).toString('hex')}`, 'X963KDF');
      for (const alg of [A.kSecKeyAlgorithmECDHKeyExchangeStandardX963SHA384, A.kSecKeyAlgorithmECDHKeyExchangeCofactorX963SHA384]) {
        assert.deepEqual(Buffer.from(ok(SecKeyCopyKeyExchangeResult(aKey, alg, bPub, { requestedSize: 42, sharedInfo: info }))), kdf);
      }
    }
  });

  it('X9.63 variants require requestedSize and data sharedInfo; the peer must be a public key on the same curve', () => {
    const a = newKey('73', 256);
    const b = SecKeyCopyPublicKey(newKey('73', 256))!;
    const alg = A.kSecKeyAlgorithmECDHKeyExchangeStandardX963SHA256;
    assert.match(SecKeyCopyKeyExchangeResult(a, alg, b, {}).error!.message, /RequestedSize is missing/);
    assert.match(SecKeyCopyKeyExchangeResult(a, alg, b, { requestedSize: 16, sharedInfo: 'text' }).error!.message, /sharedInfo type/);
    assert.equal(SecKeyCopyKeyExchangeResult(a, alg, b, { requestedSize: 16 }).value?.length, 16);
    assert.match(SecKeyCopyKeyExchangeResult(a, alg, SecKeyCopyPublicKey(newKey('73', 384))!, { requestedSize: 16 }).error!.message, /bad public key/);
    assert.match(SecKeyCopyKeyExchangeResult(a, alg, newKey('73', 256), { requestedSize: 16 }).error!.message, /bad public key/);
  });
});

describe('attributes (reference §5.2)', () => {
  it('klbl is SHA-1 of the public bytes: EC 04‖X‖Y, RSA PKCS#1 RSAPublicKey', () => {
    const e = opensslEC('P-256', 32);
    const ec = ok(SecKeyCreateWithData(new Uint8Array(Buffer.concat([e.pub, e.priv])), { type: '73', kcls: '1' }));
    assert.deepEqual(Buffer.from(SecKeyCopyAttributes(ec)!.klbl as Uint8Array), createHash('sha1').update(e.pub).digest());
    const r = opensslRSA(2048);
    const rsa = ok(SecKeyCreateWithData(new Uint8Array(r.privDer), { type: '42', kcls: '1' }));
    assert.deepEqual(Buffer.from(SecKeyCopyAttributes(rsa)!.klbl as Uint8Array), createHash('sha1').update(r.pubDer).digest());
    assert.deepEqual(SecKeyCopyAttributes(SecKeyCopyPublicKey(rsa)!)!.klbl, SecKeyCopyAttributes(rsa)!.klbl);
  });

  it('SecKeyCopyAttributes gives Apple\'s dictionary with the EC/RSA overrides', () => {
    const common = { class: 'keys', perm: true, priv: true, modi: true, sens: false, asen: false, extr: true, next: false, snrc: false, vyrc: false };
    const pick = (d: Record<string, unknown>) => Object.fromEntries(Object.entries(d).filter(([k]) => k !== 'klbl' && k !== 'v_Data'));
    const ec = newKey('73', 521);
    assert.deepEqual(pick(SecKeyCopyAttributes(ec)!), { ...common, kcls: '1', type: '73', bsiz: 521, esiz: 521, encr: false, decr: true, drve: true, sign: true, vrfy: false, wrap: false, unwp: true });
    assert.deepEqual(pick(SecKeyCopyAttributes(SecKeyCopyPublicKey(ec)!)!), { ...common, kcls: '0', type: '73', bsiz: 521, esiz: 521, encr: true, decr: false, drve: false, sign: false, vrfy: true, wrap: true, unwp: false });
    const rsa = newKey('42', 2048);
    assert.deepEqual(pick(SecKeyCopyAttributes(rsa)!), { ...common, kcls: '1', type: '42', bsiz: 2048, esiz: 2048, encr: false, decr: true, drve: false, sign: true, vrfy: false, wrap: false, unwp: true });
    assert.deepEqual(pick(SecKeyCopyAttributes(SecKeyCopyPublicKey(rsa)!)!), { ...common, kcls: '0', type: '42', bsiz: 2048, esiz: 2048, encr: true, decr: true, drve: false, sign: false, vrfy: true, wrap: true, unwp: false });
    assert.deepEqual(SecKeyCopyAttributes(rsa)!.v_Data, ok(SecKeyCopyExternalRepresentation(rsa)));
  });

  it('keyItemAttributes and keyFromItemData round-trip a key through a keys item', () => {
    for (const key of [newKey('73', 384), newKey('42', 2048)]) {
      for (const k of [key, SecKeyCopyPublicKey(key)!]) {
        const attrs = keyItemAttributes(k);
        assert.equal(attrs.get('class'), 'keys');
        const back = keyFromItemData({ keyClass: attrs.get('kcls'), keyType: attrs.get('type'), data: attrs.get('v_Data') as Uint8Array });
        assert.deepEqual(ok(SecKeyCopyExternalRepresentation(back)), ok(SecKeyCopyExternalRepresentation(k)));
        assert.deepEqual(keyItemAttributes(back).get('klbl'), attrs.get('klbl'));
      }
    }
    assert.throws(() => keyFromItemData({ keyClass: 1, keyType: 73, data: new Uint8Array(5) }), (e: { status?: number }) => e.status === errSecDecode);
  });
});

describe('keys whose private half stays in a token', () => {
  /** An enclave-like key: usable through privateAccess.use, never exported. */
  function tokenKey(): { key: SecKey; uses: () => number } {
    const soft = newKey('73', 256);
    let n = 0;
    const key = SecKey.fromPrivateAccess(soft.publicKeyObject, {
      use: (fn) => {
        n++;
        return soft.privateAccess!.use(fn);
      },
      extractable: false,
      tokenID: 'com.apple.setoken',
    });
    return { key, uses: () => n };
  }

  it('export fails with errSecUnimplemented, as Apple\'s CTK keys do; the public half still exports', () => {
    const { key } = tokenKey();
    const r = SecKeyCopyExternalRepresentation(key);
    assert.equal(r.error?.status, errSecUnimplemented);
    assert.match(r.error!.message, /export not implemented for key <SecKeyRef .*CTKKey/);
    assert.equal(ok(SecKeyCopyExternalRepresentation(SecKeyCopyPublicKey(key)!)).length, 65);
    assert.equal(keyItemData(key), undefined);
    const attrs = SecKeyCopyAttributes(key)!;
    assert.equal(attrs.tkid, 'com.apple.setoken');
    assert.equal(attrs.v_Data, undefined);
    assert.equal(attrs.extr, false);
    assert.equal(keyItemAttributes(key).has('v_Data'), false);
  });

  it('every private operation goes through privateAccess.use', () => {
    const { key, uses } = tokenKey();
    const pub = SecKeyCopyPublicKey(key)!;
    const sig = ok(SecKeyCreateSignature(key, A.kSecKeyAlgorithmECDSASignatureMessageX962SHA256, bytes('m')));
    assert.equal(uses(), 1);
    assert.equal(SecKeyVerifySignature(pub, A.kSecKeyAlgorithmECDSASignatureMessageX962SHA256, bytes('m'), sig).value, true);
    const alg = A.kSecKeyAlgorithmECIESEncryptionStandardX963SHA256AESGCM;
    ok(SecKeyCreateDecryptedData(key, alg, ok(SecKeyCreateEncryptedData(pub, alg, bytes('m')))));
    assert.equal(uses(), 2);
    ok(SecKeyCopyKeyExchangeResult(key, A.kSecKeyAlgorithmECDHKeyExchangeStandard, SecKeyCopyPublicKey(newKey('73', 256))!, {}));
    assert.equal(uses(), 3);
  });
});

describe('every algorithm × key kind', () => {
  const kinds = [
    { name: 'EC P-256', key: () => newKey('73', 256) },
    { name: 'EC P-384', key: () => newKey('73', 384) },
    { name: 'EC P-521', key: () => newKey('73', 521) },
    { name: 'RSA 2048', key: () => newKey('42', 2048) },
  ];
  const ops = [A.kSecKeyOperationTypeSign, A.kSecKeyOperationTypeVerify, A.kSecKeyOperationTypeEncrypt, A.kSecKeyOperationTypeDecrypt, A.kSecKeyOperationTypeKeyExchange];

  /**
   * Apple's support rules, from the constant's name (module comment of
   * key-operations.ts): ECDSA signs with EC private and verifies with EC
   * public; ECIES encrypts with EC public and decrypts with EC private;
   * ECDH with EC private; RSA signatures sign with RSA private and verify
   * with either half; RSA encryption encrypts with RSA public and decrypts
   * with RSA private, or with RSA public when there is no AES-GCM layer.
   */
  function expected(name: string, rsa: boolean, isPrivate: boolean, op: number): boolean {
    if (name.startsWith('kSecKeyAlgorithmECDSA')) return !rsa && (isPrivate ? op === 0 : op === 1);
    if (name.startsWith('kSecKeyAlgorithmECIES')) return !rsa && (isPrivate ? op === 3 : op === 2);
    if (name.startsWith('kSecKeyAlgorithmECDH')) return !rsa && isPrivate && op === 4;
    if (name.startsWith('kSecKeyAlgorithmRSASignature')) return rsa && (op === 1 || (op === 0 && isPrivate));
    if (name.startsWith('kSecKeyAlgorithmRSAEncryption')) return rsa && (isPrivate ? op === 3 : op === 2 || (op === 3 && !name.endsWith('AESGCM')));
    throw new Error(name);
  }

  function input(name: string, op: number, k: number): Uint8Array {
    const m = /(Digest)\w*?(SHA1|SHA224|SHA256|SHA384|SHA512|MD5)$/.exec(name);
    if (m) return new Uint8Array({ SHA1: 20, SHA224: 28, SHA256: 32, SHA384: 48, SHA512: 64, MD5: 16 }[m[2]!]!).fill(7);
    if (name.endsWith('EncryptionRaw') || name.endsWith('SignatureRaw')) return new Uint8Array(k - 1).fill(op + 1);
    return bytes(`input of ${name}`);
  }

  for (const kind of kinds) {
    it(`${kind.name}: SecKeyIsAlgorithmSupported follows Apple's rules and every supported algorithm round-trips`, () => {
      const priv = kind.key();
      const pub = SecKeyCopyPublicKey(priv)!;
      const peer = kind.key();
      const rsa = kind.name.startsWith('RSA');
      const k = SecKeyGetBlockSize(priv);
      let roundTrips = 0;
      for (const [name, alg] of Object.entries(A.secKeyAlgorithms)) {
        for (const [isPrivate, key] of [[true, priv], [false, pub]] as const) {
          for (const op of ops) {
            const want = expected(name, rsa, isPrivate, op);
            assert.equal(SecKeyIsAlgorithmSupported(key, op, alg), want, `${name} ${isPrivate ? 'private' : 'public'} op ${op}`);
            if (!want) {
              const data = input(name, op, k);
              const r =
                op === 0 ? SecKeyCreateSignature(key, alg, data)
                : op === 1 ? SecKeyVerifySignature(key, alg, data, new Uint8Array(k))
                : op === 2 ? SecKeyCreateEncryptedData(key, alg, data)
                : op === 3 ? SecKeyCreateDecryptedData(key, alg, data)
                : SecKeyCopyKeyExchangeResult(key, alg, SecKeyCopyPublicKey(peer)!, { requestedSize: 16 });
              assert.equal(r.error?.status, errSecParam, `${name} ${isPrivate ? 'private' : 'public'} op ${op}`);
              assert.match(r.error!.message, /algorithm not supported by the key/);
            }
          }
        }
        const data = input(name, 0, k);
        if (expected(name, rsa, true, 0)) {
          const sig = ok(SecKeyCreateSignature(priv, alg, data));
          assert.deepEqual(SecKeyVerifySignature(pub, alg, data, sig), { value: true }, name);
          roundTrips++;
        }
        if (expected(name, rsa, false, 2)) {
          const ct = ok(SecKeyCreateEncryptedData(pub, alg, data));
          const pt = ok(SecKeyCreateDecryptedData(priv, alg, ct));
          // raw RSA decryption gives the whole block, the input left-padded with zeros
          assert.deepEqual(Buffer.from(pt).subarray(pt.length - data.length), Buffer.from(data), name);
          roundTrips++;
        }
        if (expected(name, rsa, true, 4)) {
          const params = { requestedSize: 24 };
          const mine = ok(SecKeyCopyKeyExchangeResult(priv, alg, SecKeyCopyPublicKey(peer)!, params));
          assert.deepEqual(mine, ok(SecKeyCopyKeyExchangeResult(peer, alg, pub, params)), name);
          assert.equal(mine.length, name.includes('X963') ? 24 : k);
          roundTrips++;
        }
      }
      assert.equal(roundTrips, rsa ? 36 : 53);
    });
  }

  it('PSS needs a modulus of at least 16·hLen + 9 bits: SHA-512 PSS is not supported by a 1024-bit key', () => {
    const o = opensslRSA(1024);
    const priv = ok(SecKeyCreateWithData(new Uint8Array(o.privDer), { type: '42', kcls: '1' }));
    assert.equal(SecKeyIsAlgorithmSupported(priv, 0, A.kSecKeyAlgorithmRSASignatureDigestPSSSHA512), false);
    assert.equal(SecKeyIsAlgorithmSupported(priv, 0, A.kSecKeyAlgorithmRSASignatureDigestPSSSHA384), true);
    assert.match(SecKeyCreateSignature(priv, A.kSecKeyAlgorithmRSASignatureDigestPSSSHA512, new Uint8Array(64)).error!.message, /incompatible with 1024bit RSA key/);
    // OAEP-SHA512 needs 130 bytes of block: not with 128
    assert.equal(SecKeyIsAlgorithmSupported(SecKeyCopyPublicKey(priv)!, 2, A.kSecKeyAlgorithmRSAEncryptionOAEPSHA512), false);
  });

  it('unknown algorithms and operations are not supported', () => {
    const key = newKey('73', 256);
    assert.equal(SecKeyIsAlgorithmSupported(key, 0, 'algid:sign:EdDSA:message-Curve25519:SHA512'), false);
    assert.equal(SecKeyIsAlgorithmSupported(key, 9, A.kSecKeyAlgorithmECDSASignatureDigestX962), false);
    assert.equal(SecKeyCreateSignature(key, 'nonsense', new Uint8Array(32)).error?.status, errSecParam);
    assert.equal(SecKeyCreateSignature('key' as never, A.kSecKeyAlgorithmECDSASignatureDigestX962, new Uint8Array(32)).error?.status, errSecParam);
  });
});
