/**
 * The enclave: a per-device component whose own key never leaves it. It
 * makes P-256 keys inside and hands out only a *wrapped* key, an opaque blob
 * the keychain stores like any other attribute; signing and key agreement
 * are done by the enclave with a blob it unwraps for the call only. A key is
 * protected by the enclave, not stored in it (seed 000, "Keys Aren't Stored
 * in the Secure Enclave"): the enclave has no storage of its own beyond its
 * one key, and a blob from another enclave (the keychain copied to another
 * device) cannot be used.
 *
 * A blob binds the key's access control (protection class and flags) as
 * associated data, so editing either in the blob makes it unusable: like
 * kSecAttrAccessControl on Apple's platforms, they are add-only.
 *
 * This interface is what a TPM 2.0 backend would implement (TPM2_Create under
 * a storage key for `createKey`, TPM2_Load + TPM2_Sign / TPM2_ECDH_ZGen for
 * `sign` / `deriveSharedSecret`). Exporting a private key is impossible by
 * design: there is no export operation. `use` hands a software backend's key
 * object to a callback for the SecKey functions built on node:crypto; a
 * hardware backend cannot offer it and throws errSecUnimplemented, and the
 * SecKey functions then go through `sign` / `deriveSharedSecret`.
 *
 * Errors (SecError), documented because the engine reports them:
 * - errSecItemNotFound: the blob was wrapped by another enclave, or this
 *   device has no enclave at all. Apple's keychain answers a Secure Enclave
 *   key restored onto another device the same way (its private half is not
 *   found there: it never migrates), so the engine may let it surface as is.
 * - errSecDecode: the blob is malformed, or names this enclave but does not
 *   authenticate (altered, e.g. its access control edited).
 * - errSecParam: a bad argument (a peer public key that is not a P-256 point).
 * @module
 */
import type { KeyObject } from 'node:crypto';
import type { ProtectionClass } from '../schema/protection.js';

/** The access control a wrapped key is bound to (add-only). */
export interface EnclaveKeyBinding {
  /** The kSecAttrAccessible class of kSecAttrAccessControl. */
  readonly protection: ProtectionClass;
  /** SecAccessControlCreateFlags bits. */
  readonly flags: number;
}

/** A key made inside an enclave: the opaque blob to store, and its public key. */
export interface WrappedEnclaveKey {
  /** Opaque; only the enclave that made it can use it. */
  readonly wrapped: Uint8Array;
  /** The public key, ANSI X9.63 uncompressed (0x04 ‖ x ‖ y, 65 bytes). */
  readonly publicKeyX963: Uint8Array;
}

/** What a blob says about itself (read without unwrapping; verified on every use). */
export interface WrappedKeyInfo extends EnclaveKeyBinding {
  readonly publicKeyX963: Uint8Array;
}

export interface Enclave {
  /** kSecAttrTokenID of the keys it makes. */
  readonly tokenID: string;
  /** Makes a P-256 key inside the enclave, bound to `binding`. */
  createKey(binding: EnclaveKeyBinding): WrappedEnclaveKey;
  /**
   * The binding and public key a blob carries, after checking that it is
   * this enclave's (errSecItemNotFound otherwise; errSecDecode if malformed).
   * Does not prove the blob authentic: every use does.
   */
  inspect(wrapped: Uint8Array): WrappedKeyInfo;
  /** ECDSA P-256 over SHA-256 of `message`; the signature as X9.62 DER. */
  sign(wrapped: Uint8Array, message: Uint8Array): Uint8Array;
  /** ECDSA P-256 over a given SHA-256 digest (32 bytes); X9.62 DER. */
  signDigest(wrapped: Uint8Array, digest: Uint8Array): Uint8Array;
  /** ECDH with a peer's X9.63 public key: the shared x-coordinate (32 bytes). */
  deriveSharedSecret(wrapped: Uint8Array, peerPublicKeyX963: Uint8Array): Uint8Array;
  /**
   * Runs `fn` with the unwrapped private key as a node KeyObject, for that
   * call only (software backends; a hardware backend throws errSecUnimplemented).
   */
  use<T>(wrapped: Uint8Array, fn: (privateKey: KeyObject) => T): T;
}

/** kSecAttrTokenIDSecureEnclave. */
export const SECURE_ENCLAVE_TOKEN_ID = 'com.apple.setoken';
