/**
 * openKeychain: one keychain file, its device key and keybag (lock state and
 * passcode), and the clients that call SecItem functions on it.
 * @module
 */
import { existsSync } from 'node:fs';
import { timingSafeEqual } from 'node:crypto';
import { SecError, errSecAuthFailed, errSecInvalidKeychain, errSecNotAvailable, errSecParam, type OSStatus } from '../status.js';
import { AccessPolicy, accessGroupList } from '../access/groups.js';
import { BlindIndex } from '../crypto/blind-index.js';
import { checkSuppliedDeviceKey, createDeviceKey, deviceKeyPath, readDeviceKey } from '../store/device-key-file.js';
import { CryptoError } from '../crypto/errors.js';
import { Keybag, createKeybagRecord, parseKeybagRecord, type KeybagRecord, type Passcode } from '../crypto/keybag.js';
import { copyBytes } from '../schema/values.js';
import { wipe } from '../crypto/wipe.js';
import { MultisetHash } from '../crypto/multiset-hash.js';
import { itemClasses } from '../schema/classes.js';
import { KeychainDatabase, type MetaKey } from '../store/database.js';
import { PASSCODE_SET_CLASS } from '../schema/protection.js';
import type { Entitlements, LockState, OpenKeychainOptions, SecDictionary, SecItemResult } from '../types.js';
import { resultOf, secResultOf, statusOf } from './call.js';
import type { ClientContext, Engine } from './context.js';
import { itemAdd, itemCopyMatching, itemDelete, itemUpdate } from './entry.js';
import { SECURE_ENCLAVE_TOKEN_ID } from '../enclave/enclave.js';
import { enclaveSecKey } from '../enclave/enclave-sec-key.js';
import { SoftwareEnclaveFile, enclavePath } from '../enclave/software-enclave.js';
import { secureEnclaveFor, type SecureEnclave } from '../enclave/cryptokit.js';
import type { SecKey } from '../objects/key.js';
import type { Item } from '../schema/values.js';
import { guardKey } from './authorization.js';
import { createRandomKey, type KeyDevice } from './create-key.js';
import { registerObjectKinds } from './object-kinds.js';
import { certificateSigningRequestOf } from './csr.js';
import { ObjectRegistry } from './object-refs.js';
import { attemptSeal, freshAttempts, parseLegacyAttempts, passcodeLockoutRemaining, sealAttempts, tryPasscode } from './passcode-attempts.js';
import type { RecordSeal } from '../crypto/record-seal.js';
import { repairKeychain, verifyKeychain, type KeychainReport, type RepairReport } from './verify.js';

const classes = [...itemClasses.values()];

function checkPasscode(name: string, value: unknown, nullable: boolean): Passcode | null {
  if (value === null && nullable) return null;
  if (typeof value === 'string' && value.length > 0) return value;
  // Bytes are copied (a caller's later change cannot race the KDF); the copy is wiped after use (forget).
  if (value instanceof Uint8Array && value.byteLength > 0) return copyBytes(value);
  throw new SecError(errSecParam, `${name} must be a non-empty string or non-empty data${nullable ? ', or null' : ''}`);
}

/** The keybag in the file, which must be the one the ledger's root names (never one restored from an older copy). */
function readKeybagRecord(db: KeychainDatabase): KeybagRecord {
  const raw = db.getMeta('keybag');
  if (db.ledger.namesOtherKeybag(raw)) {
    throw new SecError(errSecInvalidKeychain, "the keybag is not the one this keychain's ledger was kept with (restored from an older copy?)");
  }
  try {
    return parseKeybagRecord(String(raw));
  } catch {
    throw new SecError(errSecInvalidKeychain, 'the keybag is damaged');
  }
}

/** Wipes this module's copies of passcodes given as bytes. */
function forget(...passcodes: (Passcode | null)[]): void {
  for (const p of passcodes) if (p instanceof Uint8Array) wipe(p);
}

/** Unlocks a keybag; a wrong passcode is SecError(errSecAuthFailed). */
function unlockKeybag(keybag: Keybag, passcode: Passcode): void {
  try {
    keybag.unlock(passcode);
  } catch (e) {
    if (e instanceof CryptoError) throw new SecError(errSecAuthFailed);
    throw e;
  }
}

/** A client application, described by its entitlements: the SecItem functions as that app calls them. */
export interface KeychainClient {
  /** The client's access-group list, in the order the system builds it. */
  readonly accessGroups: readonly string[];
  SecItemAdd(attributes: SecDictionary): SecItemResult;
  SecItemCopyMatching(query: SecDictionary): SecItemResult;
  SecItemUpdate(query: SecDictionary, attributesToUpdate: SecDictionary): OSStatus;
  SecItemDelete(query: SecDictionary): OSStatus;
  /**
   * SecKeyCreateRandomKey for this app: like the module-level function, and
   * also permanent keys (kSecAttrIsPermanent, stored in this app's access
   * group) and Secure Enclave keys (kSecAttrTokenID = kSecAttrTokenIDSecureEnclave).
   */
  SecKeyCreateRandomKey(parameters: SecDictionary): { value?: SecKey; error?: SecError };
}

export class Keychain {
  readonly path: string;
  readonly #db: KeychainDatabase;
  readonly #keybag: Keybag;
  readonly #engine: Engine;
  /** This device's enclave: its own file beside the database, made with the first enclave key. */
  readonly #enclave: SoftwareEnclaveFile;
  /** The wrapped form of each enclave key this process has made or read (what its item stores). */
  readonly #wrapped = new WeakMap<SecKey, Uint8Array>();
  #secureEnclave: SecureEnclave | undefined;
  /** The seal of the passcode-attempt counter. */
  readonly #attempts: RecordSeal;
  #closed = false;

  private constructor(path: string, db: KeychainDatabase, deviceKey: Buffer, keybag: Keybag, attempts: RecordSeal) {
    this.path = path;
    this.#attempts = attempts;
    this.#db = db;
    this.#keybag = keybag;
    this.#engine = { db, keybag, blind: new BlindIndex(deviceKey), objects: new ObjectRegistry() };
    this.#enclave = new SoftwareEnclaveFile(enclavePath(path));
    registerObjectKinds(this.#engine.objects, {
      storedDataOf: (key) => this.#wrapped.get(key),
      tokenKeyFromItem: (item) => this.#enclaveKeyOf(item),
      guard: (key, item, options) => {
        const wrapped = this.#wrapped.get(key);
        const bound = wrapped === undefined ? undefined : this.#enclave.inspect(wrapped);
        const guarded = guardKey(key, item, options, () => this.#keybag.state, bound);
        if (wrapped !== undefined) this.#wrapped.set(guarded, wrapped);
        return guarded;
      },
    });
  }

  /** The key of an enclave key item; errSecItemNotFound where this device's enclave did not make it. */
  #enclaveKeyOf(item: Item): SecKey | undefined {
    if (item.attrs.get('tkid') !== SECURE_ENCLAVE_TOKEN_ID || item.data === undefined) return undefined;
    const { publicKeyX963 } = this.#enclave.inspect(item.data);
    const key = enclaveSecKey(this.#enclave, item.data, { publicKeyX963 });
    this.#wrapped.set(key, new Uint8Array(item.data));
    return key;
  }

  #keyDevice(): KeyDevice {
    return {
      enclave: this.#enclave,
      lockState: () => this.#keybag.state,
      remember: (key, wrapped) => this.#wrapped.set(key, wrapped),
      wrappedOf: (key) => this.#wrapped.get(key),
    };
  }

  /**
   * CryptoKit's SecureEnclave for this device: P-256 signing and key-agreement
   * keys that are no keychain items (the app keeps their dataRepresentation),
   * and certificate signing requests signed by them.
   */
  get secureEnclave(): SecureEnclave {
    this.#checkOpen();
    return (this.#secureEnclave ??= secureEnclaveFor({
      enclave: this.#enclave,
      lockState: () => this.#keybag.state,
      createCertificateSigningRequest: (key, subject) => certificateSigningRequestOf(key, subject),
    }));
  }

  /** See openKeychain. */
  static open(options: OpenKeychainOptions): Keychain {
    const passcode = typeof options === 'object' && options !== null && options.passcode !== undefined ? checkPasscode('passcode', options.passcode, false) : null;
    try {
      return Keychain.#open(options, passcode);
    } finally {
      forget(passcode);
    }
  }

  static #open(options: OpenKeychainOptions, passcode: Passcode | null): Keychain {
    if (typeof options !== 'object' || options === null || typeof options.path !== 'string' || options.path.length === 0) {
      throw new SecError(errSecParam, 'openKeychain needs a path');
    }
    const { path } = options;
    const supplied = options.deviceKey === undefined ? undefined : checkSuppliedDeviceKey(options.deviceKey);

    if (!existsSync(path)) {
      const deviceKey = supplied ?? createDeviceKey(deviceKeyPath(path));
      const record = createKeybagRecord(deviceKey, passcode);
      const ledgerHash = new MultisetHash(deviceKey);
      const meta = new Map<MetaKey, Buffer | string>([
        ['deviceCheck', BlindIndex.check(deviceKey)],
        ['keybag', JSON.stringify(record)],
        ['attempts', freshAttempts(attemptSeal(deviceKey))],
      ]);
      const db = KeychainDatabase.create(path, classes, meta, ledgerHash);
      db.startLedger(ledgerHash);
      const keybag = new Keybag(deviceKey, record);
      if (passcode !== null) keybag.unlock(passcode);
      return new Keychain(path, db, deviceKey, keybag, attemptSeal(deviceKey));
    }

    let deviceKey: Buffer | undefined = supplied;
    const keyOf = (): Buffer => (deviceKey ??= readDeviceKey(deviceKeyPath(path)));
    const confirmKeychain = (meta: (key: MetaKey) => unknown): void => {
      const check = meta('deviceCheck');
      const expected = BlindIndex.check(keyOf());
      if (!Buffer.isBuffer(check) || check.length !== expected.length || !timingSafeEqual(check, expected)) {
        throw new SecError(errSecInvalidKeychain, 'the device key does not belong to this keychain');
      }
    };
    let upgradeIndex: BlindIndex | undefined;
    const db = KeychainDatabase.open(path, classes, {
      confirmKeychain,
      ledgerHash: () => new MultisetHash(keyOf()),
      classIndex: (cls, firstStep) => (upgradeIndex ??= new BlindIndex(keyOf())).ofClass(cls, firstStep),
      sealLegacyAttempts: (raw) => sealAttempts(attemptSeal(keyOf()), parseLegacyAttempts(raw)),
    });
    try {
      confirmKeychain((key) => db.getMeta(key));
      const attempts = attemptSeal(keyOf());
      // A keybag the root does not name is refused as the keybag is read (readKeybagRecord).
      db.startLedger(new MultisetHash(keyOf()));
      let keybag: Keybag;
      try {
        keybag = new Keybag(keyOf(), readKeybagRecord(db));
      } catch (e) {
        if (e instanceof CryptoError) throw new SecError(errSecInvalidKeychain, 'the keybag is damaged');
        throw e;
      }
      if (passcode !== null && keybag.hasPasscode) tryPasscode(db, attempts, () => unlockKeybag(keybag, passcode));
      return new Keychain(path, db, keyOf(), keybag, attempts);
    } catch (e) {
      db.close();
      throw e;
    }
  }

  get lockState(): LockState {
    return this.#keybag.state;
  }

  get hasPasscode(): boolean {
    return this.#keybag.hasPasscode;
  }

  #guard(fn: string, step: () => void): OSStatus {
    return statusOf(fn, () => {
      this.#checkOpen();
      step();
    });
  }

  #checkOpen(): void {
    if (this.#closed) throw new SecError(errSecNotAvailable, 'the keychain is closed');
  }

  /**
   * Sets (current null, next a string), changes, or removes (next null) the
   * passcode. Removing it destroys every WhenPasscodeSetThisDeviceOnly item.
   * A wrong `current` answers errSecAuthFailed and changes nothing.
   */
  setPasscode(current: Passcode | null, next: Passcode | null): OSStatus {
    return this.#guard('setPasscode', () => {
      const cur = checkPasscode('current', current, true);
      const nxt = checkPasscode('next', next, true);
      try {
        const pending = tryPasscode(this.#db, this.#attempts, () => this.#db.write(() => {
          let change;
          try {
            this.#keybag.refresh(readKeybagRecord(this.#db));
            change = this.#keybag.changePasscode(cur, nxt);
          } catch (e) {
            if (e instanceof CryptoError) throw new SecError(errSecAuthFailed);
            throw e;
          }
          const keybag = JSON.stringify(change.record);
        this.#db.setMeta('keybag', keybag);
        this.#db.ledger.bindKeybag(keybag);
          if (nxt === null) for (const t of this.#db.tables) t.delete({ equal: [], pdmn: PASSCODE_SET_CLASS });
          return change;
        }));
        this.#keybag.adopt(pending);
      } finally {
        forget(cur, nxt);
      }
    });
  }

  /** Unlocks with the passcode (errSecAuthFailed when wrong). */
  unlock(passcode: Passcode): OSStatus {
    return this.#guard('unlock', () => {
      const p = checkPasscode('passcode', passcode, false)!;
      try {
        this.#keybag.refresh(readKeybagRecord(this.#db));
        if (this.#keybag.hasPasscode) tryPasscode(this.#db, this.#attempts, () => unlockKeybag(this.#keybag, p));
      } finally {
        forget(p);
      }
    });
  }

  /**
   * How long passcode entry stays disabled after repeated wrong passcodes
   * (milliseconds; 0 when a passcode may be tried now).
   */
  get passcodeRetryDelay(): number {
    return this.#closed ? 0 : passcodeLockoutRemaining(this.#db, this.#attempts);
  }

  /**
   * Runs `fn` as one write transaction: every SecItem call inside it commits
   * together (one sync to disk), and nothing is kept if `fn` throws. Each call
   * inside still answers its own OSStatus and, when it fails, changes nothing.
   * Meant for bulk loading (it is how the benchmark builds large keychains).
   */
  batch<T>(fn: () => T): T {
    this.#checkOpen();
    return this.#db.write(fn);
  }

  /**
   * The keychain's report on itself: the ledger's state, and every item that
   * is damaged or locked in the current lock state. Changes nothing. The
   * owner's view: it covers every access group.
   */
  verify(): KeychainReport {
    this.#checkOpen();
    return verifyKeychain(this.#engine);
  }

  /**
   * Rebuilds the ledger so it vouches for every item whose seal authenticates
   * in its own row (see secitem/verify.ts repairKeychain): the owner's way
   * back from a damaged ledger. Needs the keychain unlocked; deletes damaged
   * items only with `deleteDamaged`.
   */
  repair(options: { deleteDamaged?: boolean } = {}): RepairReport {
    this.#checkOpen();
    return repairKeychain(this.#engine, options.deleteDamaged === true);
  }

  /** Locks: WhenUnlocked keys leave memory; AfterFirstUnlock keys stay. */
  lock(): OSStatus {
    return this.#guard('lock', () => this.#keybag.lock());
  }

  /** Closes the file. Opening it again is a restart: before first unlock. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#enclave.close();
    this.#db.close();
  }

  /** A client application, described by its entitlements. */
  client(entitlements: Entitlements): KeychainClient {
    const access = new AccessPolicy(accessGroupList(entitlements));
    const client: ClientContext = { entitlements: Object.freeze({ ...entitlements }), access };
    const engine = this.#engine;
    const call = <T>(step: () => T): T => {
      this.#checkOpen();
      return step();
    };
    return Object.freeze({
      accessGroups: Object.freeze([...access.groups]),
      SecItemAdd: (attributes: SecDictionary) => resultOf('SecItemAdd', () => call(() => itemAdd(engine, client, attributes))),
      SecItemCopyMatching: (query: SecDictionary) => resultOf('SecItemCopyMatching', () => call(() => itemCopyMatching(engine, client, query))),
      SecItemUpdate: (query: SecDictionary, attributesToUpdate: SecDictionary) =>
        statusOf('SecItemUpdate', () => call(() => itemUpdate(engine, client, query, attributesToUpdate))),
      SecItemDelete: (query: SecDictionary) => statusOf('SecItemDelete', () => call(() => itemDelete(engine, client, query))),
      SecKeyCreateRandomKey: (parameters: SecDictionary) => secResultOf('SecKeyCreateRandomKey', () => call(() => createRandomKey(engine, client, this.#keyDevice(), parameters))),
    });
  }
}

/**
 * Opens the keychain at `options.path`, creating it (and its device key
 * file) when nothing is there. Throws SecError: errSecAuthFailed for a wrong
 * passcode, errSecInvalidKeychain for a file that is not a keychain (which
 * is left untouched) or a missing or foreign device key.
 */
export function openKeychain(options: OpenKeychainOptions): Keychain {
  return Keychain.open(options);
}
