/**
 * The real process as main() sees it (io.ts's CliIo).
 *
 * Output is written straight to file descriptors 1 and 2 with writeSync, as
 * a C tool writes: every command prints a few lines, and node's
 * process.stdout costs more to build than the whole command takes (a
 * stream, and for a pipe a socket, with the modules behind them). Writes
 * are whole and in order, so stdout and stderr interleave as they were
 * written. A descriptor left non-blocking by the parent (EAGAIN) is waited
 * on; a reader that went away (EPIPE) gets no more output, and the command
 * finishes as it would have.
 *
 * stdin is node's stream, built on first use: most commands never read it.
 * Whether it is a terminal (which decides whether a locked keychain's
 * password is asked for) is answered without it when stdin plainly is not
 * one: a pipe, a file, /dev/null, or closed.
 * @module
 */
import { fstatSync, statSync, writeSync } from 'node:fs';
import type { CliIo, CliWritable } from './io.js';

/** Waits about a millisecond without returning to the event loop. */
function pause(): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
}

/** A CliWritable on a file descriptor. */
export class FdWriter implements CliWritable {
  readonly #fd: number;
  #closed = false;

  constructor(fd: number) {
    this.#fd = fd;
  }

  write(chunk: string | Uint8Array): boolean {
    let bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    while (bytes.length > 0 && !this.#closed) {
      try {
        bytes = bytes.subarray(writeSync(this.#fd, bytes));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') pause();
        else if (code === 'EPIPE') this.#closed = true;
        else throw error;
      }
    }
    return true;
  }
}

/** Whether descriptor 0 is a terminal; undefined when only node's stdin stream can tell. */
function stdinIsTTY(): boolean | undefined {
  try {
    const stdin = fstatSync(0);
    if (!stdin.isCharacterDevice() || stdin.rdev === statSync('/dev/null').rdev) return false;
  } catch {
    return false;
  }
  return undefined;
}

/** The process's descriptors and environment. */
export function processIo(): CliIo {
  return {
    stdout: new FdWriter(1),
    stderr: new FdWriter(2),
    get stdin() {
      return process.stdin;
    },
    get stdinIsTTY() {
      return stdinIsTTY();
    },
    env: process.env,
  };
}
