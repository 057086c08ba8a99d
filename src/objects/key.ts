/**
 * SecKey: an asymmetric key (EC P-256/P-384/P-521 or RSA), in memory or
 * behind a keychain item or the enclave. A public key carries its node
 * KeyObject; a private key carries only a way to use its private half, so
 * an enclave key can be used without its bytes ever reaching this process.
 * @module
 */
import type { KeyObject } from 'node:crypto';

/** How a private key's private half is reached. */
export interface PrivateKeyAccess {
  /**
   * Runs `fn` with the private key. For an enclave key the enclave unwraps it
   * for the call only; for a keychain key this is where access control is
   * checked before the key is used.
   */
  use<T>(fn: (key: KeyObject) => T): T;
  /** Whether SecKeyCopyExternalRepresentation may export it (false for enclave keys). */
  readonly extractable: boolean;
  /** kSecAttrTokenID, e.g. kSecAttrTokenIDSecureEnclave; absent for software keys. */
  readonly tokenID?: string;
}

export class SecKey {
  /** The public half, or how to make it: a key read back from an item imports it only when it is used. */
  #publicKey: KeyObject | (() => KeyObject);
  readonly #private: PrivateKeyAccess | undefined;

  private constructor(publicKey: KeyObject | (() => KeyObject), access: PrivateKeyAccess | undefined) {
    this.#publicKey = publicKey;
    this.#private = access;
  }

  /** A public key. */
  static fromPublicKeyObject(publicKey: KeyObject): SecKey {
    return new SecKey(publicKey, undefined);
  }

  /** A software private key held in this process. */
  static fromPrivateKeyObject(privateKey: KeyObject, createPublic: (k: KeyObject) => KeyObject): SecKey {
    return new SecKey(createPublic(privateKey), { use: (fn) => fn(privateKey), extractable: true });
  }

  /**
   * A private key whose private half is reached through `access` (enclave or
   * keychain item); its public half given, or made by `publicKey()` at its
   * first use (OpenSSL's key import is most of a key lookup's time).
   */
  static fromPrivateAccess(publicKey: KeyObject | (() => KeyObject), access: PrivateKeyAccess): SecKey {
    return new SecKey(publicKey, access);
  }

  /** The public half as a node KeyObject. */
  get publicKeyObject(): KeyObject {
    if (typeof this.#publicKey === 'function') this.#publicKey = this.#publicKey();
    return this.#publicKey;
  }

  /** The private half's access, or undefined for a public key. */
  get privateAccess(): PrivateKeyAccess | undefined {
    return this.#private;
  }
}
