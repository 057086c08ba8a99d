/**
 * A certificate signing request signed by one of the device's enclave keys:
 * the daemon's machine identity of seed 003 (the key signs the request
 * through the enclave, under its own checks; its bytes never leave).
 * @module
 */
import { sign } from 'node:crypto';
import { SecError, errSecParam } from '../status.js';
import { createCertificateSigningRequest } from '../objects/csr.js';
import type { SecKey } from '../objects/key.js';

export function certificateSigningRequestOf(key: SecKey, subject: unknown): Uint8Array {
  const access = key.privateAccess;
  if (access === undefined) throw new SecError(errSecParam, 'a certificate signing request needs a private key');
  if (typeof subject !== 'string') throw new SecError(errSecParam, 'the subject must be RFC 4514 text, e.g. "CN=host-42,O=Example"');
  return createCertificateSigningRequest(key.publicKeyObject, (tbs) => access.use((k) => new Uint8Array(sign('sha256', tbs, k))), subject);
}
