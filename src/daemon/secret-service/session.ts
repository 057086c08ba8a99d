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
import { wipe } from '../../crypto/wipe.js';
import { MODP2_BYTES, modp2KeyPair, modp2KeyPairAsync, modp2SharedSecret, type Modp2KeyPair } from './modp2.js';

/**
 * The next dh session's key pair, made ahead in node's thread pool so that
 * OpenSession only derives (each pair serves one session and is dropped).
 */
let spare: Modp2KeyPair | undefined;
let making = false;

/** Starts making the spare key pair if there is none (a provider calls it when it starts). */
export function prepareDhSessions(): void {
  if (spare !== undefined || making) return;
  making = true;
  modp2KeyPairAsync().then(
    (pair) => {
      spare = pair;
    },
    () => {
      // made on the spot by the next session instead
    },
  ).finally(() => {
    making = false;
  });
}

function takeKeyPair(): Modp2KeyPair {
  const pair = spare ?? modp2KeyPair();
  spare = undefined;
  prepareDhSessions();
  return pair;
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

/** The shared secret's AES key: HKDF-SHA256 of it padded to 128 bytes, empty salt and info, 16 bytes. */
export function dhAesKey(sharedSecret: Uint8Array): Buffer {
  const padded = Buffer.alloc(MODP2_BYTES);
  Buffer.from(sharedSecret).copy(padded, MODP2_BYTES - Math.min(MODP2_BYTES, sharedSecret.length));
  try {
    return Buffer.from(hkdfSync('sha256', padded, Buffer.alloc(0), Buffer.alloc(0), 16));
  } finally {
    wipe(padded);
  }
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
    if (!(input instanceof Uint8Array)) throw new Error('the client public key is not a byte array');
    const { privateKey, publicKey } = takeKeyPair();
    const shared = modp2SharedSecret(privateKey, input);
    const key = dhAesKey(shared);
    wipe(shared);
    return {
      session: { algorithm, encode: (s) => aesEncode(key, s), decode: (p, v) => aesDecode(key, p, v) },
      output: publicKey,
    };
  }
  return undefined;
}
