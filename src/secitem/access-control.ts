/**
 * SecAccessControlCreateWithFlags: an access-control object carrying a
 * protection class and constraint flags, for kSecAttrAccessControl.
 * @module
 */
import { SecError, errSecParam } from '../status.js';
import { isProtectionClass } from '../schema/values.js';
import type { SecAccessControl } from './types.js';

/** Every SecAccessControlCreateFlags bit Apple defines. */
const knownFlags = (1 << 0) | (1 << 1) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 14) | (1 << 15) | 2 ** 30 + 2 ** 31;
const KNOWN_LOW = knownFlags % 2 ** 30; // the bits below 2^30
const HIGH_BITS = 2 ** 30 + 2 ** 31;

export function SecAccessControlCreateWithFlags(
  protection: unknown,
  flags: number,
): { accessControl?: SecAccessControl; error?: SecError } {
  if (!isProtectionClass(protection)) {
    return { error: new SecError(errSecParam, 'SecAccessControl: invalid protection') };
  }
  if (typeof flags !== 'number' || !Number.isInteger(flags) || flags < 0 || flags > 2 ** 32 - 1) {
    return { error: new SecError(errSecParam, 'SecAccessControl: flags must be SecAccessControlCreateFlags bits') };
  }
  const high = flags - (flags % 2 ** 30);
  const low = flags % 2 ** 30;
  if ((low & ~KNOWN_LOW) !== 0 || (high & ~HIGH_BITS) !== 0) {
    return { error: new SecError(errSecParam, 'SecAccessControl: unknown flags') };
  }
  return { accessControl: Object.freeze({ kind: 'SecAccessControl', protection, flags }) };
}
