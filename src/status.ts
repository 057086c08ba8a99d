/**
 * OSStatus codes with Apple's numbers and messages (base/SecBase.h: the
 * message is the trailing comment of each enum line), SecError, and the
 * secCall helper.
 * @module
 */

/** An OSStatus: 0 for success, a negative errSec* code otherwise. */
export type OSStatus = number;

export const errSecSuccess = 0;
export const errSecUnimplemented = -4;
export const errSecDiskFull = -34;
export const errSecIO = -36;
export const errSecParam = -50;
export const errSecWrPerm = -61;
export const errSecAllocate = -108;
export const errSecUserCanceled = -128;
export const errSecBadReq = -909;
export const errSecInternalComponent = -2070;
export const errSecNotAvailable = -25291;
export const errSecReadOnly = -25292;
export const errSecAuthFailed = -25293;
export const errSecNoSuchKeychain = -25294;
export const errSecInvalidKeychain = -25295;
export const errSecDuplicateKeychain = -25296;
export const errSecDuplicateItem = -25299;
export const errSecItemNotFound = -25300;
export const errSecNoSuchAttr = -25303;
export const errSecInvalidItemRef = -25304;
export const errSecNoSuchClass = -25306;
export const errSecNoDefaultKeychain = -25307;
export const errSecInteractionNotAllowed = -25308;
export const errSecKeySizeNotAllowed = -25311;
export const errSecInteractionRequired = -25315;
export const errSecInvalidOwnerEdit = -25244;
export const errSecUnsupportedFormat = -25256;
export const errSecPkcs12VerifyFailure = -25264;
export const errSecDecode = -26275;
export const errSecInternal = -26276;
export const errSecMissingEntitlement = -34018;
export const errSecRestrictedAPI = -34020;
export const errSecCSReqFailed = -67050;
export const errSecVerifyFailed = -67808;

/** Private aliases that Apple's securityd collapses onto public codes (SecBasePriv.h). */
export const errSecItemInvalidKey = errSecParam;
export const errSecItemInvalidValue = errSecParam;
export const errSecItemClassMissing = errSecParam;
export const errSecItemIllegalQuery = errSecParam;
export const errSecItemMatchUnsupported = errSecParam;
export const errSecInvalidCertificate = errSecDecode;
export const errSecInvalidKey = errSecDecode;

const messages: ReadonlyMap<OSStatus, string> = new Map([
  [errSecSuccess, 'No error.'],
  [errSecUnimplemented, 'Function or operation not implemented.'],
  [errSecDiskFull, 'The disk is full.'],
  [errSecIO, 'I/O error.'],
  [errSecParam, 'One or more parameters passed to a function were not valid.'],
  [errSecWrPerm, 'Write permissions error.'],
  [errSecAllocate, 'Failed to allocate memory.'],
  [errSecUserCanceled, 'User canceled the operation.'],
  [errSecBadReq, 'Bad parameter or invalid state for operation.'],
  // SecBase.h gives errSecInternalComponent no comment; this wording is ours.
  [errSecInternalComponent, 'An internal component failed.'],
  [errSecNotAvailable, 'No keychain is available. You may need to restart your computer.'],
  [errSecReadOnly, 'This keychain cannot be modified.'],
  [errSecAuthFailed, 'The user name or passphrase you entered is not correct.'],
  [errSecNoSuchKeychain, 'The specified keychain could not be found.'],
  [errSecInvalidKeychain, 'The specified keychain is not a valid keychain file.'],
  [errSecDuplicateKeychain, 'A keychain with the same name already exists.'],
  [errSecDuplicateItem, 'The specified item already exists in the keychain.'],
  [errSecItemNotFound, 'The specified item could not be found in the keychain.'],
  [errSecNoSuchAttr, 'The specified attribute does not exist.'],
  [errSecInvalidItemRef, 'The specified item is no longer valid. It may have been deleted from the keychain.'],
  [errSecNoSuchClass, 'The specified item does not appear to be a valid keychain item.'],
  [errSecNoDefaultKeychain, 'A default keychain could not be found.'],
  [errSecInteractionNotAllowed, 'User interaction is not allowed.'],
  [errSecKeySizeNotAllowed, 'This item specifies a key size which is too large or too small.'],
  [errSecInteractionRequired, 'User interaction is required, but is currently not allowed.'],
  [errSecInvalidOwnerEdit, 'Invalid attempt to change the owner of this item.'],
  [errSecUnsupportedFormat, 'Import/Export format unsupported.'],
  [errSecPkcs12VerifyFailure, 'MAC verification failed during PKCS12 import (wrong password?)'],
  [errSecDecode, 'Unable to decode the provided data.'],
  [errSecInternal, 'An internal error occurred in the keychain.'],
  [errSecMissingEntitlement, "A required entitlement isn't present."],
  [errSecRestrictedAPI, 'Client is restricted and is not permitted to perform this operation.'],
  [errSecCSReqFailed, 'code failed to satisfy specified code requirement(s)'],
  [errSecVerifyFailed, 'A cryptographic verification failure has occurred.'],
]);

/** Every OSStatus this package can answer, for documentation and fuzzing. */
export const knownStatuses: readonly OSStatus[] = [...messages.keys()];

/**
 * The human-readable text of an OSStatus, as Apple's SecCopyErrorMessageString
 * gives it; unknown codes get "OSStatus <n>".
 */
export function SecCopyErrorMessageString(status: OSStatus): string {
  return messages.get(status) ?? `OSStatus ${status}`;
}

/**
 * An OSStatus as a thrown error. `message` is Apple's text for the status,
 * followed by what exactly went wrong when that is known. It never contains
 * a secret.
 */
export class SecError extends Error {
  readonly status: OSStatus;
  readonly detail: string | undefined;

  constructor(status: OSStatus, detail?: string) {
    const base = SecCopyErrorMessageString(status);
    super(detail ? `${base} (${detail})` : base);
    this.status = status;
    this.detail = detail;
    Object.defineProperty(this, 'name', { value: 'SecError', enumerable: false });
  }
}

/**
 * The reason of the last failed keychain call, for SecCopyLastError. A
 * SecItem function records its SecError here when it fails and clears it
 * when it succeeds, so the reason of a call that answers a bare OSStatus
 * (SecItemUpdate, SecItemDelete) stays reachable until the next call.
 */
let lastError: SecError | undefined;

/** Records the outcome of a keychain call (undefined: it succeeded). */
export function recordLastError(error: SecError | undefined): void {
  lastError = error;
}

/**
 * The SecError of the last failed keychain call, if its status is `status`
 * (any status when omitted), as Apple's private SecCopyLastError(status)
 * answers the CFError behind an OSStatus. Undefined after a call that
 * succeeded. Its message names the offending key and the rule it broke.
 */
export function SecCopyLastError(status?: OSStatus): SecError | undefined {
  if (lastError === undefined || (status !== undefined && lastError.status !== status)) return undefined;
  return lastError;
}

/** Anything a SecItem call returns: a bare status, or a status and a result (and the reason of a failure). */
export type SecCallOutcome = OSStatus | { status: OSStatus; result?: unknown; error?: SecError };

/**
 * Turns a SecItem call into a value or a thrown SecError, in the spirit of
 * the seed's `secCall` helper:
 * `const data = secCall(() => app.SecItemCopyMatching(query))`.
 * The error thrown is the call's own (`error`, or SecCopyLastError for a
 * bare status), so its message says what was wrong.
 */
export function secCall(call: () => OSStatus): void;
export function secCall(call: () => { status: OSStatus; result?: unknown; error?: SecError }): unknown;
export function secCall(call: () => SecCallOutcome): unknown {
  const outcome = call();
  const status = typeof outcome === 'number' ? outcome : outcome.status;
  if (status !== errSecSuccess) {
    const reported = typeof outcome === 'number' ? undefined : outcome.error;
    throw reported ?? SecCopyLastError(status) ?? new SecError(status);
  }
  return typeof outcome === 'number' ? undefined : outcome.result;
}
