/**
 * A certificate signing request signed by a device's enclave key: the
 * daemon's machine identity of seed 003.
 * @module
 */
import { SecError, errSecUnimplemented } from '../status.js';
import type { SecKey } from '../objects/key.js';

export function certificateSigningRequestOf(_key: SecKey, _subject: unknown): Uint8Array {
  throw new SecError(errSecUnimplemented, 'certificate signing requests are not built yet');
}
