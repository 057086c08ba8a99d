/**
 * SecIdentity: a certificate and the private key of its public key. The
 * keychain has no identity items: an identity is a join of a cert item and
 * a keys item (cert.pkhh = keys.klbl).
 * @module
 */
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
