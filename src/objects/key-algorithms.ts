/**
 * The SecKeyAlgorithm constants with Apple's exact string values
 * (OSX/sec/Security/SecKeyAdaptors.m), the SecKeyOperationType values, and
 * the dictionary keys SecKey functions take (key exchange parameters,
 * kSecPrivateKeyAttrs / kSecPublicKeyAttrs). Values only: what each
 * algorithm does is in key-operations.ts.
 * @module
 */

/** A kSecKeyAlgorithm* value (Apple's CFString). */
export type SecKeyAlgorithm = string;

/** SecKeyOperationType (SecKey.h). */
export const kSecKeyOperationTypeSign = 0;
export const kSecKeyOperationTypeVerify = 1;
export const kSecKeyOperationTypeEncrypt = 2;
export const kSecKeyOperationTypeDecrypt = 3;
export const kSecKeyOperationTypeKeyExchange = 4;
export type SecKeyOperationType = 0 | 1 | 2 | 3 | 4;

/** SecKeyCopyKeyExchangeResult parameters. */
export const kSecKeyKeyExchangeParameterRequestedSize = 'requestedSize';
export const kSecKeyKeyExchangeParameterSharedInfo = 'sharedInfo';

/** SecKeyCreateRandomKey sub-dictionaries of attributes for one half of the pair. */
export const kSecPrivateKeyAttrs = 'private';
export const kSecPublicKeyAttrs = 'public';


// ── RSA signatures ──
export const kSecKeyAlgorithmRSASignatureRaw = 'algid:sign:RSA:raw';
export const kSecKeyAlgorithmRSASignatureDigestPKCS1v15Raw = 'algid:sign:RSA:digest-PKCS1v15';
export const kSecKeyAlgorithmRSASignatureDigestPKCS1v15SHA1 = 'algid:sign:RSA:digest-PKCS1v15:SHA1';
export const kSecKeyAlgorithmRSASignatureDigestPKCS1v15SHA224 = 'algid:sign:RSA:digest-PKCS1v15:SHA224';
export const kSecKeyAlgorithmRSASignatureDigestPKCS1v15SHA256 = 'algid:sign:RSA:digest-PKCS1v15:SHA256';
export const kSecKeyAlgorithmRSASignatureDigestPKCS1v15SHA384 = 'algid:sign:RSA:digest-PKCS1v15:SHA384';
export const kSecKeyAlgorithmRSASignatureDigestPKCS1v15SHA512 = 'algid:sign:RSA:digest-PKCS1v15:SHA512';
export const kSecKeyAlgorithmRSASignatureDigestPKCS1v15MD5 = 'algid:sign:RSA:digest-PKCS1v15:MD5';
export const kSecKeyAlgorithmRSASignatureMessagePKCS1v15SHA1 = 'algid:sign:RSA:message-PKCS1v15:SHA1';
export const kSecKeyAlgorithmRSASignatureMessagePKCS1v15SHA224 = 'algid:sign:RSA:message-PKCS1v15:SHA224';
export const kSecKeyAlgorithmRSASignatureMessagePKCS1v15SHA256 = 'algid:sign:RSA:message-PKCS1v15:SHA256';
export const kSecKeyAlgorithmRSASignatureMessagePKCS1v15SHA384 = 'algid:sign:RSA:message-PKCS1v15:SHA384';
export const kSecKeyAlgorithmRSASignatureMessagePKCS1v15SHA512 = 'algid:sign:RSA:message-PKCS1v15:SHA512';
export const kSecKeyAlgorithmRSASignatureMessagePKCS1v15MD5 = 'algid:sign:RSA:message-PKCS1v15:MD5';
export const kSecKeyAlgorithmRSASignatureDigestPSSSHA1 = 'algid:sign:RSA:digest-PSS:SHA1:SHA1:20';
export const kSecKeyAlgorithmRSASignatureDigestPSSSHA224 = 'algid:sign:RSA:digest-PSS:SHA224:SHA224:24';
export const kSecKeyAlgorithmRSASignatureDigestPSSSHA256 = 'algid:sign:RSA:digest-PSS:SHA256:SHA256:32';
export const kSecKeyAlgorithmRSASignatureDigestPSSSHA384 = 'algid:sign:RSA:digest-PSS:SHA384:SHA384:48';
export const kSecKeyAlgorithmRSASignatureDigestPSSSHA512 = 'algid:sign:RSA:digest-PSS:SHA512:SHA512:64';
export const kSecKeyAlgorithmRSASignatureMessagePSSSHA1 = 'algid:sign:RSA:message-PSS:SHA1:SHA1:20';
export const kSecKeyAlgorithmRSASignatureMessagePSSSHA224 = 'algid:sign:RSA:message-PSS:SHA224:SHA224:24';
export const kSecKeyAlgorithmRSASignatureMessagePSSSHA256 = 'algid:sign:RSA:message-PSS:SHA256:SHA256:32';
export const kSecKeyAlgorithmRSASignatureMessagePSSSHA384 = 'algid:sign:RSA:message-PSS:SHA384:SHA384:48';
export const kSecKeyAlgorithmRSASignatureMessagePSSSHA512 = 'algid:sign:RSA:message-PSS:SHA512:SHA512:64';

// ── ECDSA signatures (X962: DER ECDSA-Sig-Value; RFC4754: r‖s, each padded to the block size) ──
export const kSecKeyAlgorithmECDSASignatureDigestX962 = 'algid:sign:ECDSA:digest-X962';
export const kSecKeyAlgorithmECDSASignatureDigestX962SHA1 = 'algid:sign:ECDSA:digest-X962:SHA1';
export const kSecKeyAlgorithmECDSASignatureDigestX962SHA224 = 'algid:sign:ECDSA:digest-X962:SHA224';
export const kSecKeyAlgorithmECDSASignatureDigestX962SHA256 = 'algid:sign:ECDSA:digest-X962:SHA256';
export const kSecKeyAlgorithmECDSASignatureDigestX962SHA384 = 'algid:sign:ECDSA:digest-X962:SHA384';
export const kSecKeyAlgorithmECDSASignatureDigestX962SHA512 = 'algid:sign:ECDSA:digest-X962:SHA512';
export const kSecKeyAlgorithmECDSASignatureMessageX962SHA1 = 'algid:sign:ECDSA:message-X962:SHA1';
export const kSecKeyAlgorithmECDSASignatureMessageX962SHA224 = 'algid:sign:ECDSA:message-X962:SHA224';
export const kSecKeyAlgorithmECDSASignatureMessageX962SHA256 = 'algid:sign:ECDSA:message-X962:SHA256';
export const kSecKeyAlgorithmECDSASignatureMessageX962SHA384 = 'algid:sign:ECDSA:message-X962:SHA384';
export const kSecKeyAlgorithmECDSASignatureMessageX962SHA512 = 'algid:sign:ECDSA:message-X962:SHA512';
/** Deprecated by Apple: the same as kSecKeyAlgorithmECDSASignatureDigestRFC4754. */
export const kSecKeyAlgorithmECDSASignatureRFC4754 = 'algid:sign:ECDSA:RFC4754';
export const kSecKeyAlgorithmECDSASignatureDigestRFC4754 = 'algid:sign:ECDSA:digest-RFC4754';
export const kSecKeyAlgorithmECDSASignatureDigestRFC4754SHA1 = 'algid:sign:ECDSA:digest-RFC4754:SHA1';
export const kSecKeyAlgorithmECDSASignatureDigestRFC4754SHA224 = 'algid:sign:ECDSA:digest-RFC4754:SHA224';
export const kSecKeyAlgorithmECDSASignatureDigestRFC4754SHA256 = 'algid:sign:ECDSA:digest-RFC4754:SHA256';
export const kSecKeyAlgorithmECDSASignatureDigestRFC4754SHA384 = 'algid:sign:ECDSA:digest-RFC4754:SHA384';
export const kSecKeyAlgorithmECDSASignatureDigestRFC4754SHA512 = 'algid:sign:ECDSA:digest-RFC4754:SHA512';
export const kSecKeyAlgorithmECDSASignatureMessageRFC4754SHA1 = 'algid:sign:ECDSA:message-RFC4754:SHA1';
export const kSecKeyAlgorithmECDSASignatureMessageRFC4754SHA224 = 'algid:sign:ECDSA:message-RFC4754:SHA224';
export const kSecKeyAlgorithmECDSASignatureMessageRFC4754SHA256 = 'algid:sign:ECDSA:message-RFC4754:SHA256';
export const kSecKeyAlgorithmECDSASignatureMessageRFC4754SHA384 = 'algid:sign:ECDSA:message-RFC4754:SHA384';
export const kSecKeyAlgorithmECDSASignatureMessageRFC4754SHA512 = 'algid:sign:ECDSA:message-RFC4754:SHA512';

// ── Encryption ──
export const kSecKeyAlgorithmRSAEncryptionRaw = 'algid:encrypt:RSA:raw';
export const kSecKeyAlgorithmRSAEncryptionPKCS1 = 'algid:encrypt:RSA:PKCS1';
export const kSecKeyAlgorithmRSAEncryptionOAEPSHA1 = 'algid:encrypt:RSA:OAEP:SHA1';
export const kSecKeyAlgorithmRSAEncryptionOAEPSHA224 = 'algid:encrypt:RSA:OAEP:SHA224';
export const kSecKeyAlgorithmRSAEncryptionOAEPSHA256 = 'algid:encrypt:RSA:OAEP:SHA256';
export const kSecKeyAlgorithmRSAEncryptionOAEPSHA384 = 'algid:encrypt:RSA:OAEP:SHA384';
export const kSecKeyAlgorithmRSAEncryptionOAEPSHA512 = 'algid:encrypt:RSA:OAEP:SHA512';
export const kSecKeyAlgorithmRSAEncryptionOAEPSHA1AESGCM = 'algid:encrypt:RSA:OAEP:SHA1:AESGCM';
export const kSecKeyAlgorithmRSAEncryptionOAEPSHA224AESGCM = 'algid:encrypt:RSA:OAEP:SHA224:AESGCM';
export const kSecKeyAlgorithmRSAEncryptionOAEPSHA256AESGCM = 'algid:encrypt:RSA:OAEP:SHA256:AESGCM';
export const kSecKeyAlgorithmRSAEncryptionOAEPSHA384AESGCM = 'algid:encrypt:RSA:OAEP:SHA384:AESGCM';
export const kSecKeyAlgorithmRSAEncryptionOAEPSHA512AESGCM = 'algid:encrypt:RSA:OAEP:SHA512:AESGCM';
export const kSecKeyAlgorithmECIESEncryptionStandardX963SHA1AESGCM = 'algid:encrypt:ECIES:ECDH:KDFX963:SHA1:AESGCM';
export const kSecKeyAlgorithmECIESEncryptionStandardX963SHA224AESGCM = 'algid:encrypt:ECIES:ECDH:KDFX963:SHA224:AESGCM';
export const kSecKeyAlgorithmECIESEncryptionStandardX963SHA256AESGCM = 'algid:encrypt:ECIES:ECDH:KDFX963:SHA256:AESGCM';
export const kSecKeyAlgorithmECIESEncryptionStandardX963SHA384AESGCM = 'algid:encrypt:ECIES:ECDH:KDFX963:SHA384:AESGCM';
export const kSecKeyAlgorithmECIESEncryptionStandardX963SHA512AESGCM = 'algid:encrypt:ECIES:ECDH:KDFX963:SHA512:AESGCM';
export const kSecKeyAlgorithmECIESEncryptionCofactorX963SHA1AESGCM = 'algid:encrypt:ECIES:ECDHC:KDFX963:SHA1:AESGCM';
export const kSecKeyAlgorithmECIESEncryptionCofactorX963SHA224AESGCM = 'algid:encrypt:ECIES:ECDHC:KDFX963:SHA224:AESGCM';
export const kSecKeyAlgorithmECIESEncryptionCofactorX963SHA256AESGCM = 'algid:encrypt:ECIES:ECDHC:KDFX963:SHA256:AESGCM';
export const kSecKeyAlgorithmECIESEncryptionCofactorX963SHA384AESGCM = 'algid:encrypt:ECIES:ECDHC:KDFX963:SHA384:AESGCM';
export const kSecKeyAlgorithmECIESEncryptionCofactorX963SHA512AESGCM = 'algid:encrypt:ECIES:ECDHC:KDFX963:SHA512:AESGCM';
export const kSecKeyAlgorithmECIESEncryptionStandardVariableIVX963SHA224AESGCM = 'algid:encrypt:ECIES:ECDH:KDFX963:SHA224:AESGCM-KDFIV';
export const kSecKeyAlgorithmECIESEncryptionStandardVariableIVX963SHA256AESGCM = 'algid:encrypt:ECIES:ECDH:KDFX963:SHA256:AESGCM-KDFIV';
export const kSecKeyAlgorithmECIESEncryptionStandardVariableIVX963SHA384AESGCM = 'algid:encrypt:ECIES:ECDH:KDFX963:SHA384:AESGCM-KDFIV';
export const kSecKeyAlgorithmECIESEncryptionStandardVariableIVX963SHA512AESGCM = 'algid:encrypt:ECIES:ECDH:KDFX963:SHA512:AESGCM-KDFIV';
export const kSecKeyAlgorithmECIESEncryptionCofactorVariableIVX963SHA224AESGCM = 'algid:encrypt:ECIES:ECDHC:KDFX963:SHA224:AESGCM-KDFIV';
export const kSecKeyAlgorithmECIESEncryptionCofactorVariableIVX963SHA256AESGCM = 'algid:encrypt:ECIES:ECDHC:KDFX963:SHA256:AESGCM-KDFIV';
export const kSecKeyAlgorithmECIESEncryptionCofactorVariableIVX963SHA384AESGCM = 'algid:encrypt:ECIES:ECDHC:KDFX963:SHA384:AESGCM-KDFIV';
export const kSecKeyAlgorithmECIESEncryptionCofactorVariableIVX963SHA512AESGCM = 'algid:encrypt:ECIES:ECDHC:KDFX963:SHA512:AESGCM-KDFIV';

// ── Key exchange ──
export const kSecKeyAlgorithmECDHKeyExchangeStandard = 'algid:keyexchange:ECDH';
export const kSecKeyAlgorithmECDHKeyExchangeStandardX963SHA1 = 'algid:keyexchange:ECDH:KDFX963:SHA1';
export const kSecKeyAlgorithmECDHKeyExchangeStandardX963SHA224 = 'algid:keyexchange:ECDH:KDFX963:SHA224';
export const kSecKeyAlgorithmECDHKeyExchangeStandardX963SHA256 = 'algid:keyexchange:ECDH:KDFX963:SHA256';
export const kSecKeyAlgorithmECDHKeyExchangeStandardX963SHA384 = 'algid:keyexchange:ECDH:KDFX963:SHA384';
export const kSecKeyAlgorithmECDHKeyExchangeStandardX963SHA512 = 'algid:keyexchange:ECDH:KDFX963:SHA512';
export const kSecKeyAlgorithmECDHKeyExchangeCofactor = 'algid:keyexchange:ECDHC';
export const kSecKeyAlgorithmECDHKeyExchangeCofactorX963SHA1 = 'algid:keyexchange:ECDHC:KDFX963:SHA1';
export const kSecKeyAlgorithmECDHKeyExchangeCofactorX963SHA224 = 'algid:keyexchange:ECDHC:KDFX963:SHA224';
export const kSecKeyAlgorithmECDHKeyExchangeCofactorX963SHA256 = 'algid:keyexchange:ECDHC:KDFX963:SHA256';
export const kSecKeyAlgorithmECDHKeyExchangeCofactorX963SHA384 = 'algid:keyexchange:ECDHC:KDFX963:SHA384';
export const kSecKeyAlgorithmECDHKeyExchangeCofactorX963SHA512 = 'algid:keyexchange:ECDHC:KDFX963:SHA512';

// ── Algorithms of key types this package does not make (reference §6.2 "Others") ──
// Exported with Apple's values so that code naming them compiles and gets
// Apple's answer for an EC or RSA key: SecKeyIsAlgorithmSupported is false,
// and an operation under them fails with errSecParam.
export const kSecKeyAlgorithmEdDSASignatureMessageCurve25519SHA512 = 'algid:sign:EdDSA:message-Curve25519:SHA512';
export const kSecKeyAlgorithmEdDSASignatureMessageCurve448SHAKE256 = 'algid:sign:EdDSA:message-Curve448:SHAKE256';
export const kSecKeyAlgorithmKEMKyber = 'algid:kem:kyber';
export const kSecKeyAlgorithmKEMMLKEM = 'algid:kem:ML-KEM';
export const kSecKeyAlgorithmMLDSASignatureMessage = 'algid:sign:ML-DSA:message';

/**
 * Every EC and RSA algorithm constant above, by name. The EdDSA, KEM and
 * ML-DSA algorithms are not listed: this package has no key type that
 * could run them.
 */
export const secKeyAlgorithms: Readonly<Record<string, SecKeyAlgorithm>> = Object.freeze({
  kSecKeyAlgorithmRSASignatureRaw,
  kSecKeyAlgorithmRSASignatureDigestPKCS1v15Raw,
  kSecKeyAlgorithmRSASignatureDigestPKCS1v15SHA1,
  kSecKeyAlgorithmRSASignatureDigestPKCS1v15SHA224,
  kSecKeyAlgorithmRSASignatureDigestPKCS1v15SHA256,
  kSecKeyAlgorithmRSASignatureDigestPKCS1v15SHA384,
  kSecKeyAlgorithmRSASignatureDigestPKCS1v15SHA512,
  kSecKeyAlgorithmRSASignatureDigestPKCS1v15MD5,
  kSecKeyAlgorithmRSASignatureMessagePKCS1v15SHA1,
  kSecKeyAlgorithmRSASignatureMessagePKCS1v15SHA224,
  kSecKeyAlgorithmRSASignatureMessagePKCS1v15SHA256,
  kSecKeyAlgorithmRSASignatureMessagePKCS1v15SHA384,
  kSecKeyAlgorithmRSASignatureMessagePKCS1v15SHA512,
  kSecKeyAlgorithmRSASignatureMessagePKCS1v15MD5,
  kSecKeyAlgorithmRSASignatureDigestPSSSHA1,
  kSecKeyAlgorithmRSASignatureDigestPSSSHA224,
  kSecKeyAlgorithmRSASignatureDigestPSSSHA256,
  kSecKeyAlgorithmRSASignatureDigestPSSSHA384,
  kSecKeyAlgorithmRSASignatureDigestPSSSHA512,
  kSecKeyAlgorithmRSASignatureMessagePSSSHA1,
  kSecKeyAlgorithmRSASignatureMessagePSSSHA224,
  kSecKeyAlgorithmRSASignatureMessagePSSSHA256,
  kSecKeyAlgorithmRSASignatureMessagePSSSHA384,
  kSecKeyAlgorithmRSASignatureMessagePSSSHA512,
  kSecKeyAlgorithmECDSASignatureDigestX962,
  kSecKeyAlgorithmECDSASignatureDigestX962SHA1,
  kSecKeyAlgorithmECDSASignatureDigestX962SHA224,
  kSecKeyAlgorithmECDSASignatureDigestX962SHA256,
  kSecKeyAlgorithmECDSASignatureDigestX962SHA384,
  kSecKeyAlgorithmECDSASignatureDigestX962SHA512,
  kSecKeyAlgorithmECDSASignatureMessageX962SHA1,
  kSecKeyAlgorithmECDSASignatureMessageX962SHA224,
  kSecKeyAlgorithmECDSASignatureMessageX962SHA256,
  kSecKeyAlgorithmECDSASignatureMessageX962SHA384,
  kSecKeyAlgorithmECDSASignatureMessageX962SHA512,
  kSecKeyAlgorithmECDSASignatureRFC4754,
  kSecKeyAlgorithmECDSASignatureDigestRFC4754,
  kSecKeyAlgorithmECDSASignatureDigestRFC4754SHA1,
  kSecKeyAlgorithmECDSASignatureDigestRFC4754SHA224,
  kSecKeyAlgorithmECDSASignatureDigestRFC4754SHA256,
  kSecKeyAlgorithmECDSASignatureDigestRFC4754SHA384,
  kSecKeyAlgorithmECDSASignatureDigestRFC4754SHA512,
  kSecKeyAlgorithmECDSASignatureMessageRFC4754SHA1,
  kSecKeyAlgorithmECDSASignatureMessageRFC4754SHA224,
  kSecKeyAlgorithmECDSASignatureMessageRFC4754SHA256,
  kSecKeyAlgorithmECDSASignatureMessageRFC4754SHA384,
  kSecKeyAlgorithmECDSASignatureMessageRFC4754SHA512,
  kSecKeyAlgorithmRSAEncryptionRaw,
  kSecKeyAlgorithmRSAEncryptionPKCS1,
  kSecKeyAlgorithmRSAEncryptionOAEPSHA1,
  kSecKeyAlgorithmRSAEncryptionOAEPSHA224,
  kSecKeyAlgorithmRSAEncryptionOAEPSHA256,
  kSecKeyAlgorithmRSAEncryptionOAEPSHA384,
  kSecKeyAlgorithmRSAEncryptionOAEPSHA512,
  kSecKeyAlgorithmRSAEncryptionOAEPSHA1AESGCM,
  kSecKeyAlgorithmRSAEncryptionOAEPSHA224AESGCM,
  kSecKeyAlgorithmRSAEncryptionOAEPSHA256AESGCM,
  kSecKeyAlgorithmRSAEncryptionOAEPSHA384AESGCM,
  kSecKeyAlgorithmRSAEncryptionOAEPSHA512AESGCM,
  kSecKeyAlgorithmECIESEncryptionStandardX963SHA1AESGCM,
  kSecKeyAlgorithmECIESEncryptionStandardX963SHA224AESGCM,
  kSecKeyAlgorithmECIESEncryptionStandardX963SHA256AESGCM,
  kSecKeyAlgorithmECIESEncryptionStandardX963SHA384AESGCM,
  kSecKeyAlgorithmECIESEncryptionStandardX963SHA512AESGCM,
  kSecKeyAlgorithmECIESEncryptionCofactorX963SHA1AESGCM,
  kSecKeyAlgorithmECIESEncryptionCofactorX963SHA224AESGCM,
  kSecKeyAlgorithmECIESEncryptionCofactorX963SHA256AESGCM,
  kSecKeyAlgorithmECIESEncryptionCofactorX963SHA384AESGCM,
  kSecKeyAlgorithmECIESEncryptionCofactorX963SHA512AESGCM,
  kSecKeyAlgorithmECIESEncryptionStandardVariableIVX963SHA224AESGCM,
  kSecKeyAlgorithmECIESEncryptionStandardVariableIVX963SHA256AESGCM,
  kSecKeyAlgorithmECIESEncryptionStandardVariableIVX963SHA384AESGCM,
  kSecKeyAlgorithmECIESEncryptionStandardVariableIVX963SHA512AESGCM,
  kSecKeyAlgorithmECIESEncryptionCofactorVariableIVX963SHA224AESGCM,
  kSecKeyAlgorithmECIESEncryptionCofactorVariableIVX963SHA256AESGCM,
  kSecKeyAlgorithmECIESEncryptionCofactorVariableIVX963SHA384AESGCM,
  kSecKeyAlgorithmECIESEncryptionCofactorVariableIVX963SHA512AESGCM,
  kSecKeyAlgorithmECDHKeyExchangeStandard,
  kSecKeyAlgorithmECDHKeyExchangeStandardX963SHA1,
  kSecKeyAlgorithmECDHKeyExchangeStandardX963SHA224,
  kSecKeyAlgorithmECDHKeyExchangeStandardX963SHA256,
  kSecKeyAlgorithmECDHKeyExchangeStandardX963SHA384,
  kSecKeyAlgorithmECDHKeyExchangeStandardX963SHA512,
  kSecKeyAlgorithmECDHKeyExchangeCofactor,
  kSecKeyAlgorithmECDHKeyExchangeCofactorX963SHA1,
  kSecKeyAlgorithmECDHKeyExchangeCofactorX963SHA224,
  kSecKeyAlgorithmECDHKeyExchangeCofactorX963SHA256,
  kSecKeyAlgorithmECDHKeyExchangeCofactorX963SHA384,
  kSecKeyAlgorithmECDHKeyExchangeCofactorX963SHA512,
});
