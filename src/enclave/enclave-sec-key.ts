/**
 * A SecKey for a wrapped enclave key: its public half is an ordinary key
 * object; its private half is reached only through the enclave, which
 * unwraps the key for each call. It is never extractable, and its token is
 * kSecAttrTokenIDSecureEnclave.
 * @module
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { SecKey } from '../objects/key.js';
import { SecError, errSecDecode, errSecParam } from '../status.js';
import type { Enclave } from './enclave.js';

/** SubjectPublicKeyInfo for id-ecPublicKey / prime256v1, up to the 65-byte point. */
const SPKI_P256_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');

/** The SubjectPublicKeyInfo DER of an X9.63 uncompressed P-256 public key. */
export function p256SpkiFromX963(x963: Uint8Array): Uint8Array {
  if (!(x963 instanceof Uint8Array) || x963.length !== 65 || x963[0] !== 0x04) {
    throw new SecError(errSecParam, 'a P-256 public key must be X9.63 uncompressed (65 bytes, 0x04 ‖ x ‖ y)');
  }
  return new Uint8Array(Buffer.concat([SPKI_P256_PREFIX, x963]));
}

/** A node public KeyObject for an X9.63 P-256 public key. */
export function p256PublicKeyObject(x963: Uint8Array): KeyObject {
  try {
    return createPublicKey({ key: Buffer.from(p256SpkiFromX963(x963)), format: 'der', type: 'spki' });
  } catch (e) {
    if (e instanceof SecError) throw e;
    throw new SecError(errSecParam, 'the public key is not a point on P-256');
  }
}

export interface EnclaveSecKeyOptions {
  /** The key's public key (X9.63), as stored beside the blob; checked against the blob. */
  publicKeyX963: Uint8Array;
  /**
   * Called before every use of the private key (sign, decrypt, derive):
   * where the engine checks the item's access control (access/evaluate.ts,
   * authorize) and the lock state. Throws SecError to refuse.
   */
  authorize?: () => void;
}

/**
 * A private SecKey for `wrapped`. The blob must be this enclave's
 * (errSecItemNotFound otherwise, errSecDecode if malformed), and carry the
 * given public key (errSecDecode if not).
 */
export function enclaveSecKey(enclave: Enclave, wrapped: Uint8Array, options: EnclaveSecKeyOptions): SecKey {
  const info = enclave.inspect(wrapped);
  if (!Buffer.from(info.publicKeyX963).equals(Buffer.from(options.publicKeyX963))) {
    throw new SecError(errSecDecode, 'enclave key: the public key does not match the wrapped key');
  }
  const blob = Uint8Array.from(wrapped);
  const authorize = options.authorize;
  return SecKey.fromPrivateAccess(p256PublicKeyObject(info.publicKeyX963), {
    use: (fn) => {
      authorize?.();
      return enclave.use(blob, fn);
    },
    extractable: false,
    tokenID: enclave.tokenID,
  });
}
