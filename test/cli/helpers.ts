/**
 * Test support for the CLI: a fresh HOME per test, main() run in-process with
 * captured streams, and date normalisation for golden attribute blocks.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import type { CliWritable } from '../../src/cli/main.js';

/** Collects what a stream was given. */
export class Sink implements CliWritable {
  private readonly chunks: Buffer[] = [];
  write(chunk: string | Uint8Array): boolean {
    this.chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk));
    return true;
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
  text(): string {
    return this.bytes().toString('utf8');
  }
}

/** A throw-away HOME with its XDG data directory inside. */
export interface Home {
  readonly dir: string;
  readonly env: Record<string, string>;
  /** Where the default keychain lives for this HOME. */
  readonly defaultKeychain: string;
  cleanup(): void;
}

export function makeHome(): Home {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'secitem-cli-')));
  const data = join(dir, 'data');
  return {
    dir,
    env: { HOME: dir, XDG_DATA_HOME: data, XDG_CONFIG_HOME: join(dir, 'config') },
    defaultKeychain: join(data, 'secitem', 'login.keychain-db'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly stdoutBytes: Buffer;
}

/** Runs `secitem <argv…>` in-process against `home`, with nothing on stdin. */
export async function run(home: Home, ...argv: string[]): Promise<Run> {
  return runWith(home, {}, ...argv);
}

/** What a run gets besides its arguments. */
export interface RunOptions {
  /** Text on stdin (a pipe, not a terminal). */
  readonly stdin?: string;
  /** Variables added to the home's environment. */
  readonly env?: Readonly<Record<string, string>>;
}

/** Runs `secitem <argv…>` in-process with stdin text and extra environment. */
export async function runWith(home: Home, options: RunOptions, ...argv: string[]): Promise<Run> {
  const stdout = new Sink();
  const stderr = new Sink();
  const stdin = Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin, 'utf8')]);
  const env = { ...home.env, ...options.env };
  const code = await main(argv, { stdout, stderr, stdin, env, cwd: home.dir });
  return { code, stdout: stdout.text(), stderr: stderr.text(), stdoutBytes: stdout.bytes() };
}

const DATE_LINE = /^( {4}"(?:cdat|mdat)"<timedate>=)0x([0-9A-F]{32}) {2}"(\d{14})Z\\000"$/gm;

/**
 * Replaces the value of cdat/mdat lines with <DATE>, after checking each is a
 * well-formed timedate (hex of `YYYYMMDDhhmmssZ\0` = the quoted text) no older
 * than `since`.
 */
export function normalizeDates(block: string, since: Date): string {
  return block.replace(DATE_LINE, (_line, prefix: string, hex: string, text: string) => {
    assert.equal(Buffer.from(hex, 'hex').toString('latin1'), `${text}Z\0`);
    const [, y, mo, d, h, mi, s] = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)$/.exec(text) ?? [];
    const when = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
    assert.ok(when >= Math.floor(since.getTime() / 1000) * 1000 && when <= Date.now() + 1000, `date ${text} is now`);
    return `${prefix}<DATE>`;
  });
}

/** What a program run as a child process gave: its exit code (1 for a signal or a timeout) and its output. */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `file args…` in `cwd` with exactly `env`; never rejects. */
export function execResult(file: string, args: string[], env: Record<string, string>, cwd: string, timeoutMs = 90_000): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(file, args, { env, cwd, timeout: timeoutMs, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}
