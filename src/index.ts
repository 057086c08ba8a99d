/**
 * secitem: the data-protection keychain of Apple's SecItem API, as an
 * encrypted SQLite item store. The public surface: re-exports only.
 * @module
 */
export * from './constants.js';
export * from './status.js';
export { openKeychain, Keychain } from './secitem/keychain.js';
export { SecAccessControlCreateWithFlags } from './secitem/access-control.js';
export type {
  Entitlements,
  KeychainClient,
  LockState,
  OpenKeychainOptions,
  ProtectionClass,
  SecAccessControl,
  SecDictionary,
  SecItemResult,
  SecValue,
} from './types.js';
