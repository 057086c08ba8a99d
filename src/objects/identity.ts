/**
 * SecIdentity: a certificate and the private key of its public key. The
 * keychain has no identity items: an identity is a join of a cert item and
 * a keys item (cert.pkhh = keys.klbl).
 * @module
 */
import { errSecParam, errSecSuccess, type OSStatus } from '../status.js';
import type { SecCertificate } from './certificate.js';
import type { SecKey } from './key.js';

export class SecIdentity {
  readonly certificate: SecCertificate;
  readonly privateKey: SecKey;

  constructor(certificate: SecCertificate, privateKey: SecKey) {
    this.certificate = certificate;
    this.privateKey = privateKey;
  }
}

/** Whether `value` is a SecIdentity. */
export function isSecIdentity(value: unknown): value is SecIdentity {
  return value instanceof SecIdentity;
}

/** SecIdentityCopyCertificate: the identity's certificate; errSecParam for anything that is not an identity. */
export function SecIdentityCopyCertificate(identity: SecIdentity): { status: OSStatus; certificate?: SecCertificate } {
  if (!isSecIdentity(identity)) return { status: errSecParam };
  return { status: errSecSuccess, certificate: identity.certificate };
}

/** SecIdentityCopyPrivateKey: the identity's private key; errSecParam for anything that is not an identity. */
export function SecIdentityCopyPrivateKey(identity: SecIdentity): { status: OSStatus; privateKey?: SecKey } {
  if (!isSecIdentity(identity)) return { status: errSecParam };
  return { status: errSecSuccess, privateKey: identity.privateKey };
}
