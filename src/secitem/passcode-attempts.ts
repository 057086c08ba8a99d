/**
 * Passcode guessing limits, as a device imposes them: wrong passcodes are
 * counted in the keychain file (so a restart does not reset them) and, from
 * the fifth on, each one disables passcode entry for a growing time. While
 * disabled, an attempt answers errSecInteractionNotAllowed without trying
 * the passcode; a wrong passcode answers errSecAuthFailed; a right one
 * clears the count.
 * @module
 */
import { SecError, errSecAuthFailed, errSecInteractionNotAllowed } from '../status.js';
import type { KeychainDatabase } from '../store/database.js';

export interface AttemptRecord {
  readonly failed: number;
  /** When the last wrong passcode was tried (ms since the epoch). */
  readonly lastFailureMs: number;
}

const MINUTE = 60_000;

/** How long passcode entry stays disabled after `failed` wrong passcodes (iOS's schedule). */
export function lockoutAfter(failed: number): number {
  if (failed < 5) return 0;
  if (failed === 5) return MINUTE;
  if (failed === 6) return 5 * MINUTE;
  if (failed <= 8) return 15 * MINUTE;
  return 60 * MINUTE;
}

function read(db: KeychainDatabase): AttemptRecord {
  const raw = db.getMeta('attempts');
  if (raw === undefined) return { failed: 0, lastFailureMs: 0 };
  // A damaged counter errs on the side of the attacker's cost: the longest wait, from now.
  const damaged = { failed: 9, lastFailureMs: Date.now() };
  let parsed: Partial<AttemptRecord>;
  try {
    parsed = JSON.parse(String(raw)) as Partial<AttemptRecord>;
  } catch {
    return damaged;
  }
  const failed = Number(parsed?.failed);
  const last = Number(parsed?.lastFailureMs);
  if (!Number.isInteger(failed) || failed < 0 || !Number.isFinite(last)) return damaged;
  return { failed, lastFailureMs: last };
}

/** Milliseconds until the passcode may be tried again (0: now). */
export function passcodeLockoutRemaining(db: KeychainDatabase, now = Date.now()): number {
  const rec = read(db);
  return Math.max(0, rec.lastFailureMs + lockoutAfter(rec.failed) - now);
}

/**
 * Runs `attempt`, which tries a passcode and throws SecError(errSecAuthFailed)
 * when it is wrong, under the guessing limits.
 */
export function tryPasscode<T>(db: KeychainDatabase, attempt: () => T): T {
  const wait = passcodeLockoutRemaining(db);
  if (wait > 0) {
    throw new SecError(errSecInteractionNotAllowed, `passcode entry is disabled for ${Math.ceil(wait / 1000)} s after repeated wrong passcodes`);
  }
  let result: T;
  try {
    result = attempt();
  } catch (e) {
    if (e instanceof SecError && e.status === errSecAuthFailed) {
      db.write(() => db.setMeta('attempts', JSON.stringify({ failed: read(db).failed + 1, lastFailureMs: Date.now() })));
    }
    throw e;
  }
  if (read(db).failed > 0) db.write(() => db.setMeta('attempts', JSON.stringify({ failed: 0, lastFailureMs: 0 })));
  return result;
}
