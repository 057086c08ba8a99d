/**
 * secitem: the data-protection keychain of Apple's SecItem API, as an
 * encrypted SQLite item store. The public surface: re-exports only.
 * @module
 */
export * from './constants.js';
export {
  errSecSuccess,
  errSecUnimplemented,
  errSecDiskFull,
  errSecIO,
  errSecParam,
  errSecWrPerm,
  errSecAllocate,
  errSecUserCanceled,
  errSecBadReq,
  errSecInternalComponent,
  errSecNotAvailable,
  errSecReadOnly,
  errSecAuthFailed,
  errSecNoSuchKeychain,
  errSecInvalidKeychain,
  errSecDuplicateKeychain,
  errSecDuplicateItem,
  errSecItemNotFound,
  errSecNoSuchAttr,
  errSecInvalidItemRef,
  errSecNoSuchClass,
  errSecNoDefaultKeychain,
  errSecInteractionNotAllowed,
  errSecInteractionRequired,
  errSecInvalidOwnerEdit,
  errSecUnsupportedFormat,
  errSecPkcs12VerifyFailure,
  errSecDecode,
  errSecInternal,
  errSecMissingEntitlement,
  errSecRestrictedAPI,
  errSecCSReqFailed,
  errSecItemInvalidKey,
  errSecItemInvalidValue,
  errSecItemClassMissing,
  errSecItemIllegalQuery,
  errSecItemMatchUnsupported,
  errSecInvalidCertificate,
  errSecInvalidKey,
  knownStatuses,
  SecCopyErrorMessageString,
  SecError,
  SecCopyLastError,
  secCall,
} from './status.js';
export type { OSStatus, SecCallOutcome } from './status.js';
export { openKeychain, Keychain } from './secitem/keychain.js';
export type { KeychainReport, ItemState, RepairReport } from './secitem/verify.js';
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
