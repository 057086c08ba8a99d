/**
 * What each kSecKeyAlgorithm does with which key, as Apple's software keys
 * (SecECKey.m, SecRSAKey.c) and algorithm adaptors (SecKeyAdaptors.m) do it:
 * which (operation, algorithm, key) triples are supported, and running them.
 *
 * The support rules, read from Apple's source (not from the header docs):
 *  - EC private: sign (every ECDSA form), decrypt (ECIES), key exchange (ECDH).
 *    EC public: verify (ECDSA), encrypt (ECIES). Nothing else: Apple does
 *    not verify or encrypt with the public half of an EC private key.
 *  - RSA private: sign (every RSA form; PSS needs modulus bits ≥ 16·hLen + 9),
 *    decrypt (raw, PKCS1, OAEP, OAEP+AES-GCM). RSA public: encrypt (same set).
 *  - Apple's RSA verify and decrypt adaptors run "the raw RSA operation of
 *    this key": so an RSA public key also "decrypts" (raw/PKCS1/OAEP, by m^e)
 *    and an RSA private key also "verifies" (by s^d, which never matches a
 *    real signature). Both are reported as supported, as on Apple.
 *  - OAEP and PKCS1 need a block size of at least 2·hLen + 2 / 11 bytes.
 * Digest forms with a named hash require an input of exactly that digest's
 * size; DigestX962, DigestRFC4754 and DigestPKCS1v15Raw take any length.
 * Private halves are only reached through `key.privateAccess.use(fn)`.
 * @module
 */
import { generateKeyPairSync, randomBytes, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { SecError, errSecParam, errSecVerifyFailed } from '../status.js';
import * as A from './key-algorithms.js';
import { blockSizeOf, bitsOf, checkPoint, ecScalar, importECPublic, publicBytes, shapeOf, type CurveInfo, type KeyShape } from './key-encoding.js';
import {
  GCM_TAG_LENGTH,
  digest,
  digestSize,
  ecdh,
  ecdsaSign,
  ecdsaVerify,
  emeOaepDecode,
  emePkcs1v15Decode,
  emsaPkcs1v15,
  emsaPssEncode,
  emsaPssVerify,
  gcmOpen,
  gcmSeal,
  kdfX963,
  leftPad,
  rsaPaddedEncrypt,
  rsaRaw,
  type HashName,
} from './key-primitives.js';
import type { SecKey } from './key.js';

/** What an algorithm constant means. */
export type AlgorithmSpec =
  | { kind: 'rsa-sig'; form: 'raw' | 'pkcs1' | 'pss'; message: boolean; hash?: HashName }
  | { kind: 'ecdsa'; encoding: 'der' | 'compact'; message: boolean; hash?: HashName }
  | { kind: 'rsa-enc'; padding: 'raw' | 'pkcs1' | 'oaep'; hash?: HashName; aesgcm: boolean }
  | { kind: 'ecies'; hash: HashName; variableIV: boolean }
  | { kind: 'ecdh'; hash?: HashName };

const H: readonly [string, HashName][] = [
  ['SHA1', 'sha1'],
  ['SHA224', 'sha224'],
  ['SHA256', 'sha256'],
  ['SHA384', 'sha384'],
  ['SHA512', 'sha512'],
];
const constant = A.secKeyAlgorithms;

/** Every algorithm this package knows, by its string value. */
export const algorithmSpecs: ReadonlyMap<string, AlgorithmSpec> = (() => {
  const m = new Map<string, AlgorithmSpec>();
  const put = (name: string, spec: AlgorithmSpec) => {
    const value = constant[name];
    if (value === undefined) throw new Error(`no constant ${name}`);
    m.set(value, spec);
  };
  put('kSecKeyAlgorithmRSASignatureRaw', { kind: 'rsa-sig', form: 'raw', message: false });
  put('kSecKeyAlgorithmRSASignatureDigestPKCS1v15Raw', { kind: 'rsa-sig', form: 'pkcs1', message: false });
  for (const [n, hash] of [...H, ['MD5', 'md5'] as [string, HashName]]) {
    put(`kSecKeyAlgorithmRSASignatureDigestPKCS1v15${n}`, { kind: 'rsa-sig', form: 'pkcs1', message: false, hash });
    put(`kSecKeyAlgorithmRSASignatureMessagePKCS1v15${n}`, { kind: 'rsa-sig', form: 'pkcs1', message: true, hash });
  }
  put('kSecKeyAlgorithmECDSASignatureDigestX962', { kind: 'ecdsa', encoding: 'der', message: false });
  put('kSecKeyAlgorithmECDSASignatureRFC4754', { kind: 'ecdsa', encoding: 'compact', message: false });
  put('kSecKeyAlgorithmECDSASignatureDigestRFC4754', { kind: 'ecdsa', encoding: 'compact', message: false });
  put('kSecKeyAlgorithmRSAEncryptionRaw', { kind: 'rsa-enc', padding: 'raw', aesgcm: false });
  put('kSecKeyAlgorithmRSAEncryptionPKCS1', { kind: 'rsa-enc', padding: 'pkcs1', aesgcm: false });
  put('kSecKeyAlgorithmECDHKeyExchangeStandard', { kind: 'ecdh' });
  put('kSecKeyAlgorithmECDHKeyExchangeCofactor', { kind: 'ecdh' });
  for (const [n, hash] of H) {
    put(`kSecKeyAlgorithmRSASignatureDigestPSS${n}`, { kind: 'rsa-sig', form: 'pss', message: false, hash });
    put(`kSecKeyAlgorithmRSASignatureMessagePSS${n}`, { kind: 'rsa-sig', form: 'pss', message: true, hash });
    put(`kSecKeyAlgorithmECDSASignatureDigestX962${n}`, { kind: 'ecdsa', encoding: 'der', message: false, hash });
    put(`kSecKeyAlgorithmECDSASignatureMessageX962${n}`, { kind: 'ecdsa', encoding: 'der', message: true, hash });
    put(`kSecKeyAlgorithmECDSASignatureDigestRFC4754${n}`, { kind: 'ecdsa', encoding: 'compact', message: false, hash });
    put(`kSecKeyAlgorithmECDSASignatureMessageRFC4754${n}`, { kind: 'ecdsa', encoding: 'compact', message: true, hash });
    put(`kSecKeyAlgorithmRSAEncryptionOAEP${n}`, { kind: 'rsa-enc', padding: 'oaep', hash, aesgcm: false });
    put(`kSecKeyAlgorithmRSAEncryptionOAEP${n}AESGCM`, { kind: 'rsa-enc', padding: 'oaep', hash, aesgcm: true });
    // Cofactor ECDH equals standard ECDH on the NIST curves (cofactor 1).
    for (const c of ['Standard', 'Cofactor']) {
      put(`kSecKeyAlgorithmECIESEncryption${c}X963${n}AESGCM`, { kind: 'ecies', hash, variableIV: false });
      if (hash !== 'sha1') put(`kSecKeyAlgorithmECIESEncryption${c}VariableIVX963${n}AESGCM`, { kind: 'ecies', hash, variableIV: true });
      put(`kSecKeyAlgorithmECDHKeyExchange${c}X963${n}`, { kind: 'ecdh', hash });
    }
  }
  return m;
})();

/** A key as the algorithms see it. */
interface KeyView {
  readonly key: SecKey;
  readonly shape: KeyShape;
  readonly isPrivate: boolean;
  /** SecKeyGetBlockSize. */
  readonly k: number;
  readonly bits: number;
}

function viewOf(key: SecKey): KeyView {
  const shape = shapeOf(key.publicKeyObject);
  return { key, shape, isPrivate: key.privateAccess !== undefined, k: blockSizeOf(shape), bits: bitsOf(shape) };
}

/**
 * How Apple's error messages name a key (its %@ description), without key
 * material: algorithm id 1 is RSA, 3 is EC; token keys are "CTKKey".
 */
export function describeKey(key: SecKey): string {
  const shape = shapeOf(key.publicKeyObject);
  const access = key.privateAccess;
  const kind = access?.tokenID !== undefined ? 'CTKKey' : `${shape.type === 'ec' ? 'EC' : 'RSA'}${access ? 'Private' : 'Public'}Key`;
  const id = shape.type === 'ec' ? 3 : 1;
  return `<SecKeyRef algorithm id: ${id}, key type: ${kind}, block size: ${8 * blockSizeOf(shape)} bits>`;
}

function minimumBlock(spec: { padding: 'raw' | 'pkcs1' | 'oaep'; hash?: HashName }): number {
  if (spec.padding === 'oaep') return 2 * digestSize[spec.hash!] + 2;
  return spec.padding === 'pkcs1' ? 11 : 0;
}

/** Whether Apple's software keys support `operation` with `spec` on this key (see the module comment). */
function supports(v: KeyView, operation: number, spec: AlgorithmSpec): boolean {
  const ec = v.shape.type === 'ec';
  switch (spec.kind) {
    case 'ecdsa':
      return ec && ((operation === A.kSecKeyOperationTypeSign && v.isPrivate) || (operation === A.kSecKeyOperationTypeVerify && !v.isPrivate));
    case 'ecies':
      return ec && ((operation === A.kSecKeyOperationTypeDecrypt && v.isPrivate) || (operation === A.kSecKeyOperationTypeEncrypt && !v.isPrivate));
    case 'ecdh':
      return ec && operation === A.kSecKeyOperationTypeKeyExchange && v.isPrivate;
    case 'rsa-sig':
      if (ec) return false;
      if (operation === A.kSecKeyOperationTypeVerify) return true;
      if (operation !== A.kSecKeyOperationTypeSign || !v.isPrivate) return false;
      return spec.form !== 'pss' || v.bits >= 16 * digestSize[spec.hash!] + 9;
    case 'rsa-enc':
      if (ec || v.k < minimumBlock(spec)) return false;
      if (operation === A.kSecKeyOperationTypeEncrypt) return !v.isPrivate;
      if (operation === A.kSecKeyOperationTypeDecrypt) return v.isPrivate || !spec.aesgcm;
      return false;
  }
}

/** SecKeyIsAlgorithmSupported. */
export function isSupported(key: SecKey, operation: number, algorithm: unknown): boolean {
  const spec = typeof algorithm === 'string' ? algorithmSpecs.get(algorithm) : undefined;
  return spec !== undefined && supports(viewOf(key), operation, spec);
}

/** A result or the SecError Apple gives. */
export type Outcome<T> = { value: T; error?: undefined } | { value?: undefined; error: SecError };

const fail = (status: number, detail: string): { error: SecError } => ({ error: new SecError(status, detail) });

/** The spec of `algorithm` if `key` supports it for `operation`; Apple's "not supported" error otherwise. */
function resolve(key: SecKey, operation: number, algorithm: unknown): { v: KeyView; spec: AlgorithmSpec } | { error: SecError } {
  const v = viewOf(key);
  const spec = typeof algorithm === 'string' ? algorithmSpecs.get(algorithm) : undefined;
  if (spec && supports(v, operation, spec)) return { v, spec };
  if (spec?.kind === 'rsa-sig' && spec.form === 'pss' && operation === A.kSecKeyOperationTypeSign && v.isPrivate && v.shape.type === 'rsa') {
    return fail(errSecParam, `algorithm ${algorithm} incompatible with ${v.bits}bit RSA key`);
  }
  return fail(errSecParam, `${String(algorithm)}: algorithm not supported by the key ${describeKey(key)}`);
}

/** The private KeyObject's use, for a key `resolve` found to be private. */
function withPrivate<T>(v: KeyView, fn: (k: KeyObject) => T): T {
  return v.key.privateAccess!.use(fn);
}

/** The digest a digest/message algorithm works on, or Apple's error for a digest of the wrong size. */
function digestInput(spec: { message: boolean; hash?: HashName }, algorithm: string, data: Uint8Array): Outcome<Uint8Array> {
  if (!spec.hash) return { value: data };
  if (spec.message) return { value: digest(spec.hash, data) };
  if (data.length !== digestSize[spec.hash]) {
    return fail(errSecParam, `bad digest size for signing with algorithm ${algorithm}: ${data.length} bytes, ${digestSize[spec.hash]} expected`);
  }
  return { value: data };
}

/** Runs the raw RSA operation of the key (private: s^d, public: m^e) on data of at most k bytes. */
function rsaRawOf(v: KeyView, data: Uint8Array, what: string): Outcome<Buffer> {
  const block = leftPad(data, v.k);
  if (!block) return fail(errSecParam, `${describeKey(v.key)}: ${what} - input is ${data.length} bytes, longer than the ${v.k}-byte block size`);
  try {
    return { value: v.isPrivate ? withPrivate(v, (k) => rsaRaw(k, block)) : rsaRaw(v.key.publicKeyObject, block) };
  } catch (e) {
    if (e instanceof SecError) throw e; // a refused authorization, or the lock state: the caller's answer
    return fail(errSecParam, `${describeKey(v.key)}: ${what} - input is not smaller than the modulus`);
  }
}

/** SecKeyCreateSignature. */
export function sign(key: SecKey, algorithm: unknown, data: Uint8Array): Outcome<Uint8Array> {
  const r = resolve(key, A.kSecKeyOperationTypeSign, algorithm);
  if ('error' in r) return r;
  const { v, spec } = r;
  if (spec.kind === 'ecdsa') {
    const curve = (v.shape as { curve: CurveInfo }).curve;
    if (spec.message && spec.hash !== undefined) {
      // A message form hashes and signs in node:crypto (OpenSSL): the same X9.62 signature, some twenty times quicker.
      const dsaEncoding = spec.encoding === 'der' ? 'der' : 'ieee-p1363';
      const hash = spec.hash;
      try {
        return { value: withPrivate(v, (k) => new Uint8Array(nodeSign(hash, data, { key: k, dsaEncoding }))) };
      } catch (e) {
        if (e instanceof SecError) throw e;
        return fail(errSecParam, `${describeKey(key)}: X962 signing failed`);
      }
    }
    const h = digestInput(spec, algorithm as string, data);
    if (h.error) return h;
    try {
      return { value: withPrivate(v, (k) => ecdsaSign(curve, ecScalar(k, curve), h.value, spec.encoding)) };
    } catch (e) {
    if (e instanceof SecError) throw e; // a refused authorization, or the lock state: the caller's answer
      return fail(errSecParam, `${describeKey(key)}: X962 signing failed`);
    }
  }
  if (spec.kind !== 'rsa-sig') return fail(errSecParam, `${String(algorithm)}: algorithm not supported by the key ${describeKey(key)}`);
  if (spec.form === 'raw') return rsaRawOf(v, data, 'sign');
  const h = digestInput(spec, algorithm as string, data);
  if (h.error) return h;
  const em = spec.form === 'pss' ? emsaPssEncode(spec.hash!, h.value, v.bits, v.k) : emsaPkcs1v15(spec.hash, h.value, v.k);
  if (!em) return fail(errSecParam, spec.form === 'pss' ? 'RSASSA-PSS incompatible algorithm for key size' : 'RSAsign wrong input data length');
  return rsaRawOf(v, em, 'sign');
}

const rsaNoMatch = (): { value: boolean; error: SecError } => ({
  value: false,
  error: new SecError(errSecVerifyFailed, 'RSA signature verification failed, no match'),
});

/** ECDSA verification of a message in node:crypto; a malformed signature is a mismatch. */
function verifiesInOpenSSL(hash: HashName, data: Uint8Array, publicKey: KeyObject, encoding: 'der' | 'compact', signature: Uint8Array): boolean {
  try {
    return nodeVerify(hash, data, { key: publicKey, dsaEncoding: encoding === 'der' ? 'der' : 'ieee-p1363' }, signature);
  } catch (e) {
    if (e instanceof SecError) throw e; // a refused authorization, or the lock state: the caller's answer
    return false;
  }
}

/** SecKeyVerifySignature: `{ value: true }`, or false with the reason. */
export function verify(key: SecKey, algorithm: unknown, data: Uint8Array, signature: Uint8Array): { value: boolean; error?: SecError } {
  const r = resolve(key, A.kSecKeyOperationTypeVerify, algorithm);
  if ('error' in r) return { value: false, error: r.error };
  const { v, spec } = r;
  if (spec.kind === 'ecdsa') {
    const h = digestInput(spec, algorithm as string, data);
    if (h.error) return { value: false, error: h.error };
    const curve = (v.shape as { curve: CurveInfo }).curve;
    if (spec.encoding === 'compact' && signature.length !== 2 * v.k) {
      return { value: false, error: new SecError(errSecVerifyFailed, `Wrong ECDSA RFC4754 signature: ${signature.length} bytes, ${2 * v.k} expected`) };
    }
    const matches = spec.message && spec.hash !== undefined
      ? verifiesInOpenSSL(spec.hash, data, key.publicKeyObject, spec.encoding, signature)
      : ecdsaVerify(curve, publicBytes(key.publicKeyObject), h.value, signature, spec.encoding);
    if (matches) return { value: true };
    return { value: false, error: new SecError(errSecVerifyFailed, 'EC signature verification failed, no match') };
  }
  if (spec.kind !== 'rsa-sig') return { value: false, error: new SecError(errSecParam, `${String(algorithm)}: algorithm not supported by the key ${describeKey(key)}`) };
  let h: Uint8Array = data;
  if (spec.form !== 'raw') {
    const d = digestInput(spec, algorithm as string, data);
    if (d.error) return { value: false, error: d.error };
    h = d.value;
  }
  const opened = rsaRawOf(v, signature, 'verify');
  if (opened.error) return { value: false, error: opened.error };
  const block = opened.value;
  let ok: boolean;
  if (spec.form === 'raw') {
    // Apple skips the leading zeros of the result and compares the rest with the input.
    let i = 0;
    while (i < block.length && block[i] === 0) i++;
    ok = Buffer.from(data).equals(block.subarray(i));
  } else if (spec.form === 'pkcs1') {
    const expected = emsaPkcs1v15(spec.hash, h, v.k);
    ok = expected !== undefined && expected.equals(block);
  } else {
    ok = emsaPssVerify(spec.hash!, h, block, v.bits);
  }
  return ok ? { value: true } : rsaNoMatch();
}

/** The 16 zero bytes Apple uses as the GCM IV of IES and RSA-wrap modes. */
const ZERO_IV = new Uint8Array(16);

/** Apple's IES AES key size: 128 bits for curves up to 256 bits, 256 above. */
function iesKeySize(curve: CurveInfo): number {
  return curve.bits > 256 ? 32 : 16;
}

/** The IES symmetric key and IV from the X9.63 KDF over the shared secret, with the ephemeral public key as shared info. */
function iesKeys(spec: { hash: HashName; variableIV: boolean }, curve: CurveInfo, z: Uint8Array, ephemeral: Uint8Array) {
  const size = iesKeySize(curve);
  const okm = kdfX963(spec.hash, z, ephemeral, size + (spec.variableIV ? 16 : 0));
  return { key: okm.subarray(0, size), iv: spec.variableIV ? okm.subarray(size) : ZERO_IV };
}

/** RSA-OAEP+AES-GCM session key size: AES-128 below 4096-bit moduli, AES-256 from 4096 bits. */
function wrapKeySize(v: KeyView): number {
  return v.bits >= 4096 ? 32 : 16;
}

/** SecKeyCreateEncryptedData. */
export function encrypt(key: SecKey, algorithm: unknown, plaintext: Uint8Array): Outcome<Uint8Array> {
  const r = resolve(key, A.kSecKeyOperationTypeEncrypt, algorithm);
  if ('error' in r) return r;
  const { v, spec } = r;
  const pub = key.publicKeyObject;
  if (spec.kind === 'ecies') {
    const curve = (v.shape as { curve: CurveInfo }).curve;
    const eph = generateKeyPairSync('ec', { namedCurve: curve.nodeName });
    const ephemeral = publicBytes(eph.publicKey);
    const { key: aesKey, iv } = iesKeys(spec, curve, ecdh(eph.privateKey, pub), ephemeral);
    return { value: new Uint8Array(Buffer.concat([ephemeral, gcmSeal(aesKey, iv, new Uint8Array(0), plaintext)])) };
  }
  if (spec.kind !== 'rsa-enc') return fail(errSecParam, `${String(algorithm)}: algorithm not supported by the key ${describeKey(key)}`);
  if (spec.padding === 'raw') return rsaRawOf(v, plaintext, 'encrypt');
  if (spec.aesgcm) {
    const session = randomBytes(wrapKeySize(v));
    const wrapped = rsaPaddedEncrypt(pub, spec.hash, session);
    return { value: new Uint8Array(Buffer.concat([wrapped, gcmSeal(session, ZERO_IV, publicBytes(pub), plaintext)])) };
  }
  try {
    return { value: new Uint8Array(rsaPaddedEncrypt(pub, spec.hash, plaintext)) };
  } catch (e) {
    if (e instanceof SecError) throw e; // a refused authorization, or the lock state: the caller's answer
    const max = spec.padding === 'oaep' ? v.k - minimumBlock(spec) : v.k - 11;
    return fail(errSecParam, `RSAencrypt wrong input size: ${plaintext.length} bytes, at most ${max} with ${String(algorithm)} and this key`);
  }
}

/** SecKeyCreateDecryptedData. */
export function decrypt(key: SecKey, algorithm: unknown, ciphertext: Uint8Array): Outcome<Uint8Array> {
  const r = resolve(key, A.kSecKeyOperationTypeDecrypt, algorithm);
  if ('error' in r) return r;
  const { v, spec } = r;
  if (spec.kind === 'ecies') {
    const curve = (v.shape as { curve: CurveInfo }).curve;
    const encodedSize = 2 * curve.size + 1;
    if (ciphertext.length < encodedSize) {
      return fail(errSecParam, `${describeKey(key)}: too small input packet for ECIES decrypt (${ciphertext.length} bytes)`);
    }
    const ephemeral = ciphertext.subarray(0, encodedSize);
    let ephemeralKey: KeyObject;
    try {
      checkPoint(curve, ephemeral, 'ECpriv sharedsecret: bad public key');
      ephemeralKey = importECPublic(ephemeral);
    } catch (e) {
      return { error: e instanceof SecError ? e : new SecError(errSecParam, 'ECpriv sharedsecret: bad public key') };
    }
    const sealed = ciphertext.subarray(encodedSize);
    if (sealed.length < GCM_TAG_LENGTH) return fail(errSecParam, 'ECIES: Input data too short');
    const z = withPrivate(v, (k) => ecdh(k, ephemeralKey));
    const { key: aesKey, iv } = iesKeys(spec, curve, z, ephemeral);
    try {
      return { value: new Uint8Array(gcmOpen(aesKey, iv, new Uint8Array(0), sealed)) };
    } catch (e) {
    if (e instanceof SecError) throw e; // a refused authorization, or the lock state: the caller's answer
      return fail(errSecParam, 'ECIES: Failed to aes-gcm decrypt data (the tag does not match)');
    }
  }
  if (spec.kind !== 'rsa-enc') return fail(errSecParam, `${String(algorithm)}: algorithm not supported by the key ${describeKey(key)}`);
  const unpad = (block: Uint8Array): Outcome<Uint8Array> => {
    const opened = rsaRawOf(v, block, 'decrypt');
    if (opened.error) return opened;
    if (spec.padding === 'raw') return { value: new Uint8Array(opened.value) };
    const m = spec.padding === 'oaep' ? emeOaepDecode(spec.hash!, opened.value) : emePkcs1v15Decode(opened.value);
    return m ? { value: new Uint8Array(m) } : fail(errSecParam, 'RSAdecrypt wrong input (the padding does not decode)');
  };
  if (!spec.aesgcm) return unpad(ciphertext);
  if (ciphertext.length < v.k + GCM_TAG_LENGTH) return fail(errSecParam, 'RSA-WRAP too short input data');
  const session = unpad(ciphertext.subarray(0, v.k));
  if (session.error) return session;
  if (session.value.length !== wrapKeySize(v)) return fail(errSecParam, 'RSA-WRAP bad ciphertext, unexpected session key size');
  try {
    return { value: new Uint8Array(gcmOpen(session.value, ZERO_IV, publicBytes(key.publicKeyObject), ciphertext.subarray(v.k))) };
  } catch (e) {
    if (e instanceof SecError) throw e; // a refused authorization, or the lock state: the caller's answer
    return fail(errSecParam, 'RSA-WRAP: Failed to aes-gcm decrypt data (the tag does not match)');
  }
}

/** The largest kSecKeyKeyExchangeParameterRequestedSize accepted (1 MiB: far beyond any key). */
const MAX_REQUESTED_SIZE = 1 << 20;

/** SecKeyCopyKeyExchangeResult. */
export function keyExchange(key: SecKey, algorithm: unknown, publicKey: SecKey, parameters: unknown): Outcome<Uint8Array> {
  const r = resolve(key, A.kSecKeyOperationTypeKeyExchange, algorithm);
  if ('error' in r) return r;
  const { v, spec } = r;
  if (spec.kind !== 'ecdh') return fail(errSecParam, `${String(algorithm)}: algorithm not supported by the key ${describeKey(key)}`);
  const curve = (v.shape as { curve: CurveInfo }).curve;
  const peer = publicKey.publicKeyObject;
  const peerShape = shapeOf(peer);
  if (publicKey.privateAccess !== undefined) {
    return fail(errSecParam, 'ECpriv sharedsecret: bad public key (the peer key must be a public key: SecKeyCopyPublicKey gives it)');
  }
  if (peerShape.type !== 'ec' || peerShape.curve !== curve) {
    return fail(errSecParam, `ECpriv sharedsecret: bad public key (the peer key must be an EC key on ${curve.jwk})`);
  }
  let requestedSize = 0;
  let sharedInfo: Uint8Array = new Uint8Array(0);
  if (spec.hash) {
    const params = (parameters ?? {}) as Record<string, unknown>;
    const size = typeof params === 'object' ? params[A.kSecKeyKeyExchangeParameterRequestedSize] : undefined;
    if (typeof size !== 'number') return fail(errSecParam, 'kSecKeyKeyExchangeParameterRequestedSize is missing');
    if (!Number.isInteger(size) || size < 1 || size > MAX_REQUESTED_SIZE) {
      return fail(errSecParam, `ECDHKeyExchange wrong input: kSecKeyKeyExchangeParameterRequestedSize must be an integer from 1 to ${MAX_REQUESTED_SIZE}`);
    }
    requestedSize = size;
    const info = params[A.kSecKeyKeyExchangeParameterSharedInfo];
    if (info !== undefined) {
      if (!(info instanceof Uint8Array)) return fail(errSecParam, 'ECDHKeyExchange wrong sharedInfo type (must be CFData/NSData)');
      sharedInfo = info;
    }
  }
  const z = withPrivate(v, (k) => ecdh(k, peer));
  return { value: new Uint8Array(spec.hash ? kdfX963(spec.hash, z, sharedInfo, requestedSize) : z) };
}
