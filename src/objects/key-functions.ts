/**
 * The SecKey functions under Apple's names (keychain/headers/SecKey.h), for
 * in-memory keys, and the hooks the keychain engine uses to store keys as
 * `keys` items and rebuild them (keyItemAttributes, keyItemData,
 * keyFromItemData, parseKeyParameters, generateKeyPair).
 *
 * Result shapes: a function with Apple's `CFErrorRef *error` out-parameter
 * returns `{ value }` or `{ error }`; SecKeyVerifySignature returns
 * `{ value: boolean, error? }`; one that returns an object or NULL without an
 * error returns `T | undefined`. Bad input never throws.
 * @module
 */
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  kSecAttrApplicationLabel,
  kSecAttrCanDecrypt,
  kSecAttrCanDerive,
  kSecAttrCanEncrypt,
  kSecAttrCanSign,
  kSecAttrCanSignRecover,
  kSecAttrCanUnwrap,
  kSecAttrCanVerify,
  kSecAttrCanVerifyRecover,
  kSecAttrCanWrap,
  kSecAttrEffectiveKeySize,
  kSecAttrIsExtractable,
  kSecAttrIsModifiable,
  kSecAttrIsPermanent,
  kSecAttrIsPrivate,
  kSecAttrIsSensitive,
  kSecAttrKeyClass,
  kSecAttrKeyClassPrivate,
  kSecAttrKeyClassPublic,
  kSecAttrKeySizeInBits,
  kSecAttrKeyType,
  kSecAttrKeyTypeEC,
  kSecAttrKeyTypeRSA,
  kSecAttrTokenID,
  kSecAttrWasAlwaysSensitive,
  kSecAttrWasNeverExtractable,
  kSecClass,
  kSecClassKey,
  kSecValueData,
} from '../constants.js';
import { SecError, errSecDecode, errSecKeySizeNotAllowed, errSecParam, errSecUnimplemented } from '../status.js';
import type { SecDictionary } from '../types.js';
import { kSecPrivateKeyAttrs, kSecPublicKeyAttrs } from './key-algorithms.js';
import {
  applicationLabel,
  bitsOf,
  blockSizeOf,
  importECPrivate,
  importECPublic,
  importStoredECPublic,
  curveForLength,
  importRSAPrivate,
  importRSAPublic,
  privateBytes,
  publicBytes,
  shapeOf,
} from './key-encoding.js';
import * as ops from './key-operations.js';
import { SecKey } from './key.js';

/** What a function with a CFErrorRef out-parameter returns: exactly one of value and error. */
export type SecResult<T> = { value: T; error?: undefined } | { value?: undefined; error: SecError };

function guard<T>(fn: () => SecResult<T>): SecResult<T> {
  try {
    return fn();
  } catch (e) {
    return { error: e instanceof SecError ? e : new SecError(errSecParam, 'the key operation failed') };
  }
}

function isKey(key: unknown): key is SecKey {
  return key instanceof SecKey;
}

function notAKey(fn: string): { error: SecError } {
  return { error: new SecError(errSecParam, `${fn}: key must be a SecKey`) };
}

function notData(fn: string, name: string): { error: SecError } {
  return { error: new SecError(errSecParam, `${fn}: ${name} must be a Uint8Array`) };
}

// ── Key generation ───────────────────────────────────────────────────────────

/** The key pair SecKeyCreateRandomKey makes. */
export type KeyAlgorithm = 'ec' | 'rsa';

/** RSA moduli this package generates (the issue's range; Apple allows 512–8192). */
export const RSA_MIN_BITS = 2048;
export const RSA_MAX_BITS = 4096;
/** EC sizes this package generates (Apple also has P-192 and P-224). */
export const EC_SIZES: readonly number[] = [256, 384, 521];

/** What SecKeyCreateRandomKey's parameters ask for (SecKey.m: SecKeyCreateRandomKey, merge_params). */
export interface KeyParameters {
  readonly type: KeyAlgorithm;
  readonly bits: number;
  /** kSecAttrTokenID, when given. */
  readonly tokenID: string | undefined;
  /**
   * The attributes for each half: its kSecPrivateKeyAttrs / kSecPublicKeyAttrs
   * sub-dictionary, with every top-level attribute it does not set merged in;
   * the two sub-dictionary keys, kSecAttrKeyType and kSecAttrKeySizeInBits removed.
   */
  readonly privateAttributes: Record<string, unknown>;
  readonly publicAttributes: Record<string, unknown>;
  /** kSecAttrIsPermanent of each half (Apple's defaults: false; true for a token private key). */
  readonly privatePermanent: boolean;
  readonly publicPermanent: boolean;
}

function isDictionary(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Date);
}

/** Apple's merge_params: the sub-dictionary under `sub`, then top-level entries it lacks. */
function mergeParams(parameters: Record<string, unknown>, sub: string): Record<string, unknown> {
  const subdict = parameters[sub];
  const result: Record<string, unknown> = isDictionary(subdict) ? { ...subdict } : {};
  for (const [k, val] of Object.entries(parameters)) if (!(k in result)) result[k] = val;
  for (const k of [kSecPublicKeyAttrs, kSecPrivateKeyAttrs, kSecAttrKeyType, kSecAttrKeySizeInBits]) delete result[k];
  return result;
}

/** Apple's getIntValue for kSecAttrKeySizeInBits: a number, or a string of one. */
function intValue(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^[0-9]+$/.test(v)) return Number(v);
  return undefined;
}

/** SecKeyCreateRandomKey's parameters, checked: key type, size, the two halves' attributes. */
export function parseKeyParameters(parameters: unknown): SecResult<KeyParameters> {
  if (!isDictionary(parameters)) return { error: new SecError(errSecParam, 'SecKeyCreateRandomKey: parameters must be a dictionary') };
  const ktype = parameters[kSecAttrKeyType];
  // Apple compares with the CFString constants: the number 73 is not a key type here.
  const type: KeyAlgorithm | undefined = ktype === kSecAttrKeyTypeEC ? 'ec' : ktype === kSecAttrKeyTypeRSA ? 'rsa' : undefined;
  if (!type) {
    return { error: new SecError(errSecParam, 'incorrect or missing kSecAttrKeyType in key generation request (kSecAttrKeyTypeECSECPrimeRandom "73" or kSecAttrKeyTypeRSA "42")') };
  }
  const bits = intValue(parameters[kSecAttrKeySizeInBits]);
  if (type === 'ec' && (bits === undefined || !EC_SIZES.includes(bits))) {
    return { error: new SecError(errSecKeySizeNotAllowed, 'failed to generate key: kSecAttrKeySizeInBits for an EC key must be 256, 384 or 521') };
  }
  if (type === 'rsa' && (bits === undefined || bits < RSA_MIN_BITS || bits > RSA_MAX_BITS)) {
    return { error: new SecError(errSecKeySizeNotAllowed, `failed to generate key: kSecAttrKeySizeInBits for an RSA key must be from ${RSA_MIN_BITS} to ${RSA_MAX_BITS}`) };
  }
  const tokenID = parameters[kSecAttrTokenID];
  if (tokenID !== undefined && typeof tokenID !== 'string') return { error: new SecError(errSecParam, 'kSecAttrTokenID must be a string') };
  const privateAttributes = mergeParams(parameters, kSecPrivateKeyAttrs);
  const publicAttributes = mergeParams(parameters, kSecPublicKeyAttrs);
  // Apple's getBoolForKey: only a boolean counts; anything else is the default.
  const flag = (attrs: Record<string, unknown>, fallback: boolean) =>
    typeof attrs[kSecAttrIsPermanent] === 'boolean' ? (attrs[kSecAttrIsPermanent] as boolean) : fallback;
  return {
    value: {
      type,
      bits: bits!,
      tokenID,
      privateAttributes,
      publicAttributes,
      privatePermanent: flag(privateAttributes, tokenID !== undefined),
      publicPermanent: flag(publicAttributes, false),
    },
  };
}

/** A fresh key pair: EC on P-256/384/521 or RSA with e = 65537 (Apple's only exponent). */
export function generateKeyPair(type: KeyAlgorithm, bits: number): { privateKey: KeyObject } {
  if (type === 'ec') {
    const namedCurve = bits === 256 ? 'prime256v1' : bits === 384 ? 'secp384r1' : bits === 521 ? 'secp521r1' : undefined;
    if (!namedCurve) throw new SecError(errSecKeySizeNotAllowed, 'EC keys are 256, 384 or 521 bits');
    return { privateKey: generateKeyPairSync('ec', { namedCurve }).privateKey };
  }
  return { privateKey: generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 0x10001 }).privateKey };
}

/**
 * SecKeyCreateRandomKey for in-memory keys. A permanent or token key is
 * made by a keychain client (app.SecKeyCreateRandomKey), which stores it.
 */
export function SecKeyCreateRandomKey(parameters: SecDictionary): SecResult<SecKey> {
  return guard(() => {
    const parsed = parseKeyParameters(parameters);
    if (parsed.error) return parsed;
    const p = parsed.value;
    if (p.tokenID !== undefined || p.privatePermanent || p.publicPermanent) {
      return {
        error: new SecError(
          errSecParam,
          'SecKeyCreateRandomKey: permanent and Secure Enclave keys are created through a keychain client: app.SecKeyCreateRandomKey(parameters)',
        ),
      };
    }
    const { privateKey } = generateKeyPair(p.type, p.bits);
    return { value: SecKey.fromPrivateKeyObject(privateKey, (k) => createPublicKey(k)) };
  });
}

// ── External representations ─────────────────────────────────────────────────

/** Apple's SecKeyParamsAsInt64: a number, or a string that is exactly one; undefined otherwise. */
function paramAsInt(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?[0-9]+$/.test(v) && String(Number(v)) === v) return Number(v);
  return undefined;
}

/** Builds a SecKey from its external representation; throws a SecError naming what is wrong. */
function keyFromData(keyClass: unknown, keyType: unknown, data: Uint8Array): SecKey {
  const type = paramAsInt(keyType);
  if (type === undefined) throw new SecError(errSecParam, `Unsupported key type: ${String(keyType)} (kSecAttrKeyType is required: "73" EC or "42" RSA)`);
  const cls = paramAsInt(keyClass);
  if (cls === undefined) throw new SecError(errSecParam, `Unsupported key class: ${String(keyClass)} (kSecAttrKeyClass is required: "0" public or "1" private)`);
  if (cls === 2) throw new SecError(errSecUnimplemented, `Unsupported symmetric key type: ${String(keyType)}`);
  if (cls !== 0 && cls !== 1) throw new SecError(errSecParam, `Unsupported key class: ${String(keyClass)}`);
  if (type !== 73 && type !== 42) {
    throw new SecError(errSecParam, `Unsupported ${cls === 0 ? 'public' : 'private'} key type: ${String(keyType)} (EC "73" and RSA "42" are supported)`);
  }
  if (cls === 0) return SecKey.fromPublicKeyObject(type === 73 ? importECPublic(data) : importRSAPublic(data));
  const privateKey = type === 73 ? importECPrivate(data) : importRSAPrivate(data);
  return SecKey.fromPrivateKeyObject(privateKey, (k) => createPublicKey(k));
}

/**
 * SecKeyCreateWithData: kSecAttrKeyType and kSecAttrKeyClass are required
 * (strings or numbers); the EC curve follows from the data length.
 */
export function SecKeyCreateWithData(data: Uint8Array, attributes: SecDictionary): SecResult<SecKey> {
  return guard(() => {
    if (!isDictionary(attributes)) return { error: new SecError(errSecParam, 'SecKeyCreateWithData: attributes must be a dictionary') };
    if (attributes[kSecAttrTokenID] !== undefined) {
      return { error: new SecError(errSecParam, 'SecKeyCreateWithData: token (Secure Enclave) keys are reached through a keychain client, not created from data') };
    }
    if (!(data instanceof Uint8Array)) return { error: new SecError(errSecParam, 'Failed to provide key data to SecKeyCreateWithData') };
    return { value: keyFromData(attributes[kSecAttrKeyClass], attributes[kSecAttrKeyType], data) };
  });
}

/**
 * SecKeyCopyExternalRepresentation (reference §6.1). A key whose private
 * half cannot leave its token (Secure Enclave) fails as Apple's CTK keys do:
 * errSecUnimplemented, "export not implemented for key".
 */
export function SecKeyCopyExternalRepresentation(key: SecKey): SecResult<Uint8Array> {
  if (!isKey(key)) return notAKey('SecKeyCopyExternalRepresentation');
  return guard(() => {
    const access = key.privateAccess;
    if (!access) return { value: publicBytes(key.publicKeyObject) };
    if (!access.extractable) return { error: new SecError(errSecUnimplemented, `export not implemented for key ${ops.describeKey(key)}`) };
    return { value: access.use((k) => privateBytes(k)) };
  });
}

/** SecKeyCopyPublicKey: the public half (a public key gives an equal public key). */
export function SecKeyCopyPublicKey(key: SecKey): SecKey | undefined {
  if (!isKey(key)) return undefined;
  return SecKey.fromPublicKeyObject(key.publicKeyObject);
}

/** SecKeyGetBlockSize: EC field size (32/48/66) or RSA modulus size in bytes; 0 for something that is no key. */
export function SecKeyGetBlockSize(key: SecKey): number {
  if (!isKey(key)) return 0;
  return blockSizeOf(shapeOf(key.publicKeyObject));
}

// ── Attributes ───────────────────────────────────────────────────────────────

/**
 * The attribute dictionary of a key (SecKey.m:
 * SecKeyCopyAttributeDictionaryWithLocalKey plus the EC/RSA overrides,
 * reference §5.2), without v_Data. Token keys carry tkid and are sensitive
 * and not extractable.
 */
function keyAttributes(key: SecKey): Map<string, unknown> {
  const shape = shapeOf(key.publicKeyObject);
  const access = key.privateAccess;
  const priv = access !== undefined;
  const bits = bitsOf(shape);
  const token = access?.tokenID;
  const extractable = access === undefined || access.extractable;
  const m = new Map<string, unknown>([
    [kSecClass, kSecClassKey],
    [kSecAttrKeyClass, priv ? kSecAttrKeyClassPrivate : kSecAttrKeyClassPublic],
    [kSecAttrApplicationLabel, applicationLabel(key.publicKeyObject)],
    [kSecAttrIsPermanent, true],
    [kSecAttrIsPrivate, true],
    [kSecAttrIsModifiable, true],
    [kSecAttrKeyType, shape.type === 'ec' ? kSecAttrKeyTypeEC : kSecAttrKeyTypeRSA],
    [kSecAttrKeySizeInBits, bits],
    [kSecAttrEffectiveKeySize, bits],
    [kSecAttrIsSensitive, !extractable],
    [kSecAttrWasAlwaysSensitive, !extractable],
    [kSecAttrIsExtractable, extractable],
    [kSecAttrWasNeverExtractable, !extractable],
    [kSecAttrCanEncrypt, !priv],
    // RSA public keys override decr to true (SecRSAKey.c).
    [kSecAttrCanDecrypt, priv || shape.type === 'rsa'],
    // EC public, RSA public and RSA private override drve to false.
    [kSecAttrCanDerive, priv && shape.type === 'ec'],
    [kSecAttrCanSign, priv],
    [kSecAttrCanVerify, !priv],
    [kSecAttrCanSignRecover, false],
    [kSecAttrCanVerifyRecover, false],
    [kSecAttrCanWrap, !priv],
    [kSecAttrCanUnwrap, priv],
  ]);
  if (token !== undefined) m.set(kSecAttrTokenID, token);
  return m;
}

/**
 * The external representation stored as a keys item's v_Data, or undefined
 * for a key whose private half is not extractable: the keychain stores
 * such a key in its own (e.g. enclave-wrapped) form.
 */
export function keyItemData(key: SecKey): Uint8Array | undefined {
  const access = key.privateAccess;
  if (!access) return publicBytes(key.publicKeyObject);
  return access.extractable ? access.use((k) => privateBytes(k)) : undefined;
}

/**
 * SecKeyCopyAttributes: the key's attribute dictionary, v_Data included
 * where the key is exportable. Exporting a private key is a use of it: one
 * whose use is refused (behind a check its context does not pass, or its
 * protection class locked) gives its attributes without v_Data.
 */
export function SecKeyCopyAttributes(key: SecKey): Record<string, unknown> | undefined {
  if (!isKey(key)) return undefined;
  const m = keyAttributes(key);
  const data = guard(() => ({ value: keyItemData(key) })).value;
  if (data !== undefined) m.set(kSecValueData, data);
  return Object.fromEntries(m);
}

/**
 * The attributes an add by kSecValueRef infers for a key (reference §5.2),
 * class and v_Data included (v_Data only where keyItemData gives it).
 * Caller-supplied attributes override these.
 */
export function keyItemAttributes(key: SecKey): Map<string, unknown> {
  const m = keyAttributes(key);
  const data = keyItemData(key);
  if (data !== undefined) m.set(kSecValueData, data);
  return m;
}

/**
 * An EC private key read back from its item: the public half now, the
 * private half imported (and checked against the point) at its first use.
 * A lookup that only wants the key in hand, as an identity lookup does,
 * pays for no private-key import; a damaged item still fails before any
 * use, when its point is imported.
 */
function storedECPrivateKey(data: Uint8Array): SecKey {
  const external = new Uint8Array(data);
  const point = external.subarray(0, ((external.length - 1) / 3) * 2 + 1);
  if (curveForLength(point.length, false) === undefined) throw new SecError(errSecDecode, 'the stored EC key has no P-256, P-384 or P-521 point');
  let privateKey: KeyObject | undefined;
  return SecKey.fromPrivateAccess(() => importStoredECPublic(point), {
    use: (fn) => fn((privateKey ??= importECPrivate(external))),
    extractable: true,
  });
}

/**
 * A software SecKey rebuilt from a stored keys item: its kcls, type and
 * v_Data (the external representation). Throws errSecDecode when the stored
 * data is not a key of that class and type.
 */
export function keyFromItemData(item: { keyClass: unknown; keyType: unknown; data: Uint8Array }): SecKey {
  try {
    if (paramAsInt(item.keyClass) === 1 && paramAsInt(item.keyType) === 73) return storedECPrivateKey(item.data);
    return keyFromData(item.keyClass, item.keyType, item.data);
  } catch (e) {
    const detail = e instanceof SecError ? e.detail : undefined;
    throw new SecError(errSecDecode, `the stored key does not decode${detail ? `: ${detail}` : ''}`);
  }
}

// ── Operations ───────────────────────────────────────────────────────────────

/** SecKeyCreateSignature: a private key signs data (a digest or a message, per the algorithm). */
export function SecKeyCreateSignature(key: SecKey, algorithm: string, dataToSign: Uint8Array): SecResult<Uint8Array> {
  if (!isKey(key)) return notAKey('SecKeyCreateSignature');
  if (!(dataToSign instanceof Uint8Array)) return notData('SecKeyCreateSignature', 'dataToSign');
  return guard(() => ops.sign(key, algorithm, dataToSign));
}

/** SecKeyVerifySignature: true, or false with the reason (errSecVerifyFailed for a signature that does not match). */
export function SecKeyVerifySignature(key: SecKey, algorithm: string, signedData: Uint8Array, signature: Uint8Array): { value: boolean; error?: SecError } {
  if (!isKey(key)) return { value: false, ...notAKey('SecKeyVerifySignature') };
  if (!(signedData instanceof Uint8Array)) return { value: false, ...notData('SecKeyVerifySignature', 'signedData') };
  if (!(signature instanceof Uint8Array)) return { value: false, ...notData('SecKeyVerifySignature', 'signature') };
  const r = guard(() => {
    const v = ops.verify(key, algorithm, signedData, signature);
    return v.value ? { value: true } : { error: v.error ?? new SecError(errSecParam, 'verification failed') };
  });
  return r.error ? { value: false, error: r.error } : { value: true };
}

/** SecKeyCreateEncryptedData: a public key encrypts. */
export function SecKeyCreateEncryptedData(key: SecKey, algorithm: string, plaintext: Uint8Array): SecResult<Uint8Array> {
  if (!isKey(key)) return notAKey('SecKeyCreateEncryptedData');
  if (!(plaintext instanceof Uint8Array)) return notData('SecKeyCreateEncryptedData', 'plaintext');
  return guard(() => ops.encrypt(key, algorithm, plaintext));
}

/** SecKeyCreateDecryptedData: a private key decrypts. */
export function SecKeyCreateDecryptedData(key: SecKey, algorithm: string, ciphertext: Uint8Array): SecResult<Uint8Array> {
  if (!isKey(key)) return notAKey('SecKeyCreateDecryptedData');
  if (!(ciphertext instanceof Uint8Array)) return notData('SecKeyCreateDecryptedData', 'ciphertext');
  return guard(() => ops.decrypt(key, algorithm, ciphertext));
}

/**
 * SecKeyCopyKeyExchangeResult: ECDH of a private key and a peer's public
 * key; the X9.63 variants need kSecKeyKeyExchangeParameterRequestedSize and
 * take kSecKeyKeyExchangeParameterSharedInfo.
 */
export function SecKeyCopyKeyExchangeResult(
  privateKey: SecKey,
  algorithm: string,
  publicKey: SecKey,
  parameters: SecDictionary,
): SecResult<Uint8Array> {
  if (!isKey(privateKey)) return notAKey('SecKeyCopyKeyExchangeResult');
  if (!isKey(publicKey)) return { error: new SecError(errSecParam, 'SecKeyCopyKeyExchangeResult: publicKey must be a SecKey') };
  return guard(() => ops.keyExchange(privateKey, algorithm, publicKey, parameters));
}

/** SecKeyIsAlgorithmSupported. */
export function SecKeyIsAlgorithmSupported(key: SecKey, operation: number, algorithm: string): boolean {
  if (!isKey(key)) return false;
  try {
    return ops.isSupported(key, operation, algorithm);
  } catch {
    return false;
  }
}
