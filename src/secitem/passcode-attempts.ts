/**
 * Passcode guessing limits, as a device imposes them: wrong passcodes are
 * counted in the keychain file (so a restart does not reset them) and, from
 * the fifth on, each one disables passcode entry for a growing time.
 *
 * An attempt is taken before the passcode is tried: in one write
 * transaction the counter is checked and counted up, then the KDF runs, and
 * only a right passcode clears the count. So processes racing each other
 * get one guess between them, and a process killed mid-guess has spent it.
 * The counter is a RecordSeal (authenticated under the device key): a
 * counter that is missing, edited or damaged counts as the most failures,
 * from now. While disabled, an attempt answers errSecInteractionNotAllowed
 * without trying the passcode; a wrong passcode answers errSecAuthFailed.
 * @module
 */
import { SecError, errSecInteractionNotAllowed } from '../status.js';
import { RecordSeal } from '../crypto/record-seal.js';
import type { KeychainDatabase } from '../store/database.js';

export interface AttemptRecord {
  readonly failed: number;
  /** When the last attempt that counted was taken (ms since the epoch). */
  readonly lastFailureMs: number;
}

const MINUTE = 60_000;
/** The count a missing or altered counter stands for: the longest wait. */
const MOST_FAILURES = 9;

/** How long passcode entry stays disabled after `failed` wrong passcodes (iOS's schedule). */
export function lockoutAfter(failed: number): number {
  if (failed < 5) return 0;
  if (failed === 5) return MINUTE;
  if (failed === 6) return 5 * MINUTE;
  if (failed <= 8) return 15 * MINUTE;
  return 60 * MINUTE;
}

/** The seal of a keychain's attempt counter. */
export const attemptSeal = (deviceKey: Uint8Array): RecordSeal => new RecordSeal(deviceKey, 'passcode attempts');

/** A counter's stored form. */
export function sealAttempts(seal: RecordSeal, record: AttemptRecord): string {
  return seal.seal(JSON.stringify({ failed: record.failed, lastFailureMs: record.lastFailureMs }));
}

/** A counter as stored before counters were sealed (format 5 and older), for the upgrade that seals it. */
export function parseLegacyAttempts(raw: unknown): AttemptRecord {
  if (raw === undefined) return { failed: 0, lastFailureMs: 0 };
  return parseRecord(String(raw)) ?? { failed: MOST_FAILURES, lastFailureMs: Date.now() };
}

function parseRecord(text: string): AttemptRecord | undefined {
  let parsed: Partial<AttemptRecord> | null;
  try {
    parsed = JSON.parse(text) as Partial<AttemptRecord> | null;
  } catch {
    return undefined;
  }
  const failed = Number(parsed?.failed);
  const last = Number(parsed?.lastFailureMs);
  return Number.isInteger(failed) && failed >= 0 && Number.isFinite(last) ? { failed, lastFailureMs: last } : undefined;
}

function read(db: KeychainDatabase, seal: RecordSeal): AttemptRecord {
  const text = seal.open(db.getMeta('attempts'));
  return (text === undefined ? undefined : parseRecord(text)) ?? { failed: MOST_FAILURES, lastFailureMs: Date.now() };
}

function write(db: KeychainDatabase, seal: RecordSeal, record: AttemptRecord): void {
  db.setMeta('attempts', sealAttempts(seal, record));
}

/** Milliseconds from `now` until a passcode may be tried again after this record (0: now). */
function waitAfter(rec: AttemptRecord, now: number): number {
  return Math.max(0, rec.lastFailureMs + lockoutAfter(rec.failed) - now);
}

/** Milliseconds until the passcode may be tried again (0: now). */
export function passcodeLockoutRemaining(db: KeychainDatabase, seal: RecordSeal, now = Date.now()): number {
  const rec = db.read(() => read(db, seal));
  return waitAfter(rec, now);
}

/**
 * Runs `attempt`, which tries a passcode and throws SecError(errSecAuthFailed)
 * when it is wrong, under the guessing limits (see the module comment).
 */
export function tryPasscode<T>(db: KeychainDatabase, seal: RecordSeal, attempt: () => T): T {
  db.write(() => {
    const rec = read(db, seal);
    const now = Date.now();
    const wait = waitAfter(rec, now);
    if (wait > 0) {
      throw new SecError(errSecInteractionNotAllowed, `passcode entry is disabled for ${Math.ceil(wait / 1000)} s after repeated wrong passcodes`);
    }
    write(db, seal, { failed: rec.failed + 1, lastFailureMs: now });
  });
  const result = attempt(); // a wrong passcode leaves the attempt counted
  db.write(() => write(db, seal, { failed: 0, lastFailureMs: 0 }));
  return result;
}

/** The counter of a new keychain: no failures. */
export function freshAttempts(seal: RecordSeal): string {
  return sealAttempts(seal, { failed: 0, lastFailureMs: 0 });
}
