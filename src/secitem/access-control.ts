/**
 * SecAccessControlCreateWithFlags: an access-control object carrying a
 * protection class and constraint flags, for kSecAttrAccessControl.
 * @module
 */
import { SecError, errSecParam } from '../status.js';
import { isAccessControlFlags, isProtectionClass } from '../schema/protection.js';
import type { SecAccessControl } from '../types.js';

export function SecAccessControlCreateWithFlags(
  protection: unknown,
  flags: number,
): { accessControl?: SecAccessControl; error?: SecError } {
  if (!isProtectionClass(protection)) {
    return { error: new SecError(errSecParam, 'SecAccessControlCreateWithFlags: protection must be one of the kSecAttrAccessible values') };
  }
  if (!isAccessControlFlags(flags)) {
    return { error: new SecError(errSecParam, 'SecAccessControlCreateWithFlags: flags must be a sum of SecAccessControlCreateFlags bits') };
  }
  return { accessControl: Object.freeze({ kind: 'SecAccessControl', protection, flags: flags >>> 0 }) };
}
