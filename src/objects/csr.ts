/**
 * A PKCS#10 certificate signing request (RFC 2986) for an EC P-256 key,
 * signed with ecdsa-with-SHA256 by a caller-supplied signer, so the private
 * key may stay in the enclave or the keychain.
 * @module
 */
import type { KeyObject } from 'node:crypto';
import { SecError, errSecParam } from '../status.js';
import { DerError, TAG, childrenOf, concatBytes, decodeWhole, encodeTlv, expectTag } from './der.js';
import { encodeDistinguishedName, encodeOid } from './rfc4514.js';

/** ecdsa-with-SHA256 (RFC 5758): an AlgorithmIdentifier without parameters. */
const ECDSA_WITH_SHA256 = encodeTlv(TAG.SEQUENCE, encodeTlv(TAG.OID, encodeOid('1.2.840.10045.4.3.2')));

/** Throws unless `signature` is a DER ECDSA-Sig-Value: SEQUENCE { r INTEGER, s INTEGER }. */
function checkSignature(signature: unknown): Uint8Array {
  if (!(signature instanceof Uint8Array)) throw new SecError(errSecParam, 'the signer must return bytes');
  try {
    const parts = childrenOf(expectTag(decodeWhole(signature), TAG.SEQUENCE, 'ECDSA-Sig-Value'));
    if (parts.length !== 2) throw new DerError('ECDSA-Sig-Value must hold r and s');
    for (const p of parts) expectTag(p, TAG.INTEGER, 'ECDSA-Sig-Value');
  } catch (e) {
    if (e instanceof DerError) throw new SecError(errSecParam, `the signer did not return a DER ECDSA-Sig-Value: ${e.message}`);
    throw e;
  }
  return signature;
}

/**
 * The DER of a PKCS#10 CertificationRequest for `publicKey` (EC P-256)
 * naming `subject` (RFC 4514 text, e.g. "CN=host-42,O=Example"), with no
 * attributes. `sign` receives the DER CertificationRequestInfo and returns
 * the DER ECDSA-Sig-Value over its SHA-256 digest.
 * Throws SecError(errSecParam) for a key that is not a P-256 public key,
 * subject text that does not parse, or a signer result that is not a
 * signature.
 */
export function createCertificateSigningRequest(
  publicKey: KeyObject,
  sign: (toBeSigned: Uint8Array) => Uint8Array,
  subject: string,
): Uint8Array {
  if (publicKey?.type !== 'public' || publicKey.asymmetricKeyType !== 'ec' || publicKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new SecError(errSecParam, 'the CSR key must be an EC P-256 public key');
  }
  const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
  const info = encodeTlv(
    TAG.SEQUENCE,
    encodeTlv(TAG.INTEGER, Uint8Array.of(0)), // version v1(0)
    encodeDistinguishedName(subject),
    spki,
    Uint8Array.of(0xa0, 0x00), // attributes [0] IMPLICIT SET OF Attribute: none
  );
  const signature = checkSignature(sign(new Uint8Array(info)));
  return encodeTlv(TAG.SEQUENCE, info, ECDSA_WITH_SHA256, encodeTlv(TAG.BIT_STRING, concatBytes(Uint8Array.of(0), signature)));
}
