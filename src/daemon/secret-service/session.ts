/**
 * Secret Service transfer sessions: `plain` (secrets as they are, for a
 * bus the caller trusts) and `dh-ietf1024-sha256-aes128-cbc-pkcs7`
 * (Oakley group 2 Diffie-Hellman, HKDF-SHA256 of the shared secret padded
 * to 128 bytes, no salt and no info, to a 16-byte AES-128-CBC key; each
 * secret sent with a fresh 16-byte IV as its parameters, PKCS#7 padding),
 * as gnome-keyring, libsecret and Python's secretstorage implement them.
 * @module
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * RFC 2409's second Oakley group (1024-bit MODP, generator 2). The
 * arithmetic is BigInt's: node's DiffieHellman objects check the prime when
 * constructed, about 40 ms a session; two modular exponentiations here take
 * a few.
 */
export const MODP2_PRIME = BigInt(
  '0xFFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF',
);

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}
const toBig = (bytes: Uint8Array) => (bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`));
const toBytes = (n: bigint, length = 128) => Buffer.from(n.toString(16).padStart(length * 2, '0'), 'hex');

/** A modp2 key pair: the private exponent and the 128-byte public value. */
export function modp2KeyPair(): { privateKey: bigint; publicKey: Buffer } {
  const privateKey = toBig(randomBytes(128)) % (MODP2_PRIME - 2n) + 1n;
  return { privateKey, publicKey: toBytes(modPow(2n, privateKey, MODP2_PRIME)) };
}

/** The 128-byte shared secret with a peer's public value (refused unless 1 < y < p - 1). */
export function modp2SharedSecret(privateKey: bigint, peerPublic: Uint8Array): Buffer {
  const y = toBig(peerPublic);
  if (y <= 1n || y >= MODP2_PRIME - 1n) throw new Error('the client public key is not in the group');
  return toBytes(modPow(y, privateKey, MODP2_PRIME));
}

export const PLAIN = 'plain';
export const DH_AES = 'dh-ietf1024-sha256-aes128-cbc-pkcs7';

export interface TransferSession {
  readonly algorithm: string;
  /** The Secret struct's (parameters, value) for a secret sent to the client. */
  encode(secret: Uint8Array): { parameters: Buffer; value: Buffer };
  /** A secret the client sent; throws on a malformed one. */
  decode(parameters: Uint8Array, value: Uint8Array): Buffer;
}

/** The 128-byte shared secret's AES key (HKDF-SHA256, empty salt and info, 16 bytes). */
export function dhAesKey(sharedSecret: Uint8Array): Buffer {
  const padded = Buffer.alloc(128);
  Buffer.from(sharedSecret).copy(padded, 128 - Math.min(128, sharedSecret.length));
  return Buffer.from(hkdfSync('sha256', padded, Buffer.alloc(0), Buffer.alloc(0), 16));
}

export function aesEncode(key: Buffer, secret: Uint8Array): { parameters: Buffer; value: Buffer } {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-128-cbc', key, iv);
  return { parameters: iv, value: Buffer.concat([cipher.update(secret), cipher.final()]) };
}

export function aesDecode(key: Buffer, parameters: Uint8Array, value: Uint8Array): Buffer {
  if (parameters.length !== 16) throw new Error('the secret has no 16-byte IV');
  const decipher = createDecipheriv('aes-128-cbc', key, parameters);
  return Buffer.concat([decipher.update(value), decipher.final()]);
}

/** A session for an OpenSession call: the session and the output variant's bytes (dh: the server's public key), or undefined for an algorithm it does not support. */
export function openTransferSession(algorithm: string, input: unknown): { session: TransferSession; output: Buffer | string } | undefined {
  if (algorithm === PLAIN) {
    return {
      session: { algorithm, encode: (s) => ({ parameters: Buffer.alloc(0), value: Buffer.from(s) }), decode: (_p, v) => Buffer.from(v) },
      output: '',
    };
  }
  if (algorithm === DH_AES) {
    if (!(input instanceof Uint8Array) || input.length === 0 || input.length > 128) throw new Error('the client public key is not 1 to 128 bytes');
    const { privateKey, publicKey } = modp2KeyPair();
    const key = dhAesKey(modp2SharedSecret(privateKey, input));
    return {
      session: { algorithm, encode: (s) => aesEncode(key, s), decode: (p, v) => aesDecode(key, p, v) },
      output: publicKey,
    };
  }
  return undefined;
}
