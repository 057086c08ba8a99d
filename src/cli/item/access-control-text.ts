/**
 * An access control as `item` writes it: `ak;UserPresence;Or;DevicePasscode`,
 * the protection class and the SecAccessControlCreateFlags names of
 * src/schema/protection.ts.
 * @module
 */
import { SecAccessControlCreateWithFlags } from '../../index.js';
import type { SecAccessControl } from '../../index.js';
import { accessControlFlagTable } from '../../schema/protection.js';
import { ValueError } from './values.js';

function hasBit(flags: number, bit: number): boolean {
  return Math.floor(flags / bit) % 2 === 1;
}

/** The bit of kSecAccessControlUserPresence, which Apple's ACM token `od(cpo(DeviceOwnerAuthentication))` means. */
const USER_PRESENCE = accessControlFlagTable.find((f) => f.name === 'UserPresence')!.bit;

/** `ak;UserPresence;Or;DevicePasscode` (bits without a name as one decimal number). */
export function accessControlText(ac: SecAccessControl): string {
  const parts: string[] = [ac.protection];
  let rest = ac.flags;
  for (const { name, bit } of accessControlFlagTable) {
    if (hasBit(ac.flags, bit)) {
      parts.push(name);
      rest -= bit;
    }
  }
  if (rest !== 0) parts.push(String(rest));
  return parts.join(';');
}

/** SecAccessControlCreateWithFlags, failing as a bad value. */
export function createAccessControl(protection: unknown, flags: unknown): SecAccessControl {
  const { accessControl, error } = SecAccessControlCreateWithFlags(protection, flags as number);
  if (accessControl === undefined) throw new ValueError(`accc: ${error?.message ?? 'invalid access control'}`);
  return accessControl;
}

/**
 * Parses `protection[;flag...]`: flag names as accessControlText prints them,
 * numbers, or Apple's ACM constraint tokens (`od(cpo(DeviceOwnerAuthentication))`
 * is UserPresence; `odel(true)` and `oe(true)` are implied and ignored).
 */
export function parseAccessControl(text: string): SecAccessControl {
  const [protection, ...tokens] = text.split(';');
  let flags = 0;
  const add = (bit: number): void => {
    if (!hasBit(flags, bit)) flags += bit;
  };
  for (const token of tokens) {
    if (token === '' || token === 'odel(true)' || token === 'oe(true)') continue;
    const named = accessControlFlagTable.find((f) => f.name === token);
    if (named !== undefined) add(named.bit);
    else if (/^(?:0x[0-9a-fA-F]+|\d+)$/.test(token)) flags += Number(token);
    else if (token === 'od(cpo(DeviceOwnerAuthentication))') add(USER_PRESENCE);
    else throw new ValueError(`accc: unknown access-control constraint "${token}"`);
  }
  return createAccessControl(protection, flags);
}

/** Whether `value` is a SecAccessControl. */
export function isAccessControl(value: unknown): value is SecAccessControl {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'SecAccessControl';
}
