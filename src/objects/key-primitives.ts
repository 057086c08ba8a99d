/**
 * The cryptographic building blocks the SecKey algorithms are made of, on
 * node:crypto and @noble/curves: digests, the raw RSA operations, the RSA
 * encodings of RFC 8017 (EMSA-PKCS1-v1_5, EMSA-PSS, EME-PKCS1-v1_5 and
 * EME-OAEP decoding), ECDSA over a given digest, ECDH, the ANSI X9.63 KDF
 * and AES-GCM. Pure functions of their inputs; they throw plain Errors that
 * key-operations.ts turns into SecErrors with Apple's messages.
 * @module
 */
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  diffieHellman,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import type { CurveInfo } from './key-encoding.js';

/** The digests the algorithms name (MD5 only for RSA PKCS#1 v1.5). */
export type HashName = 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

export const digestSize: Readonly<Record<HashName, number>> = {
  md5: 16,
  sha1: 20,
  sha224: 28,
  sha256: 32,
  sha384: 48,
  sha512: 64,
};

export function digest(hash: HashName, ...parts: Uint8Array[]): Buffer {
  const h = createHash(hash);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** DER DigestInfo prefixes (RFC 8017 §9.2 note 1): the digest follows them. */
const digestInfoPrefix: Readonly<Record<HashName, string>> = {
  md5: '3020300c06082a864886f70d020505000410',
  sha1: '3021300906052b0e03021a05000414',
  sha224: '302d300d06096086480165030402040500041c',
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

/** Left-pads `data` with zeros to `size` bytes; undefined when it is longer. */
export function leftPad(data: Uint8Array, size: number): Buffer | undefined {
  if (data.length > size) return undefined;
  return Buffer.concat([Buffer.alloc(size - data.length), data]);
}

/**
 * The raw RSA operation on a block of exactly `k` bytes: m^d with a private
 * key, m^e with a public key. Throws when the block is not below the modulus.
 */
export function rsaRaw(key: KeyObject, block: Buffer): Buffer {
  return key.type === 'private'
    ? privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, block)
    : publicEncrypt({ key, padding: constants.RSA_NO_PADDING }, block);
}

/**
 * EMSA-PKCS1-v1_5 (RFC 8017 §9.2) of a digest, to `k` bytes: 00 01 FF… 00
 * DigestInfo. Without a hash the digest is taken as the whole T
 * (kSecKeyAlgorithmRSASignatureDigestPKCS1v15Raw). Undefined when it does not fit.
 */
export function emsaPkcs1v15(hash: HashName | undefined, mHash: Uint8Array, k: number): Buffer | undefined {
  const t = Buffer.concat([hash ? Buffer.from(digestInfoPrefix[hash], 'hex') : Buffer.alloc(0), mHash]);
  if (t.length + 11 > k) return undefined;
  return Buffer.concat([Buffer.of(0, 1), Buffer.alloc(k - t.length - 3, 0xff), Buffer.of(0), t]);
}

function mgf1(hash: HashName, seed: Uint8Array, length: number): Buffer {
  const out: Buffer[] = [];
  let have = 0;
  for (let counter = 0; have < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    const block = digest(hash, seed, c);
    out.push(block);
    have += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

function xor(a: Uint8Array, b: Uint8Array): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/**
 * EMSA-PSS-ENCODE (RFC 8017 §9.1.1) with MGF1 of the same hash and a salt as
 * long as the digest (Apple's choice), left-padded to `k` bytes.
 * `modBits` is the modulus bit length (emBits = modBits − 1).
 */
export function emsaPssEncode(hash: HashName, mHash: Uint8Array, modBits: number, k: number): Buffer | undefined {
  const hLen = digestSize[hash];
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  if (emLen < 2 * hLen + 2) return undefined;
  const salt = randomBytes(hLen);
  const h = digest(hash, Buffer.alloc(8), mHash, salt);
  const db = Buffer.concat([Buffer.alloc(emLen - 2 * hLen - 2), Buffer.of(1), salt]);
  const maskedDb = xor(db, mgf1(hash, h, emLen - hLen - 1));
  maskedDb[0]! &= 0xff >> (8 * emLen - emBits);
  return leftPad(Buffer.concat([maskedDb, h, Buffer.of(0xbc)]), k);
}

/** EMSA-PSS-VERIFY (RFC 8017 §9.1.2) with salt length = digest length, on the `k`-byte result of the raw operation. */
export function emsaPssVerify(hash: HashName, mHash: Uint8Array, block: Buffer, modBits: number): boolean {
  const hLen = digestSize[hash];
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  if (mHash.length !== hLen || emLen < 2 * hLen + 2) return false;
  const lead = block.subarray(0, block.length - emLen);
  if (lead.some((b) => b !== 0)) return false;
  const em = block.subarray(block.length - emLen);
  if (em[emLen - 1] !== 0xbc) return false;
  const maskedDb = em.subarray(0, emLen - hLen - 1);
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  const topMask = 0xff >> (8 * emLen - emBits);
  if ((maskedDb[0]! & ~topMask) !== 0) return false;
  const db = xor(maskedDb, mgf1(hash, h, emLen - hLen - 1));
  db[0]! &= topMask;
  const psLen = emLen - 2 * hLen - 2;
  for (let i = 0; i < psLen; i++) if (db[i] !== 0) return false;
  if (db[psLen] !== 1) return false;
  const salt = db.subarray(db.length - hLen);
  return digest(hash, Buffer.alloc(8), mHash, salt).equals(h);
}

/** EME-PKCS1-v1_5 decoding (RFC 8017 §7.2.2) of a `k`-byte block; undefined when malformed. */
export function emePkcs1v15Decode(em: Buffer): Buffer | undefined {
  if (em[0] !== 0 || em[1] !== 2) return undefined;
  const sep = em.indexOf(0, 2);
  if (sep < 10) return undefined; // at least 8 bytes of nonzero padding
  return em.subarray(sep + 1);
}

/** EME-OAEP decoding (RFC 8017 §7.1.2) with an empty label and MGF1 of the same hash; undefined when malformed. */
export function emeOaepDecode(hash: HashName, em: Buffer): Buffer | undefined {
  const hLen = digestSize[hash];
  const k = em.length;
  if (k < 2 * hLen + 2 || em[0] !== 0) return undefined;
  const maskedSeed = em.subarray(1, 1 + hLen);
  const maskedDb = em.subarray(1 + hLen);
  const seed = xor(maskedSeed, mgf1(hash, maskedDb, hLen));
  const db = xor(maskedDb, mgf1(hash, seed, k - hLen - 1));
  if (!db.subarray(0, hLen).equals(digest(hash))) return undefined;
  let i = hLen;
  while (i < db.length && db[i] === 0) i++;
  if (db[i] !== 1) return undefined;
  return db.subarray(i + 1);
}

/** RSAES-OAEP or RSAES-PKCS1-v1_5 encryption with a public key (node pads). */
export function rsaPaddedEncrypt(publicKey: KeyObject, oaepHash: HashName | undefined, plaintext: Uint8Array): Buffer {
  return oaepHash
    ? publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, plaintext)
    : publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, plaintext);
}

/** ECDSA over a given digest (no hashing: noble truncates it to the order's bit length, as X9.62 does); DER or r‖s. */
export function ecdsaSign(curve: CurveInfo, scalar: Uint8Array, hash: Uint8Array, format: 'der' | 'compact'): Uint8Array {
  return curve.noble.sign(hash, scalar, { prehash: false, lowS: false, format });
}

/** Verifies an ECDSA signature over a given digest; false for a malformed signature. */
export function ecdsaVerify(curve: CurveInfo, point: Uint8Array, hash: Uint8Array, signature: Uint8Array, format: 'der' | 'compact'): boolean {
  try {
    return curve.noble.verify(signature, hash, point, { prehash: false, lowS: false, format });
  } catch {
    return false;
  }
}

/** ECDH: the X coordinate of d·Q, padded to the field size. */
export function ecdh(privateKey: KeyObject, publicKey: KeyObject): Buffer {
  return diffieHellman({ privateKey, publicKey });
}

/** ANSI X9.63 KDF: Hash(Z ‖ counter₃₂ ‖ sharedInfo) for counter = 1, 2, …, truncated to `length`. */
export function kdfX963(hash: HashName, z: Uint8Array, sharedInfo: Uint8Array, length: number): Buffer {
  const out: Buffer[] = [];
  let have = 0;
  for (let counter = 1; have < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    const block = digest(hash, z, c, sharedInfo);
    out.push(block);
    have += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/** The 16-byte tag Apple's IES and RSA-wrap modes append. */
export const GCM_TAG_LENGTH = 16;

function gcmName(key: Uint8Array): 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' {
  if (key.length === 16) return 'aes-128-gcm';
  if (key.length === 24) return 'aes-192-gcm';
  if (key.length === 32) return 'aes-256-gcm';
  throw new Error(`AES key of ${key.length} bytes`);
}

/** AES-GCM encryption: ciphertext ‖ 16-byte tag. */
export function gcmSeal(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Buffer {
  const c = createCipheriv(gcmName(key), key, iv, { authTagLength: GCM_TAG_LENGTH });
  c.setAAD(aad);
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
}

/** AES-GCM decryption of ciphertext ‖ tag; throws when the tag does not match. */
export function gcmOpen(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Buffer {
  const d = createDecipheriv(gcmName(key), key, iv, { authTagLength: GCM_TAG_LENGTH });
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - GCM_TAG_LENGTH));
  return Buffer.concat([d.update(sealed.subarray(0, sealed.length - GCM_TAG_LENGTH)), d.final()]);
}
