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
  errSecVerifyFailed,
  errSecKeySizeNotAllowed,
  knownStatuses,
  SecCopyErrorMessageString,
  SecError,
  SecCopyLastError,
  secCall,
} from './status.js';
export type { OSStatus, SecCallOutcome } from './status.js';
export { openKeychain, Keychain } from './secitem/keychain.js';
export type { KeychainClient } from './secitem/keychain.js';
export type { KeychainReport, ItemState, RepairReport } from './secitem/verify.js';
export { SecAccessControlCreateWithFlags } from './secitem/access-control.js';
export type {
  Entitlements,
  LockState,
  OpenKeychainOptions,
  ProtectionClass,
  SecAccessControl,
  SecDictionary,
  SecItemResult,
  SecValue,
} from './types.js';
export * from './objects/key-algorithms.js';
export { SecKey } from './objects/key.js';
export {
  SecKeyCreateRandomKey,
  SecKeyCreateWithData,
  SecKeyCopyExternalRepresentation,
  SecKeyCopyPublicKey,
  SecKeyCopyAttributes,
  SecKeyGetBlockSize,
  SecKeyCreateSignature,
  SecKeyVerifySignature,
  SecKeyCreateEncryptedData,
  SecKeyCreateDecryptedData,
  SecKeyCopyKeyExchangeResult,
  SecKeyIsAlgorithmSupported,
} from './objects/key-functions.js';
export type { SecResult } from './objects/key-functions.js';
export {
  SecCertificate,
  SecCertificateCreateWithData,
  SecCertificateCopyData,
  SecCertificateCopySubjectSummary,
  SecCertificateCopySerialNumberData,
  SecCertificateCopyKey,
  SecCertificateCopyNormalizedIssuerSequence,
  SecCertificateCopyNormalizedSubjectSequence,
} from './objects/certificate.js';
export { SecIdentity, SecIdentityCopyCertificate, SecIdentityCopyPrivateKey } from './objects/identity.js';
export {
  SecPKCS12Import,
  kSecImportExportPassphrase,
  kSecImportItemIdentity,
  kSecImportItemCertChain,
  kSecImportItemLabel,
  kSecImportItemKeyID,
  kSecImportItemTrust,
} from './objects/pkcs12.js';
export type { SecPKCS12ImportItem, SecPKCS12ImportResult } from './objects/pkcs12.js';
export { LAContext, LACredentialType, LATouchIDAuthenticationMaximumAllowableReuseDuration } from './access/la-context.js';
export type { LAContextOptions } from './access/la-context.js';
export { SecureEnclaveSigningPrivateKey, SecureEnclaveKeyAgreementPrivateKey } from './enclave/cryptokit.js';
export type { SecureEnclave, SecureEnclavePrivateKeyOptions, P256PublicKey, P256ECDSASignature } from './enclave/cryptokit.js';
export { connectKeychain, RemoteKey, RemoteIdentity } from './daemon/client.js';
export type { RemoteClient, ConnectOptions } from './daemon/client.js';
