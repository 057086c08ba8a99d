/**
 * The failures of keychain calls: an OSStatus reported as `security`'s
 * sec_perror reports it, `secitem: <what>: <Apple's message>`, exit
 * `OSStatus & 0xFF` (failures.ts maps every failure to its exit status).
 * @module
 */
import { SecCopyErrorMessageString, SecError } from '../../index.js';
import type { OSStatus } from '../../index.js';
import { CommandFailure, exitStatusFor, exitStatusOf } from '../failures.js';
import { PROGRAM } from '../io.js';

/**
 * `sec_perror`: `secitem: <what>: <Apple's message for status>`, exit
 * `status & 0xFF` unless the command exits otherwise (dump-keychain: 1).
 */
export class SecFailure extends CommandFailure {
  readonly status: OSStatus;
  constructor(what: string, status: OSStatus, exitStatus = exitStatusFor(status)) {
    super(`${PROGRAM}: ${what}: ${SecCopyErrorMessageString(status)}\n`, exitStatus);
    this.status = status;
  }
}

/** Throws SecFailure(what, status) unless status is errSecSuccess. */
export function check(what: string, status: OSStatus): void {
  if (status !== 0) throw new SecFailure(what, status);
}

/**
 * Runs `body`; a SecError it throws (opening a keychain, a SecItem call
 * through secCall) is reported as `<what>: <message>`.
 */
export function reportedAs<T>(what: string, body: () => T, exitStatus?: number): T {
  try {
    return body();
  } catch (error) {
    if (error instanceof SecError) throw new SecFailure(what, error.status, exitStatus);
    throw error;
  }
}

/**
 * Runs `body` for each of `items` in turn; a SecFailure of one is reported
 * and the next goes on, as Apple's create-keychain and delete-keychain loops
 * do. Returns the exit status of the last failure, or 0.
 */
export async function eachReported<T>(items: readonly T[], stderr: (text: string) => void, body: (item: T) => unknown): Promise<number> {
  let result = 0;
  for (const item of items) {
    try {
      await body(item);
    } catch (error) {
      if (!(error instanceof SecFailure)) throw error;
      result = exitStatusOf(error, stderr);
    }
  }
  return result;
}
