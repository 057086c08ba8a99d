/**
 * The calls of secitemd's protocol, and the shape of each call's answer,
 * shared by the server and the client. A request is the dictionary
 * `{ i: id, f: function, a: [arguments] }`; a reply `{ i: id, r: answer }`;
 * a protocol failure `{ i: id or -1, e: { code, message } }`, after which
 * the daemon closes the connection.
 * @module
 */
import { SecError, errSecMissingEntitlement, type OSStatus } from '../status.js';

/** How a function answers (its in-process shape). */
export type AnswerShape =
  | 'result' // { status, result?, error? }: SecItemAdd, SecItemCopyMatching
  | 'status' // OSStatus (the reply carries { status, error? } so the reason travels)
  | 'secResult' // { value?, error? }: SecKey functions with a CFErrorRef
  | 'verify' // { value: boolean, error? }
  | 'plain'; // a plain value (undefined when refused): SecKeyCopyPublicKey, SecKeyCopyAttributes, SecKeyGetBlockSize, …

export const CALLS = {
  hello: 'result',
  SecItemAdd: 'result',
  SecItemCopyMatching: 'result',
  SecItemUpdate: 'status',
  SecItemDelete: 'status',
  SecKeyCreateRandomKey: 'secResult',
  SecKeyCreateSignature: 'secResult',
  SecKeyVerifySignature: 'verify',
  SecKeyCreateEncryptedData: 'secResult',
  SecKeyCreateDecryptedData: 'secResult',
  SecKeyCopyKeyExchangeResult: 'secResult',
  SecKeyCopyExternalRepresentation: 'secResult',
  SecKeyCopyPublicKey: 'plain',
  SecKeyCopyAttributes: 'plain',
  SecKeyGetBlockSize: 'plain',
  SecKeyIsAlgorithmSupported: 'plain',
  release: 'status',
  lock: 'status',
  unlock: 'status',
  setPasscode: 'status',
  setIdleLock: 'status',
  status: 'result',
} as const satisfies Record<string, AnswerShape>;

export type CallName = keyof typeof CALLS;

export function isCallName(f: unknown): f is CallName {
  return typeof f === 'string' && Object.prototype.hasOwnProperty.call(CALLS, f);
}

/**
 * Calls that use a key's private half (their first argument; copying its
 * attributes exports it as v_Data): its access control may ask the context
 * the key was found with for user presence, which the client answers
 * (docs/daemon.md).
 */
export const KEY_USES: ReadonlySet<CallName> = new Set(['SecKeyCreateSignature', 'SecKeyCreateDecryptedData', 'SecKeyCopyKeyExchangeResult', 'SecKeyCopyExternalRepresentation', 'SecKeyCopyAttributes']);

/** Functions only the owner may call (device-wide state). */
export const OWNER_CALLS: ReadonlySet<CallName> = new Set(['lock', 'unlock', 'setPasscode', 'setIdleLock', 'status']);

/** The answer of a call that fails with `error`, in the call's own shape; plain answers are undefined (false for booleans). */
export function failureAnswer(fn: CallName, error: SecError): unknown {
  switch (CALLS[fn]) {
    case 'result':
    case 'status':
      return { status: error.status, error };
    case 'secResult':
      return { error };
    case 'verify':
      return { value: false, error };
    case 'plain':
      return fn === 'SecKeyGetBlockSize' ? 0 : fn === 'SecKeyIsAlgorithmSupported' ? false : undefined;
  }
}

export function missingEntitlement(detail: string): SecError {
  return new SecError(errSecMissingEntitlement, detail);
}

/** The status of an answer, for the audit log. */
export function statusOfAnswer(fn: CallName, answer: unknown): OSStatus {
  if (typeof answer === 'number' && CALLS[fn] !== 'plain') return answer;
  if (typeof answer === 'object' && answer !== null) {
    const a = answer as { status?: unknown; error?: unknown };
    if (typeof a.status === 'number') return a.status;
    if (a.error instanceof SecError) return a.error.status;
  }
  return 0;
}
