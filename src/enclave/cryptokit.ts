/**
 * CryptoKit's SecureEnclave.P256 keys (seed 003): P-256 signing and
 * key-agreement keys protected by a device's enclave that are not keychain
 * items at all: the app keeps `dataRepresentation` (the wrapped key) itself
 * and restores the key from it.
 *
 *     const se = secureEnclaveFor({ enclave, lockState: () => kc.lockState });
 *     const key = new se.P256.Signing.PrivateKey();            // AfterFirstUnlockThisDeviceOnly
 *     const sig = key.signature(data);                         // { derRepresentation, rawRepresentation }
 *     const again = new se.P256.Signing.PrivateKey({ dataRepresentation: key.dataRepresentation });
 *
 * As in CryptoKit, the default access control is
 * kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly with no flags, so making
 * (or restoring, or using) a key before the first unlock throws
 * SecError(errSecInteractionNotAllowed); with an Always class it works. A
 * key's access control is bound into its dataRepresentation (it cannot be
 * changed); its constraints are checked on each use with the
 * authenticationContext given at construction (access/evaluate.ts). A
 * dataRepresentation from another device's enclave throws errSecItemNotFound,
 * a damaged one errSecDecode. Constructors and operations throw SecError.
 * @module
 */
import { p256 } from '@noble/curves/nist.js';
import { SecError, errSecInteractionNotAllowed, errSecParam, errSecUnimplemented } from '../status.js';
import { isAccessControlFlags, isProtectionClass, type ProtectionClass } from '../schema/protection.js';
import { kSecAccessControlApplicationPassword } from '../constants.js';
import type { LockState, SecAccessControl } from '../types.js';
import type { SecKey } from '../objects/key.js';
import { LAContext } from '../access/la-context.js';
import { authorize, protectionAvailable, type AccessOperation } from '../access/evaluate.js';
import type { Enclave, WrappedKeyInfo } from './enclave.js';
import { enclaveSecKey, p256SpkiFromX963 } from './enclave-sec-key.js';

/** What secureEnclaveFor needs of a device (a keychain). */
export interface SecureEnclaveDevice {
  readonly enclave: Enclave;
  /** The keychain's lock state now. */
  lockState(): LockState;
  /**
   * Builds a PKCS#10 CSR signed by `privateKey` for `subject` (written with
   * the certificates; each signature it makes goes through the key's checks).
   */
  createCertificateSigningRequest?: (privateKey: SecKey, subject: unknown) => Uint8Array;
}

export interface SecureEnclavePrivateKeyOptions {
  /** From SecAccessControlCreateWithFlags; default AfterFirstUnlockThisDeviceOnly, no flags. Not with dataRepresentation. */
  accessControl?: SecAccessControl;
  /** Authenticates the user for keys whose access control asks for it. */
  authenticationContext?: LAContext;
  /** Restores a key from its dataRepresentation. */
  dataRepresentation?: Uint8Array;
}

/** P256.Signing.PublicKey / P256.KeyAgreement.PublicKey. */
export interface P256PublicKey {
  /** ANSI X9.63 uncompressed: 0x04 ‖ x ‖ y (65 bytes). */
  readonly x963Representation: Uint8Array;
  /** SubjectPublicKeyInfo DER. */
  readonly derRepresentation: Uint8Array;
  /** x ‖ y (64 bytes). */
  readonly rawRepresentation: Uint8Array;
  /** PEM of the SubjectPublicKeyInfo. */
  readonly pemRepresentation: string;
}

/** P256.Signing.ECDSASignature. */
export interface P256ECDSASignature {
  /** X9.62 DER (SEQUENCE of r, s). */
  readonly derRepresentation: Uint8Array;
  /** r ‖ s (64 bytes). */
  readonly rawRepresentation: Uint8Array;
}

const DEFAULT_PROTECTION: ProtectionClass = 'cku';
const REASON = { sign: 'sign with a Secure Enclave key', derive: 'agree on a key with a Secure Enclave key' } as const;

function publicKeyOf(x963: Uint8Array): P256PublicKey {
  const x = Uint8Array.from(x963);
  const der = p256SpkiFromX963(x);
  const pem = `-----BEGIN PUBLIC KEY-----\n${Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PUBLIC KEY-----\n`;
  return Object.freeze({
    get x963Representation() {
      return Uint8Array.from(x);
    },
    get derRepresentation() {
      return Uint8Array.from(der);
    },
    get rawRepresentation() {
      return x.slice(1);
    },
    get pemRepresentation() {
      return pem;
    },
  });
}

function checkAccessControl(ac: unknown): SecAccessControl {
  const a = ac as SecAccessControl;
  if (typeof a !== 'object' || a === null || a.kind !== 'SecAccessControl' || !isProtectionClass(a.protection) || !isAccessControlFlags(a.flags)) {
    throw new SecError(errSecParam, 'accessControl must come from SecAccessControlCreateWithFlags');
  }
  if (((a.flags >>> 0) & kSecAccessControlApplicationPassword) !== 0) {
    throw new SecError(errSecParam, 'a Secure Enclave key cannot be protected by an application password here (no verifier is bound to it)');
  }
  return a;
}

let secKeyOf: (key: SecureEnclaveP256PrivateKey) => SecKey;
let deviceOf: (key: SecureEnclaveP256PrivateKey) => SecureEnclaveDevice;

/** What both kinds of key share: their creation, restoration and checks. */
export abstract class SecureEnclaveP256PrivateKey {
  readonly #device: SecureEnclaveDevice;
  readonly #wrapped: Uint8Array;
  readonly #info: WrappedKeyInfo;
  readonly #accessControl: SecAccessControl;
  readonly #context: LAContext | undefined;
  readonly #publicKey: P256PublicKey;

  static {
    deviceOf = (key) => key.#device;
    secKeyOf = (key) => enclaveSecKey(key.#device.enclave, key.#wrapped, { publicKeyX963: key.#info.publicKeyX963, authorize: () => key.#authorize('sign') });
  }

  protected constructor(device: SecureEnclaveDevice, options: SecureEnclavePrivateKeyOptions | undefined) {
    const opts = options ?? {};
    if (typeof opts !== 'object') throw new SecError(errSecParam, 'the options must be an object');
    const { accessControl, authenticationContext, dataRepresentation } = opts;
    if (authenticationContext !== undefined && !(authenticationContext instanceof LAContext)) throw new SecError(errSecParam, 'authenticationContext must be an LAContext');
    this.#device = device;
    this.#context = authenticationContext;
    if (dataRepresentation !== undefined) {
      if (!(dataRepresentation instanceof Uint8Array)) throw new SecError(errSecParam, 'dataRepresentation must be bytes');
      if (accessControl !== undefined) throw new SecError(errSecParam, 'a restored key keeps the access control bound into its dataRepresentation');
      this.#wrapped = Uint8Array.from(dataRepresentation);
      this.#info = device.enclave.inspect(this.#wrapped); // errSecItemNotFound from another enclave
      this.#requireAvailable();
      try {
        device.enclave.use(this.#wrapped, () => undefined); // authenticates the blob (errSecDecode when altered)
      } catch (e) {
        // a hardware backend cannot hand out the key: the blob is then checked on its first use
        if (!(e instanceof SecError && e.status === errSecUnimplemented)) throw e;
      }
    } else {
      const ac = accessControl === undefined ? { kind: 'SecAccessControl' as const, protection: DEFAULT_PROTECTION, flags: 0 } : checkAccessControl(accessControl);
      if (!protectionAvailable(ac.protection, device.lockState())) throw this.#unavailable(ac.protection);
      const made = device.enclave.createKey({ protection: ac.protection, flags: ac.flags });
      this.#wrapped = Uint8Array.from(made.wrapped);
      this.#info = { protection: ac.protection, flags: ac.flags, publicKeyX963: Uint8Array.from(made.publicKeyX963) };
    }
    this.#accessControl = Object.freeze({ kind: 'SecAccessControl', protection: this.#info.protection, flags: this.#info.flags });
    this.#publicKey = publicKeyOf(this.#info.publicKeyX963);
  }

  #unavailable(protection: ProtectionClass): SecError {
    const state = this.#device.lockState();
    return new SecError(errSecInteractionNotAllowed, `the key's protection class (${protection}) is not available while the keychain is ${state === 'beforeFirstUnlock' ? 'before its first unlock' : state}`);
  }

  #requireAvailable(): void {
    if (!protectionAvailable(this.#info.protection, this.#device.lockState())) throw this.#unavailable(this.#info.protection);
  }

  /** The lock state and the key's access control, before each use of the private key. */
  #authorize(operation: AccessOperation): void {
    this.#requireAvailable();
    authorize(this.#accessControl, operation, this.#context, { reason: operation === 'derive' ? REASON.derive : REASON.sign });
  }

  protected get wrapped(): Uint8Array {
    return this.#wrapped;
  }

  protected get device(): SecureEnclaveDevice {
    return this.#device;
  }

  protected checkUse(operation: AccessOperation): void {
    this.#authorize(operation);
  }

  /** The public key. */
  get publicKey(): P256PublicKey {
    return this.#publicKey;
  }

  /** The wrapped key, for the app to keep and restore the key from (usable only by this device's enclave). */
  get dataRepresentation(): Uint8Array {
    return Uint8Array.from(this.#wrapped);
  }

  /** The access control bound into the key. */
  get accessControl(): SecAccessControl {
    return this.#accessControl;
  }
}

/** SecureEnclave.P256.Signing.PrivateKey (a device's class extends it). */
export class SecureEnclaveSigningPrivateKey extends SecureEnclaveP256PrivateKey {
  /** ECDSA P-256 over SHA-256 of `data`. */
  signature(data: Uint8Array): P256ECDSASignature {
    if (!(data instanceof Uint8Array)) throw new SecError(errSecParam, 'the data to sign must be bytes');
    this.checkUse('sign');
    const der = this.device.enclave.sign(this.wrapped, data);
    const raw = p256.Signature.fromBytes(der, 'der').toBytes('compact');
    return Object.freeze({ derRepresentation: Uint8Array.from(der), rawRepresentation: Uint8Array.from(raw) });
  }
}

/** SecureEnclave.P256.KeyAgreement.PrivateKey (a device's class extends it). */
export class SecureEnclaveKeyAgreementPrivateKey extends SecureEnclaveP256PrivateKey {
  /** ECDH with a peer's X9.63 public key: the shared secret (the x-coordinate, 32 bytes). */
  sharedSecretFromKeyAgreement(peerPublicKeyX963: Uint8Array): Uint8Array {
    if (!(peerPublicKeyX963 instanceof Uint8Array)) throw new SecError(errSecParam, 'the peer public key must be bytes (X9.63)');
    this.checkUse('derive');
    return this.device.enclave.deriveSharedSecret(this.wrapped, peerPublicKeyX963);
  }
}

export type SigningPrivateKeyClass = new (options?: SecureEnclavePrivateKeyOptions) => SecureEnclaveSigningPrivateKey;
export type KeyAgreementPrivateKeyClass = new (options?: SecureEnclavePrivateKeyOptions) => SecureEnclaveKeyAgreementPrivateKey;

/** A device's `SecureEnclave`: `kc.secureEnclave`. */
export interface SecureEnclave {
  /** SecureEnclave.isAvailable. */
  readonly isAvailable: true;
  readonly P256: {
    readonly Signing: { readonly PrivateKey: SigningPrivateKeyClass };
    readonly KeyAgreement: { readonly PrivateKey: KeyAgreementPrivateKeyClass };
  };
  /** A PKCS#10 CSR for `subject`, signed by a Secure Enclave signing key of this device. */
  createCertificateSigningRequest(key: SecureEnclaveSigningPrivateKey, subject: unknown): Uint8Array;
}

/** The SecKey of a CryptoKit enclave key (non-extractable; each use goes through the key's checks). */
export function secureEnclaveKeySecKey(key: SecureEnclaveP256PrivateKey): SecKey {
  if (!(key instanceof SecureEnclaveP256PrivateKey)) throw new SecError(errSecParam, 'not a Secure Enclave key');
  return secKeyOf(key);
}

/** The SecureEnclave namespace of one device. */
export function secureEnclaveFor(device: SecureEnclaveDevice): SecureEnclave {
  class SigningPrivateKey extends SecureEnclaveSigningPrivateKey {
    constructor(options?: SecureEnclavePrivateKeyOptions) {
      super(device, options);
    }
  }
  class KeyAgreementPrivateKey extends SecureEnclaveKeyAgreementPrivateKey {
    constructor(options?: SecureEnclavePrivateKeyOptions) {
      super(device, options);
    }
  }
  Object.defineProperty(SigningPrivateKey, 'name', { value: 'PrivateKey' });
  Object.defineProperty(KeyAgreementPrivateKey, 'name', { value: 'PrivateKey' });
  return Object.freeze({
    isAvailable: true as const,
    P256: Object.freeze({
      Signing: Object.freeze({ PrivateKey: SigningPrivateKey }),
      KeyAgreement: Object.freeze({ PrivateKey: KeyAgreementPrivateKey }),
    }),
    createCertificateSigningRequest(key: SecureEnclaveSigningPrivateKey, subject: unknown): Uint8Array {
      if (!(key instanceof SecureEnclaveSigningPrivateKey) || deviceOf(key) !== device) {
        throw new SecError(errSecParam, 'the key must be a Secure Enclave P256.Signing.PrivateKey of this keychain');
      }
      if (device.createCertificateSigningRequest === undefined) throw new SecError(errSecUnimplemented, 'no CSR builder is attached to this keychain');
      return device.createCertificateSigningRequest(secKeyOf(key), subject);
    },
  });
}
