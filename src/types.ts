/**
 * The public shapes of the keychain API: dictionaries, results, clients.
 * Every layer may import this module (it holds types only).
 * @module
 */
import type { OSStatus, SecError } from './status.js';
import type { ProtectionClass } from './schema/protection.js';

export type { ProtectionClass };

/** A value a SecItem dictionary may hold. */
export type SecValue =
  | string
  | number
  | boolean
  | Date
  | Uint8Array
  | SecAccessControl
  | SecValue[]
  | { readonly [key: string]: SecValue };

/** A SecItem dictionary: keys are the kSec* constants (Apple's strings). */
export type SecDictionary = { readonly [key: string]: unknown };

/** What SecItemAdd and SecItemCopyMatching return. */
export interface SecItemResult {
  status: OSStatus;
  /** Present on success when the dictionary asked for a return value. */
  result?: unknown;
  /** Present on failure: the status as a SecError whose message says which key broke which rule. */
  error?: SecError;
}

/** The object SecAccessControlCreateWithFlags makes (kSecAttrAccessControl). */
export interface SecAccessControl {
  readonly kind: 'SecAccessControl';
  /** The kSecAttrAccessible value it carries. */
  readonly protection: ProtectionClass;
  /** SecAccessControlCreateFlags bits. */
  readonly flags: number;
}

/** The lock state of a keychain's keybag. */
export type LockState = 'beforeFirstUnlock' | 'locked' | 'unlocked';

/** A client application, described by its entitlements. */
export interface Entitlements {
  /** `application-identifier`: `TEAMID.bundle.id`. */
  applicationIdentifier: string;
  /** `keychain-access-groups`, in entitlement order. */
  keychainAccessGroups?: readonly string[];
  /** `com.apple.security.application-groups`. */
  applicationGroups?: readonly string[];
}

/** The four SecItem functions as one application sees them. */

/** Options for openKeychain. */
export interface OpenKeychainOptions {
  /** The keychain database file. Created (with its device key) when absent. */
  path: string;
  /** Creates the keychain with this passcode, or unlocks an existing one: text, or bytes (which the caller may wipe afterwards). */
  passcode?: string | Uint8Array;
  /**
   * The 32-byte device key, supplied by the host instead of the key file
   * beside the database.
   */
  deviceKey?: Uint8Array;
}
