/**
 * The data-protection classes and the SecAccessControl flags, declared once:
 * the keybag, validation, the type ProtectionClass and the command line's
 * tables and usage text all derive from these lists. A leaf module (it
 * imports nothing), so every layer may use it.
 * @module
 */

/**
 * The kSecAttrAccessible values, in Apple's order (SecItemConstants.c), with
 * what the keybag does with each class key:
 * - `passcodeBound`: wrapped under the passcode (with the device key) when one is set;
 * - `droppedOnLock`: leaves memory when the keychain locks;
 * - `thisDeviceOnly`: the ThisDeviceOnly variant (never leaves this device).
 */
export const protectionClassTable = [
  { code: 'ak', name: 'WhenUnlocked', passcodeBound: true, droppedOnLock: true, thisDeviceOnly: false },
  { code: 'ck', name: 'AfterFirstUnlock', passcodeBound: true, droppedOnLock: false, thisDeviceOnly: false },
  { code: 'dk', name: 'Always', passcodeBound: false, droppedOnLock: false, thisDeviceOnly: false },
  { code: 'aku', name: 'WhenUnlockedThisDeviceOnly', passcodeBound: true, droppedOnLock: true, thisDeviceOnly: true },
  { code: 'cku', name: 'AfterFirstUnlockThisDeviceOnly', passcodeBound: true, droppedOnLock: false, thisDeviceOnly: true },
  { code: 'dku', name: 'AlwaysThisDeviceOnly', passcodeBound: false, droppedOnLock: false, thisDeviceOnly: true },
  { code: 'akpu', name: 'WhenPasscodeSetThisDeviceOnly', passcodeBound: true, droppedOnLock: true, thisDeviceOnly: true },
] as const;

/** A data-protection class: one of the kSecAttrAccessible values. */
export type ProtectionClass = (typeof protectionClassTable)[number]['code'];

export type ProtectionClassDef = (typeof protectionClassTable)[number];

/** The protection-class codes, in table order. */
export const protectionClasses: readonly ProtectionClass[] = protectionClassTable.map((p) => p.code);

const protectionCodes: ReadonlySet<string> = new Set(protectionClasses);

export function isProtectionClass(v: unknown): v is ProtectionClass {
  return typeof v === 'string' && protectionCodes.has(v);
}

/** The class that only exists while a passcode is set (kSecAttrAccessibleWhenPasscodeSetThisDeviceOnly). */
export const PASSCODE_SET_CLASS: ProtectionClass = 'akpu';

/** SecAccessControlCreateFlags bits (SecAccessControl.h), by the name after `kSecAccessControl`. */
export const accessControlFlagTable = [
  { name: 'UserPresence', bit: 2 ** 0 },
  { name: 'BiometryAny', bit: 2 ** 1 },
  { name: 'BiometryCurrentSet', bit: 2 ** 3 },
  { name: 'DevicePasscode', bit: 2 ** 4 },
  { name: 'Watch', bit: 2 ** 5 },
  { name: 'Or', bit: 2 ** 14 },
  { name: 'And', bit: 2 ** 15 },
  { name: 'PrivateKeyUsage', bit: 2 ** 30 },
  { name: 'ApplicationPassword', bit: 2 ** 31 },
] as const;

/** The sum of every defined flag bit (an unsigned 32-bit number). */
export const ALL_ACCESS_CONTROL_FLAGS: number = accessControlFlagTable.reduce((sum, f) => sum + f.bit, 0);

/** Whether `flags` is an unsigned 32-bit integer made only of defined bits. */
export function isAccessControlFlags(flags: unknown): flags is number {
  if (typeof flags !== 'number' || !Number.isInteger(flags) || flags < -(2 ** 31) || flags > 2 ** 32 - 1) return false;
  // Flags combined with | are a signed 32-bit number once ApplicationPassword (bit 31) is among them.
  let rest = flags >>> 0;
  for (let i = accessControlFlagTable.length - 1; i >= 0; i--) {
    const { bit } = accessControlFlagTable[i]!;
    if (rest >= bit && Math.floor(rest / bit) % 2 === 1) rest -= bit;
  }
  return rest === 0;
}
