/**
 * How an engine step becomes a SecItem answer: an OSStatus, or
 * `{ status, result?, error? }`; a failure's SecError is recorded for
 * SecCopyLastError. Only SecErrors are expected from the engine: anything
 * else is a bug, answered as errSecInternalComponent with the error's kind
 * only (its message could quote a value), and printed when SECITEM_DEBUG is set.
 * @module
 */
import { SecError, errSecInternalComponent, errSecSuccess, recordLastError, type OSStatus } from '../status.js';
import type { SecItemResult } from '../types.js';

function asSecError(e: unknown, fn: string): SecError {
  if (e instanceof SecError) return e;
  if (process.env['SECITEM_DEBUG']) console.error(e);
  const kind = e instanceof Error ? e.name : typeof e;
  return new SecError(errSecInternalComponent, `${fn} failed unexpectedly (${kind}); set SECITEM_DEBUG=1 to see it`);
}

/** Runs a step that answers a result. */
export function resultOf(fn: string, step: () => unknown): SecItemResult {
  try {
    const result = step();
    recordLastError(undefined);
    return result === undefined ? { status: errSecSuccess } : { status: errSecSuccess, result };
  } catch (e) {
    const error = asSecError(e, fn);
    recordLastError(error);
    return { status: error.status, error };
  }
}

/** Runs a step that answers a bare OSStatus. */
export function statusOf(fn: string, step: () => void): OSStatus {
  return resultOf(fn, () => void step()).status;
}

/** Runs a step answering Apple's CFErrorRef shape, `{ value?, error? }`, with exactly one set. */
export function secResultOf<T>(fn: string, step: () => { value?: T; error?: SecError }): { value?: T; error?: SecError } {
  try {
    const outcome = step();
    recordLastError(outcome.error);
    return outcome;
  } catch (e) {
    const error = asSecError(e, fn);
    recordLastError(error);
    return { error };
  }
}
