/**
 * What a command sees of the process: its streams and environment, passed in
 * so tests can run the whole CLI in-process. Output is written as it is
 * produced, in the order `security` writes it.
 * @module
 */
import { SecCopyErrorMessageString } from '../index.js';
import type { OSStatus } from '../status.js';

/** Where output goes: process.stdout/stderr, or a test's collector. */
export interface CliWritable {
  write(chunk: string | Uint8Array): unknown;
}

/** Where input comes from (password prompts, interactive mode). */
export type CliReadable = NodeJS.ReadableStream & { readonly isTTY?: boolean };

/** The process as main() sees it. */
export interface CliIo {
  readonly stdout: CliWritable;
  readonly stderr: CliWritable;
  readonly stdin: CliReadable;
  /** The environment: HOME, XDG_DATA_HOME, … */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Directory relative keychain paths resolve against; process.cwd() when absent. */
  readonly cwd?: string;
}

/** The program name in messages, where Apple's tool prints getprogname(). */
export const PROGRAM = 'secitem';

/**
 * A subcommand's request for its usage message: the dispatcher prints
 * `Usage: <name> <usage>` and exits 2, as when an Apple handler returns 2.
 */
export class UsageError extends Error {
  constructor(reason: string) {
    super(reason);
    Object.defineProperty(this, 'name', { value: 'UsageError', enumerable: false });
  }
}

/** The exit status usage errors produce (SHOW_USAGE_MESSAGE). */
export const EXIT_USAGE = 2;

/**
 * The exit status of a failed OSStatus, as the OS truncates Apple's int
 * result: `status & 0xFF` (errSecItemNotFound -25300 → 44). A failure whose
 * low byte is 0 would read as success to a script; it exits 1 instead.
 */
export function exitCodeFor(status: OSStatus): number {
  if (status === 0) return 0;
  const code = status & 0xff;
  return code === 0 ? 1 : code;
}

/** Per-invocation state every command handler receives. */
export class CommandContext {
  readonly io: CliIo;
  /** -q: be less verbose. */
  readonly quiet: boolean;
  /** -v: echo each command line to stderr. */
  readonly verbose: boolean;

  constructor(io: CliIo, options: { quiet?: boolean; verbose?: boolean } = {}) {
    this.io = io;
    this.quiet = options.quiet ?? false;
    this.verbose = options.verbose ?? false;
  }

  get env(): Readonly<Record<string, string | undefined>> {
    return this.io.env;
  }

  get cwd(): string {
    return this.io.cwd ?? process.cwd();
  }

  /** Writes to stdout. */
  out(text: string | Uint8Array): void {
    this.io.stdout.write(text);
  }

  /** Writes to stderr. */
  err(text: string | Uint8Array): void {
    this.io.stderr.write(text);
  }

  /** `sec_error`: `secitem: <message>` and a newline on stderr. */
  error(message: string): void {
    this.err(`${PROGRAM}: ${message}\n`);
  }

  /**
   * `sec_perror`: `secitem: <what>: <Apple's message for status>` on stderr;
   * returns the exit status for it.
   */
  perror(what: string, status: OSStatus): number {
    this.error(`${what}: ${SecCopyErrorMessageString(status)}`);
    return exitCodeFor(status);
  }
}
