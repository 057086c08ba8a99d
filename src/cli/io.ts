/**
 * What a command sees of the process: its streams and environment, passed in
 * so tests can run the whole CLI in-process. Output is written as it is
 * produced, in the order `security` writes it.
 * @module
 */
import { LineReader } from './prompt.js';
import { Session } from './session.js';

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
  /**
   * Whether stdin is a terminal, when that is known without building the
   * stdin stream; absent: the stream's isTTY says.
   */
  readonly stdinIsTTY?: boolean;
  /** The environment: HOME, XDG_DATA_HOME, … */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Directory relative keychain paths resolve against; process.cwd() when absent. */
  readonly cwd?: string;
}

/** The program name in messages, where Apple's tool prints getprogname(). */
export const PROGRAM = 'secitem';

/** Per-invocation state every command handler receives. */
export class CommandContext {
  readonly io: CliIo;
  /** -q: be less verbose. */
  readonly quiet: boolean;
  /** -v: echo each command line to stderr. */
  readonly verbose: boolean;
  readonly session: Session;
  #lines: LineReader | undefined;

  constructor(
    io: CliIo,
    options: { quiet?: boolean; verbose?: boolean; session?: Session; lines?: LineReader } = {},
  ) {
    this.io = io;
    this.quiet = options.quiet ?? false;
    this.verbose = options.verbose ?? false;
    this.session = options.session ?? new Session(io.env);
    this.#lines = options.lines;
  }

  /**
   * Stdin, line by line (shared by prompts and interactive mode), opened on
   * first use: a command that reads nothing never creates the stdin stream.
   */
  get lines(): LineReader {
    this.#lines ??= new LineReader(this.io.stdin);
    return this.#lines;
  }

  /** Whether stdin is a terminal someone can type a password on. */
  get interactiveInput(): boolean {
    return this.io.stdinIsTTY ?? this.lines.isTTY;
  }

  /**
   * getpass(3): `prompt` on stderr, then a line typed with echo off (on a
   * terminal) or the next line of stdin (otherwise). Null at end of input.
   */
  async promptPassword(prompt: string): Promise<string | null> {
    this.err(prompt);
    if (this.lines.isTTY) {
      const typed = await this.lines.readSecret();
      this.err('\n');
      return typed;
    }
    return this.lines.readLine();
  }

  /**
   * A new password typed twice (`first`, then `retype`); up to three tries,
   * `passwords don't match` after each mismatch. Null when input ends or
   * every try mismatched.
   */
  async promptNewPassword(first: string, retype: string): Promise<string | null> {
    for (let tries = 0; tries < 3; tries++) {
      const a = await this.promptPassword(first);
      if (a === null) return null;
      const b = await this.promptPassword(retype);
      if (b === null) return null;
      if (a === b) return a;
      this.err("passwords don't match\n");
    }
    return null;
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
}
