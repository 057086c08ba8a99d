/**
 * Password-based keys and decryption for PKCS#12 (RFC 7292), as Apple's
 * p12import.c / p12pbegen.c use them:
 * - the PKCS#12 appendix B key derivation (passphrase as big-endian UTF-16
 *   with a trailing NUL), for the MAC key and the legacy PBE schemes
 *   (pbeWithSHAAnd3-KeyTripleDES-CBC, …40BitRC2-CBC, …128BitRC2-CBC, RC4);
 * - PBES2 with PBKDF2 (passphrase as UTF-8) and AES-CBC or 3DES-CBC, which
 *   `openssl pkcs12 -export` writes by default on OpenSSL 3.
 * node:crypto does the hashing, HMAC, PBKDF2, AES and 3DES; node-forge does
 * what Node 20's OpenSSL 3 lacks: RC2 (legacy provider) and the appendix B KDF.
 *
 * Failures throw Pkcs12CryptoError with a reason that never includes the
 * passphrase or key material.
 * @module
 */
import { createDecipheriv, pbkdf2Sync } from 'node:crypto';
import forge from 'node-forge';
import { DerError, TAG, childrenOf, contentOf, decodeWhole, expectTag, oidToString, type DerItem } from './der.js';

/** A PKCS#12 decryption or key-derivation failure. */
export class Pkcs12CryptoError extends Error {
  constructor(message: string) {
    super(message);
    Object.defineProperty(this, 'name', { value: 'Pkcs12CryptoError', enumerable: false });
  }
}

/** Digest names node:crypto and forge know, by digest OID. */
export const DIGESTS: ReadonlyMap<string, { node: string; length: number }> = new Map([
  ['1.3.14.3.2.26', { node: 'sha1', length: 20 }],
  ['2.16.840.1.101.3.4.2.1', { node: 'sha256', length: 32 }],
  ['2.16.840.1.101.3.4.2.2', { node: 'sha384', length: 48 }],
  ['2.16.840.1.101.3.4.2.3', { node: 'sha512', length: 64 }],
]);

/** PKCS#12 appendix B diversifiers. */
export const enum KdfPurpose {
  Key = 1,
  IV = 2,
  MAC = 3,
}

function forgeDigest(name: string): forge.md.MessageDigest {
  switch (name) {
    case 'sha1':
      return forge.md.sha1.create();
    case 'sha256':
      return forge.md.sha256.create();
    case 'sha384':
      return forge.md.sha384.create();
    case 'sha512':
      return forge.md.sha512.create();
    default:
      throw new Pkcs12CryptoError(`unsupported digest ${name}`);
  }
}

/**
 * The PKCS#12 appendix B derivation of `length` bytes for `purpose` from
 * `passphrase` (BMPString with a trailing NUL; "" gives just the NUL).
 * `iterations` below 1 count as 1 (the MacData default).
 */
export function pkcs12Kdf(passphrase: string, salt: Uint8Array, purpose: KdfPurpose, iterations: number, length: number, digest = 'sha1'): Uint8Array {
  const saltBuffer = forge.util.createBuffer(Buffer.from(salt).toString('binary'));
  const out = forge.pkcs12.generateKey(passphrase, saltBuffer, purpose, Math.max(1, iterations), length, forgeDigest(digest));
  return Uint8Array.from(Buffer.from(out.getBytes(), 'binary'));
}

/** INTEGER content as a non-negative safe number (iteration counts, key lengths). */
function smallInteger(item: DerItem, what: string): number {
  const c = contentOf(expectTag(item, TAG.INTEGER, what));
  if (c.length === 0 || c.length > 4 || (c[0]! & 0x80) !== 0) throw new Pkcs12CryptoError(`${what} out of range`);
  return c.reduce((n, b) => n * 256 + b, 0);
}

/** An AlgorithmIdentifier: OID and the encoded parameters (if any). */
export interface Algorithm {
  readonly oid: string;
  readonly parameters: Uint8Array | undefined;
}

/** Splits an encoded AlgorithmIdentifier. */
export function parseAlgorithm(encoded: Uint8Array): Algorithm {
  const parts = childrenOf(expectTag(decodeWhole(encoded), TAG.SEQUENCE, 'AlgorithmIdentifier'));
  if (parts.length < 1 || parts.length > 2) throw new DerError('malformed AlgorithmIdentifier');
  const oid = oidToString(contentOf(expectTag(parts[0]!, TAG.OID, 'algorithm')));
  const p = parts[1];
  return { oid, parameters: p ? p.buffer.slice(p.start, p.end) : undefined };
}

const PKCS12_PBE = '1.2.840.113549.1.12.1.';
const PBES2 = '1.2.840.113549.1.5.13';
const PBKDF2 = '1.2.840.113549.1.5.12';

/** Legacy PKCS#12 schemes: cipher, key bytes, IV bytes (Apple's pkcsOidInfos; 2-key 3DES is unsupported there too). */
const LEGACY: ReadonlyMap<string, { cipher: 'rc4' | 'des-ede3-cbc' | 'rc2'; keyLength: number; ivLength: number }> = new Map([
  [`${PKCS12_PBE}1`, { cipher: 'rc4', keyLength: 16, ivLength: 0 }],
  [`${PKCS12_PBE}2`, { cipher: 'rc4', keyLength: 5, ivLength: 0 }],
  [`${PKCS12_PBE}3`, { cipher: 'des-ede3-cbc', keyLength: 24, ivLength: 8 }],
  [`${PKCS12_PBE}5`, { cipher: 'rc2', keyLength: 16, ivLength: 8 }],
  [`${PKCS12_PBE}6`, { cipher: 'rc2', keyLength: 5, ivLength: 8 }],
]);

/** PBKDF2 PRFs by OID. */
const PRFS: ReadonlyMap<string, string> = new Map([
  ['1.2.840.113549.2.7', 'sha1'],
  ['1.2.840.113549.2.9', 'sha256'],
  ['1.2.840.113549.2.10', 'sha384'],
  ['1.2.840.113549.2.11', 'sha512'],
]);

/** PBES2 encryption schemes by OID: node cipher name and key length. */
const PBES2_CIPHERS: ReadonlyMap<string, { cipher: string; keyLength: number }> = new Map([
  ['2.16.840.1.101.3.4.1.2', { cipher: 'aes-128-cbc', keyLength: 16 }],
  ['2.16.840.1.101.3.4.1.22', { cipher: 'aes-192-cbc', keyLength: 24 }],
  ['2.16.840.1.101.3.4.1.42', { cipher: 'aes-256-cbc', keyLength: 32 }],
  ['1.2.840.113549.3.7', { cipher: 'des-ede3-cbc', keyLength: 24 }],
]);

/** CBC decryption with PKCS#7 padding through node:crypto. */
function nodeDecrypt(cipher: string, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  try {
    const d = createDecipheriv(cipher, key, iv);
    return new Uint8Array(Buffer.concat([d.update(data), d.final()]));
  } catch {
    throw new Pkcs12CryptoError('decryption failed (bad padding: wrong passphrase or damaged data)');
  }
}

/** RC2-CBC (effective key bits = key length × 8) with PKCS#7 padding through node-forge. */
function rc2Decrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const cipher = forge.rc2.createDecryptionCipher(forge.util.createBuffer(Buffer.from(key).toString('binary')), key.length * 8);
  cipher.start(forge.util.createBuffer(Buffer.from(iv).toString('binary')));
  cipher.update(forge.util.createBuffer(Buffer.from(data).toString('binary')));
  if (!cipher.finish()) throw new Pkcs12CryptoError('decryption failed (bad padding: wrong passphrase or damaged data)');
  return Uint8Array.from(Buffer.from(cipher.output.getBytes(), 'binary'));
}

/** RC4, a stream cipher (no padding); Node 20 only offers it with the legacy provider. */
function rc4(key: Uint8Array, data: Uint8Array): Uint8Array {
  const s = Uint8Array.from({ length: 256 }, (_, i) => i);
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + s[i]! + key[i % key.length]!) & 0xff;
    [s[i], s[j]] = [s[j]!, s[i]!];
  }
  const out = new Uint8Array(data.length);
  for (let n = 0, i = 0, j = 0; n < data.length; n++) {
    i = (i + 1) & 0xff;
    j = (j + s[i]!) & 0xff;
    [s[i], s[j]] = [s[j]!, s[i]!];
    out[n] = data[n]! ^ s[(s[i]! + s[j]!) & 0xff]!;
  }
  return out;
}

/** pkcs-12PbeParams ::= SEQUENCE { salt OCTET STRING, iterations INTEGER } */
function legacyParams(parameters: Uint8Array | undefined): { salt: Uint8Array; iterations: number } {
  if (!parameters) throw new Pkcs12CryptoError('PBE parameters missing');
  const parts = childrenOf(expectTag(decodeWhole(parameters), TAG.SEQUENCE, 'pbeParams'));
  if (parts.length !== 2) throw new Pkcs12CryptoError('malformed PBE parameters');
  return { salt: contentOf(expectTag(parts[0]!, TAG.OCTET_STRING, 'salt')), iterations: smallInteger(parts[1]!, 'iterations') };
}

/** PBES2-params → PBKDF2 key and the cipher with its IV. */
function pbes2Decrypt(parameters: Uint8Array | undefined, passphrase: string, data: Uint8Array): Uint8Array {
  if (!parameters) throw new Pkcs12CryptoError('PBES2 parameters missing');
  const parts = childrenOf(expectTag(decodeWhole(parameters), TAG.SEQUENCE, 'PBES2-params'));
  if (parts.length !== 2) throw new Pkcs12CryptoError('malformed PBES2 parameters');
  const kdf = parseAlgorithm(parts[0]!.buffer.slice(parts[0]!.start, parts[0]!.end));
  const scheme = parseAlgorithm(parts[1]!.buffer.slice(parts[1]!.start, parts[1]!.end));
  if (kdf.oid !== PBKDF2 || !kdf.parameters) throw new Pkcs12CryptoError(`unsupported key derivation ${kdf.oid}`);
  const cipher = PBES2_CIPHERS.get(scheme.oid);
  if (!cipher) throw new Pkcs12CryptoError(`unsupported PBES2 cipher ${scheme.oid}`);
  if (!scheme.parameters) throw new Pkcs12CryptoError('PBES2 cipher IV missing');
  const iv = contentOf(expectTag(decodeWhole(scheme.parameters), TAG.OCTET_STRING, 'IV'));

  // PBKDF2-params ::= SEQUENCE { salt OCTET STRING, iterationCount INTEGER, keyLength INTEGER OPTIONAL, prf DEFAULT hmacWithSHA1 }
  const k = childrenOf(expectTag(decodeWhole(kdf.parameters), TAG.SEQUENCE, 'PBKDF2-params'));
  const salt = contentOf(expectTag(k[0] ?? failMissing('salt'), TAG.OCTET_STRING, 'salt'));
  const iterations = smallInteger(k[1] ?? failMissing('iterationCount'), 'iterationCount');
  let next = 2;
  let keyLength = cipher.keyLength;
  if (k[next]?.tag === TAG.INTEGER) keyLength = smallInteger(k[next++]!, 'keyLength');
  let prf = 'sha1';
  if (k[next]) {
    const prfOid = parseAlgorithm(k[next]!.buffer.slice(k[next]!.start, k[next]!.end)).oid;
    prf = PRFS.get(prfOid) ?? failUnsupported(`PBKDF2 PRF ${prfOid}`);
    next++;
  }
  if (next !== k.length || iterations < 1 || keyLength !== cipher.keyLength) throw new Pkcs12CryptoError('malformed PBKDF2 parameters');
  const key = pbkdf2Sync(Buffer.from(passphrase, 'utf8'), salt, iterations, keyLength, prf);
  return nodeDecrypt(cipher.cipher, key, iv, data);
}

function failMissing(what: string): never {
  throw new Pkcs12CryptoError(`${what} missing`);
}

function failUnsupported(what: string): never {
  throw new Pkcs12CryptoError(`unsupported ${what}`);
}

/**
 * Decrypts PKCS#12 content (a shrouded key bag or an encryptedData
 * SafeContents) encrypted with `algorithm` under `passphrase`.
 */
export function pbeDecrypt(algorithm: Algorithm, passphrase: string, data: Uint8Array): Uint8Array {
  try {
    if (algorithm.oid === PBES2) return pbes2Decrypt(algorithm.parameters, passphrase, data);
    const legacy = LEGACY.get(algorithm.oid);
    if (!legacy) throw new Pkcs12CryptoError(`unsupported encryption algorithm ${algorithm.oid}`);
    const { salt, iterations } = legacyParams(algorithm.parameters);
    const key = pkcs12Kdf(passphrase, salt, KdfPurpose.Key, iterations, legacy.keyLength);
    if (legacy.cipher === 'rc4') return rc4(key, data);
    const iv = pkcs12Kdf(passphrase, salt, KdfPurpose.IV, iterations, legacy.ivLength);
    return legacy.cipher === 'rc2' ? rc2Decrypt(key, iv, data) : nodeDecrypt(legacy.cipher, key, iv, data);
  } catch (e) {
    if (e instanceof DerError) throw new Pkcs12CryptoError(`malformed encryption parameters: ${e.message}`);
    throw e;
  }
}
