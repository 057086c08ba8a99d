/**
 * The software enclave: the enclave's key is 32 random bytes in its own file
 * `<keychain>.enclave` (mode 0600), never in the database nor in the device
 * key file, so a keychain copied with its device key but without this file
 * keeps its passwords readable and its enclave keys unusable.
 *
 * A wrapped key (the blob the keychain stores):
 *
 *     "SEK1" ‖ enclave id (16) ‖ len (1) ‖ protection (ASCII) ‖ flags (u32 BE)
 *            ‖ public key X9.63 (65) ‖ nonce (12) ‖ AES-256-GCM(d) (32) ‖ tag (16)
 *
 * where d is the private scalar and everything before the nonce is the
 * associated data: the access control and the public key cannot be edited
 * without the blob failing to open. The wrapping key and the enclave id are
 * derived from the enclave key with HKDF-SHA256 under their own labels; the
 * id only lets a foreign blob be told apart from a damaged one.
 *
 * Scalars and encoded private keys are wiped as soon as a call is done with
 * them (node's KeyObject and ECDH copies are OpenSSL's and leave with them).
 * @module
 */
import { createECDH, createPrivateKey, hkdfSync, sign as nodeSign, type KeyObject } from 'node:crypto';
import { lstatSync } from 'node:fs';
import { p256 } from '@noble/curves/nist.js';
import { seal, open, SEAL_OVERHEAD } from '../crypto/aead.js';
import { wipe } from '../crypto/wipe.js';
import { freshRandom } from '../crypto/random.js';
import { SecError, errSecDecode, errSecItemNotFound, errSecParam } from '../status.js';
import { isAccessControlFlags, isProtectionClass } from '../schema/protection.js';
import { SECURE_ENCLAVE_TOKEN_ID, type Enclave, type EnclaveKeyBinding, type WrappedEnclaveKey, type WrappedKeyInfo } from './enclave.js';
import { createOwnerOnlyFile, readOwnerOnlyFile } from './owner-only-file.js';

export const ENCLAVE_KEY_BYTES = 32;
const WHAT = 'enclave file';
const MAGIC = Buffer.from('SEK1', 'ascii');
const ID_BYTES = 16;
const SCALAR_BYTES = 32;
const X963_BYTES = 65;
const WRAP_LABEL = 'secitem enclave: key wrapping v1';
const ID_LABEL = 'secitem enclave: enclave id v1';
/** PKCS#8 PrivateKeyInfo for a P-256 ECPrivateKey without its public key, up to the 32-byte scalar. */
/** SEC 1 ECPrivateKey for P-256 around the scalar d and the public key: version 1, d, [0] prime256v1, [1] the point. */
const SEC1_P256_HEAD = Buffer.from('30770201010420', 'hex');
const SEC1_P256_MIDDLE = Buffer.from('a00a06082a8648ce3d030107a144034200', 'hex');

/** The enclave file of a keychain database. */
export function enclavePath(databasePath: string): string {
  return `${databasePath}.enclave`;
}

function hkdf(key: Uint8Array, label: string, length: number): Buffer {
  const ab = hkdfSync('sha256', key, Buffer.alloc(0), label, length);
  const out = Buffer.from(new Uint8Array(ab));
  new Uint8Array(ab).fill(0);
  return out;
}

const decodeError = (why: string): SecError => new SecError(errSecDecode, `enclave key: ${why}`);
const foreignError = (): SecError =>
  new SecError(errSecItemNotFound, 'enclave key: it was made by another device’s enclave and cannot be used here');

interface ParsedBlob extends WrappedKeyInfo {
  readonly id: Uint8Array;
  /** Bytes of the associated data (the header), and where the sealed box starts. */
  readonly headerEnd: number;
}

function parseBlob(wrapped: unknown): ParsedBlob {
  if (!(wrapped instanceof Uint8Array)) throw new SecError(errSecParam, 'enclave key: the wrapped key must be bytes');
  const b = Buffer.from(wrapped.buffer, wrapped.byteOffset, wrapped.byteLength);
  if (b.length < MAGIC.length + ID_BYTES + 1 || !b.subarray(0, MAGIC.length).equals(MAGIC)) throw decodeError('not a wrapped enclave key');
  let at = MAGIC.length;
  const id = b.subarray(at, at + ID_BYTES);
  at += ID_BYTES;
  const len = b[at]!;
  at += 1;
  const protection = b.subarray(at, at + len).toString('latin1');
  at += len;
  if (!isProtectionClass(protection)) throw decodeError('unknown protection class');
  if (b.length !== at + 4 + X963_BYTES + SCALAR_BYTES + SEAL_OVERHEAD) throw decodeError('truncated or too long');
  const flags = b.readUInt32BE(at);
  at += 4;
  if (!isAccessControlFlags(flags)) throw decodeError('unknown access-control flags');
  const publicKeyX963 = Uint8Array.from(b.subarray(at, at + X963_BYTES));
  at += X963_BYTES;
  return { id, protection, flags, publicKeyX963, headerEnd: at };
}

/** Pads a big-endian scalar to 32 bytes (wiping the original). */
function scalar32(d: Buffer): Buffer {
  if (d.length === SCALAR_BYTES) return d;
  const out = Buffer.alloc(SCALAR_BYTES);
  d.copy(out, SCALAR_BYTES - d.length);
  wipe(d);
  return out;
}

/** Checks a peer's X9.63 uncompressed P-256 public key. */
export function checkPeerPublicKey(peer: unknown): Uint8Array {
  if (!(peer instanceof Uint8Array) || peer.length !== X963_BYTES || peer[0] !== 0x04) {
    throw new SecError(errSecParam, 'the peer public key must be an uncompressed X9.63 P-256 point (65 bytes, 0x04 ‖ x ‖ y)');
  }
  return peer;
}

/** An enclave whose key is held in this process (from its file, or supplied by the host). */
export class SoftwareEnclave implements Enclave {
  readonly tokenID = SECURE_ENCLAVE_TOKEN_ID;
  #wrapKey: Buffer | undefined;
  readonly #id: Buffer;

  private constructor(enclaveKey: Uint8Array) {
    this.#wrapKey = hkdf(enclaveKey, WRAP_LABEL, 32);
    this.#id = hkdf(enclaveKey, ID_LABEL, ID_BYTES);
  }

  /** Creates `<file>` with a new random enclave key; refuses a file already there (errSecInvalidKeychain). */
  static create(file: string): SoftwareEnclave {
    const key = freshRandom(ENCLAVE_KEY_BYTES);
    try {
      createOwnerOnlyFile(WHAT, file, key);
      return new SoftwareEnclave(key);
    } finally {
      wipe(key);
    }
  }

  /** Opens an enclave file: a regular file of this user's, mode 0600, 32 bytes; else errSecInvalidKeychain with the reason. */
  static open(file: string): SoftwareEnclave {
    const key = readOwnerOnlyFile(WHAT, file, ENCLAVE_KEY_BYTES);
    try {
      return new SoftwareEnclave(key);
    } finally {
      wipe(key);
    }
  }

  /** An enclave over a host-supplied 32-byte key (the caller may wipe its copy afterwards). */
  static fromKey(key: Uint8Array): SoftwareEnclave {
    if (!(key instanceof Uint8Array) || key.length !== ENCLAVE_KEY_BYTES) throw new SecError(errSecParam, `the enclave key must be ${ENCLAVE_KEY_BYTES} bytes`);
    return new SoftwareEnclave(key);
  }

  /** Forgets the enclave's keys; any later use throws errSecItemNotFound. */
  close(): void {
    wipe(this.#wrapKey);
    this.#wrapKey = undefined;
  }

  #key(): Buffer {
    if (this.#wrapKey === undefined) throw new SecError(errSecItemNotFound, 'enclave key: the enclave is closed');
    return this.#wrapKey;
  }

  createKey(binding: EnclaveKeyBinding): WrappedEnclaveKey {
    const { protection, flags } = binding ?? ({} as EnclaveKeyBinding);
    if (!isProtectionClass(protection)) throw new SecError(errSecParam, 'enclave key: protection must be one of the kSecAttrAccessible values');
    if (!isAccessControlFlags(flags)) throw new SecError(errSecParam, 'enclave key: flags must be a sum of SecAccessControlCreateFlags bits');
    const wrapKey = this.#key();
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const d = scalar32(ecdh.getPrivateKey());
    const publicKeyX963 = ecdh.getPublicKey(); // uncompressed
    const header = Buffer.alloc(MAGIC.length + ID_BYTES + 1 + protection.length + 4 + X963_BYTES);
    let at = MAGIC.copy(header, 0);
    at += this.#id.copy(header, at);
    header[at++] = protection.length;
    at += header.write(protection, at, 'latin1');
    at = header.writeUInt32BE(flags, at);
    publicKeyX963.copy(header, at);
    try {
      const box = seal(wrapKey, d, header);
      return { wrapped: new Uint8Array(Buffer.concat([header, box])), publicKeyX963: new Uint8Array(publicKeyX963) };
    } finally {
      wipe(d);
    }
  }

  inspect(wrapped: Uint8Array): WrappedKeyInfo {
    const p = parseBlob(wrapped);
    if (!this.#id.equals(p.id)) throw foreignError();
    return { protection: p.protection, flags: p.flags, publicKeyX963: p.publicKeyX963 };
  }

  /** The private scalar, for one call (the caller wipes it). */
  #unwrap(wrapped: Uint8Array): Buffer {
    const wrapKey = this.#key();
    const p = parseBlob(wrapped);
    if (!this.#id.equals(p.id)) throw foreignError();
    const d = open(wrapKey, wrapped, wrapped.subarray(0, p.headerEnd), p.headerEnd);
    if (d === undefined) throw decodeError('it does not authenticate (damaged, or its access control was edited)');
    return d;
  }

  #withScalar<T>(wrapped: Uint8Array, fn: (d: Buffer) => T): T {
    const d = this.#unwrap(wrapped);
    try {
      return fn(d);
    } finally {
      wipe(d);
    }
  }

  use<T>(wrapped: Uint8Array, fn: (privateKey: KeyObject) => T): T {
    const publicKeyX963 = parseBlob(wrapped).publicKeyX963;
    const key = this.#withScalar(wrapped, (d) => {
      // SEC 1 ECPrivateKey with its public key: OpenSSL need not multiply the point out again (a third of the time of PKCS#8 without it).
      const der = Buffer.concat([SEC1_P256_HEAD, d, SEC1_P256_MIDDLE, publicKeyX963]);
      try {
        return createPrivateKey({ key: der, format: 'der', type: 'sec1' });
      } finally {
        wipe(der);
      }
    });
    return fn(key);
  }

  sign(wrapped: Uint8Array, message: Uint8Array): Uint8Array {
    if (!(message instanceof Uint8Array)) throw new SecError(errSecParam, 'the data to sign must be bytes');
    return new Uint8Array(this.use(wrapped, (key) => nodeSign('sha256', message, { key, dsaEncoding: 'der' })));
  }

  signDigest(wrapped: Uint8Array, digest: Uint8Array): Uint8Array {
    if (!(digest instanceof Uint8Array) || digest.length !== 32) throw new SecError(errSecParam, 'the digest to sign must be 32 bytes (SHA-256)');
    return this.#withScalar(wrapped, (d) => p256.sign(digest, d, { prehash: false, lowS: false, format: 'der' }));
  }

  deriveSharedSecret(wrapped: Uint8Array, peerPublicKeyX963: Uint8Array): Uint8Array {
    const peer = checkPeerPublicKey(peerPublicKeyX963);
    return this.#withScalar(wrapped, (d) => {
      const ecdh = createECDH('prime256v1');
      ecdh.setPrivateKey(d);
      try {
        return new Uint8Array(ecdh.computeSecret(peer));
      } catch {
        throw new SecError(errSecParam, 'the peer public key is not a point on P-256');
      }
    });
  }
}

/**
 * The enclave of a keychain at `<database>.enclave`, opened when first
 * needed: the first key made creates the file (exclusively: one planted
 * there is refused); using a key when the file is absent (the keychain was
 * copied to another device without it) is errSecItemNotFound, and no file is
 * made for it. A file that is there but not acceptable is errSecInvalidKeychain.
 */
export class SoftwareEnclaveFile implements Enclave {
  readonly tokenID = SECURE_ENCLAVE_TOKEN_ID;
  readonly file: string;
  #enclave: SoftwareEnclave | undefined;

  constructor(file: string) {
    this.file = file;
  }

  #present(): boolean {
    try {
      lstatSync(this.file);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  #existing(): SoftwareEnclave {
    if (this.#enclave) return this.#enclave;
    if (!this.#present()) throw new SecError(errSecItemNotFound, `enclave key: this device has no enclave (${this.file} is absent), so keys made by another device's enclave cannot be used`);
    this.#enclave = SoftwareEnclave.open(this.file);
    return this.#enclave;
  }

  createKey(binding: EnclaveKeyBinding): WrappedEnclaveKey {
    if (!this.#enclave) this.#enclave = this.#present() ? SoftwareEnclave.open(this.file) : SoftwareEnclave.create(this.file);
    return this.#enclave.createKey(binding);
  }

  inspect(wrapped: Uint8Array): WrappedKeyInfo {
    return this.#existing().inspect(wrapped);
  }

  sign(wrapped: Uint8Array, message: Uint8Array): Uint8Array {
    return this.#existing().sign(wrapped, message);
  }

  signDigest(wrapped: Uint8Array, digest: Uint8Array): Uint8Array {
    return this.#existing().signDigest(wrapped, digest);
  }

  deriveSharedSecret(wrapped: Uint8Array, peerPublicKeyX963: Uint8Array): Uint8Array {
    return this.#existing().deriveSharedSecret(wrapped, peerPublicKeyX963);
  }

  use<T>(wrapped: Uint8Array, fn: (privateKey: KeyObject) => T): T {
    return this.#existing().use(wrapped, fn);
  }

  /** Forgets the enclave key (the file stays). */
  close(): void {
    this.#enclave?.close();
    this.#enclave = undefined;
  }
}
