/**
 * Diffie-Hellman in RFC 2409's second Oakley group (1024-bit MODP,
 * generator 2), as the Secret Service's `dh-ietf1024-…` sessions exchange
 * it: each side's public value as a big-endian byte string of at most 128
 * bytes. The arithmetic is OpenSSL's through node:crypto KeyObjects
 * (constant-time exponentiation with the private exponent).
 *
 * node:crypto takes a peer's public value only inside a key: an SPKI DER
 * made of our own key's AlgorithmIdentifier (which names the group) and the
 * peer's value as the subjectPublicKey's INTEGER. `getDiffieHellman('modp2')`
 * would take the raw value, but it checks the prime on construction (about
 * 40 ms a session); a KeyObject pair of the named group takes about 0.5 ms.
 * @module
 */
import { createPublicKey, diffieHellman, generateKeyPair, generateKeyPairSync, type KeyObject, type KeyPairKeyObjectResult } from 'node:crypto';

/** The group's size: public values and the shared secret are 128-byte numbers. */
export const MODP2_BYTES = 128;

/** p − 1 of the modp2 prime, big-endian (RFC 2409 §6.2: p = 2^1024 − 2^960 − 1 + 2^64·(⌊2^894·π⌋ + 129093)). */
const P_MINUS_1 = Buffer.from(
  'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFE',
  'hex',
);

// ── DER, just what an SPKI of a DH key needs ────────────────────────────────

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function derTlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);
}

/** Reads one TLV at `offset`: its tag, where its content starts and where it ends. */
function readTlv(der: Buffer, offset: number): { tag: number; offset: number; start: number; end: number } {
  const tag = der[offset];
  let length = der[offset + 1];
  if (tag === undefined || length === undefined) throw new Error('truncated DER');
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new Error('unsupported DER length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (der[start + i] ?? 0);
    start += count;
  }
  const end = start + length;
  if (end > der.length) throw new Error('truncated DER');
  return { tag, offset, start, end };
}

/** A non-negative integer's DER INTEGER content: leading zeros stripped, one 0x00 kept before a high bit. */
function derUnsigned(value: Buffer): Buffer {
  let i = 0;
  while (i < value.length - 1 && value[i] === 0) i++;
  const v = value.subarray(i);
  return v[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v;
}

/** `bytes` as a big-endian number of exactly `MODP2_BYTES` bytes (zeros on the left). */
function padded(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  const v = bytes.subarray(i);
  if (v.length > MODP2_BYTES) throw new Error('the value is longer than the modp2 group');
  const out = Buffer.alloc(MODP2_BYTES);
  v.copy(out, MODP2_BYTES - v.length);
  return out;
}

// ── Our key's SPKI: SEQUENCE { AlgorithmIdentifier, BIT STRING { 00, INTEGER y } } ──

function spkiParts(spki: Buffer): { algorithm: Buffer; y: Buffer } {
  const outer = readTlv(spki, 0);
  const algorithm = readTlv(spki, outer.start);
  const bits = readTlv(spki, algorithm.end);
  if (outer.tag !== 0x30 || algorithm.tag !== 0x30 || bits.tag !== 0x03 || spki[bits.start] !== 0) throw new Error('not a DH SubjectPublicKeyInfo');
  const y = readTlv(spki, bits.start + 1);
  if (y.tag !== 0x02) throw new Error('not a DH SubjectPublicKeyInfo');
  return { algorithm: spki.subarray(algorithm.offset, algorithm.end), y: spki.subarray(y.start, y.end) };
}

/** The group's AlgorithmIdentifier DER (dhKeyAgreement with p and g), taken from the first key made. */
let algorithmIdentifier: Buffer | undefined;

/** generateKeyPair(Sync)'s 'dh' type (node ≥ 15) with a named group; @types/node 20 does not declare that overload. */
const generateDhKeyPairSync = generateKeyPairSync as unknown as (type: 'dh', options: { group: 'modp2' }) => KeyPairKeyObjectResult;
const generateDhKeyPair = generateKeyPair as unknown as (
  type: 'dh', options: { group: 'modp2' }, callback: (err: Error | null, publicKey: KeyObject, privateKey: KeyObject) => void,
) => void;

function fromKeys(privateKey: KeyObject, publicKey: KeyObject): { privateKey: KeyObject; y: Buffer; algorithm: Buffer } {
  const { algorithm, y } = spkiParts(publicKey.export({ format: 'der', type: 'spki' }));
  algorithmIdentifier ??= Buffer.from(algorithm);
  return { privateKey, y, algorithm: algorithmIdentifier };
}

function keyPair(): { privateKey: KeyObject; y: Buffer; algorithm: Buffer } {
  const { privateKey, publicKey } = generateDhKeyPairSync('dh', { group: 'modp2' });
  return fromKeys(privateKey, publicKey);
}

export interface Modp2KeyPair {
  /** The private key (never leaves OpenSSL's key object). */
  readonly privateKey: KeyObject;
  /** The public value g^x mod p, 128 bytes big-endian. */
  readonly publicKey: Buffer;
}

/** A fresh modp2 key pair. */
export function modp2KeyPair(): Modp2KeyPair {
  const { privateKey, y } = keyPair();
  return { privateKey, publicKey: padded(y) };
}

/** A fresh modp2 key pair, made in node's thread pool. */
export function modp2KeyPairAsync(): Promise<Modp2KeyPair> {
  return new Promise((resolve, reject) => {
    generateDhKeyPair('dh', { group: 'modp2' }, (err, publicKey, privateKey) => {
      if (err) reject(err);
      else {
        const { y } = fromKeys(privateKey, publicKey);
        resolve({ privateKey, publicKey: padded(y) });
      }
    });
  });
}

/**
 * A peer's public value as a DH public key of the group; refused unless
 * 1 < y < p − 1 (0, 1 and p − 1 would make the shared secret 0, 1 or ±1).
 * The value is "an unsigned integer of arbitrary size, most-significant byte
 * first" (the specification): leading zeros are no part of it, and a client
 * may send one — Java's BigInteger.toByteArray(), which the Java
 * secret-service library sends, adds a zero byte whenever the high bit is set.
 */
export function modp2PeerKey(peerPublic: Uint8Array): KeyObject {
  const y = padded(Buffer.from(peerPublic));
  const nonZero = y.findIndex((b) => b !== 0);
  if (nonZero === -1 || (nonZero === MODP2_BYTES - 1 && y[nonZero] === 1) || Buffer.compare(y, P_MINUS_1) >= 0) {
    throw new Error('the client public key is not in the group');
  }
  const algorithm = algorithmIdentifier ?? keyPair().algorithm;
  const subjectPublicKey = derTlv(0x03, Buffer.concat([Buffer.from([0]), derTlv(0x02, derUnsigned(y))]));
  return createPublicKey({ key: derTlv(0x30, Buffer.concat([algorithm, subjectPublicKey])), format: 'der', type: 'spki' });
}

/** The shared secret with a peer's public value, 128 bytes big-endian (zeros on the left). */
export function modp2SharedSecret(privateKey: KeyObject, peerPublic: Uint8Array): Buffer {
  return padded(diffieHellman({ privateKey, publicKey: modp2PeerKey(peerPublic) }));
}
