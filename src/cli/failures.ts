/**
 * How a command fails, and the one place failures become stderr text and
 * exit statuses. Commands throw; the dispatcher (and the loops of commands
 * that go on after one keychain fails) call `exitStatusOf`. The failures of
 * keychain calls are in run/sec-failures.ts, with the engine's messages.
 *
 * Exit statuses are `security`'s: its subcommands return an OSStatus and the
 * OS keeps the low byte, so a keychain failure exits `OSStatus & 0xFF` (44
 * not found, 45 duplicate, 36 locked, 51 wrong password, 50 no such
 * keychain); 2 asks for the command's usage; 1 is the tool's own failure
 * (`error`, a bad four-character code, a value `item` cannot parse); 255 is
 * Apple's -1, end of input at a password prompt.
 * @module
 */
import type { OSStatus } from '../index.js';
import { PROGRAM } from './io.js';

/** The exit status that asks for the command's usage (SHOW_USAGE_MESSAGE). */
export const EXIT_USAGE = 2;
/** The tool's own failure. */
export const EXIT_FAILURE = 1;
/** End of input at a password prompt (Apple's -1). */
export const EXIT_CANCELED = 255;

/**
 * The exit status of an OSStatus, as the OS truncates Apple's int result:
 * `status & 0xFF`. A failure whose low byte is 0 would read as success to a
 * script; it exits 1 instead.
 */
export function exitStatusFor(status: OSStatus): number {
  if (status === 0) return 0;
  const code = status & 0xff;
  return code === 0 ? EXIT_FAILURE : code;
}

/**
 * A failure with its exact stderr text and exit status.
 *
 * The dispatcher recognises a failure by these two fields, not by its class
 * (see isFailure): the bundled executable loads the code of the commands
 * that open keychains as bundles of their own, each with its own copy of
 * this module (bundle.ts).
 */
export class CommandFailure extends Error {
  readonly stderr: string;
  readonly exitStatus: number;
  constructor(stderr: string, exitStatus: number, message = stderr.trimEnd()) {
    super(message);
    this.stderr = stderr;
    this.exitStatus = exitStatus;
  }
}

/**
 * A request for the command's usage message: exit 2, and the dispatcher
 * prints `Usage: <name> <usage>` on stderr. `shown` puts the reason on
 * stderr first, as `secitem: <reason>`.
 */
export class UsageError extends CommandFailure {
  constructor(reason: string, options: { shown?: boolean } = {}) {
    super(options.shown ? `${PROGRAM}: ${reason}\n` : '', EXIT_USAGE, reason);
    Object.defineProperty(this, 'name', { value: 'UsageError', enumerable: false });
  }
}

/** `sec_error` and exit 1: `secitem: <message>`. */
export class ToolFailure extends CommandFailure {
  constructor(message: string) {
    super(`${PROGRAM}: ${message}\n`, EXIT_FAILURE);
  }
}

/** End of input at a password prompt: nothing more is printed, exit 255. */
export class Canceled extends CommandFailure {
  constructor() {
    super('', EXIT_CANCELED);
  }
}

/** A failure: a CommandFailure of any copy of this module. */
function isCommandFailure(error: unknown): error is CommandFailure {
  const e = error as Partial<CommandFailure> | null;
  return error instanceof Error && typeof e?.stderr === 'string' && typeof e.exitStatus === 'number';
}

/** An OSStatus the engine threw (SecError) that no command put a name to. */
function isSecError(error: unknown): error is Error & { status: OSStatus } {
  return error instanceof Error && error.name === 'SecError' && typeof (error as { status?: unknown }).status === 'number';
}

/** Whether `error` is a failure a command reports (rather than a bug). */
export function isFailure(error: unknown): boolean {
  return isCommandFailure(error) || isSecError(error);
}

/**
 * Writes what `error` says on stderr and returns its exit status: the one
 * mapping from failures to exit codes. Anything that is not a failure is a
 * bug, reported by its class and message only: never the arguments, which
 * may hold a password.
 */
export function exitStatusOf(error: unknown, stderr: (text: string) => void): number {
  if (isCommandFailure(error)) {
    stderr(error.stderr);
    return error.exitStatus;
  }
  if (isSecError(error)) {
    stderr(`${PROGRAM}: ${error.message}\n`);
    return exitStatusFor(error.status);
  }
  const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  stderr(`${PROGRAM}: internal error: ${what}\n`);
  return EXIT_FAILURE;
}
