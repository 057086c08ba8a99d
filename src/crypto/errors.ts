/**
 * The one error convention of crypto/, which knows nothing of OSStatus:
 * - opening a sealed box that does not authenticate answers `undefined`
 *   (the caller decides what a failed item or key means);
 * - a damaged persisted record, a wrong passcode, or a passcode operation
 *   without a passcode throws CryptoError with its reason.
 * The keychain maps reasons to OSStatus (secitem/keychain.ts).
 * @module
 */
export type CryptoFailure = 'damaged' | 'wrongPasscode' | 'noPasscode';

export class CryptoError extends Error {
  readonly reason: CryptoFailure;

  constructor(reason: CryptoFailure) {
    super(reason);
    this.reason = reason;
    Object.defineProperty(this, 'name', { value: 'CryptoError', enumerable: false });
  }
}
