/**
 * Reading passwords and command lines from stdin.
 *
 * - On a terminal, a password prompt goes to stderr and the answer is read
 *   with echo off (raw mode), as getpass(3) does; Ctrl-C or Ctrl-D cancels.
 * - On anything else (a pipe, a file), a prompt still goes to stderr and the
 *   answer is the next line of stdin, so scripts can feed passwords without
 *   putting them on the command line. End of input cancels (null).
 *
 * One LineReader per process buffers stdin, so interactive mode and the
 * password prompts of its commands read the same stream in order.
 * @module
 */
import type { CliReadable } from './io.js';

type RawCapable = CliReadable & { setRawMode?: (mode: boolean) => unknown; isRaw?: boolean };

/** Lines of a stream, read on demand. */
export class LineReader {
  readonly #stream: CliReadable;
  #buffer: Buffer = Buffer.alloc(0);
  #ended = false;
  #waiters: (() => void)[] = [];
  #attached = false;

  constructor(stream: CliReadable) {
    this.#stream = stream;
  }

  get isTTY(): boolean {
    return this.#stream.isTTY === true;
  }

  #attach(): void {
    if (this.#attached) return;
    this.#attached = true;
    this.#stream.on('data', (chunk: Buffer | string) => {
      this.#buffer = Buffer.concat([this.#buffer, typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk]);
      this.#wake();
    });
    const end = (): void => {
      this.#ended = true;
      this.#wake();
    };
    this.#stream.on('end', end);
    this.#stream.on('close', end);
    this.#stream.on('error', end);
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  #more(): Promise<void> {
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
      this.#stream.resume();
    });
  }

  /** The next line without its newline (and a trailing CR), or null at end of input. */
  async readLine(): Promise<string | null> {
    this.#attach();
    for (;;) {
      const nl = this.#buffer.indexOf(0x0a);
      if (nl >= 0) {
        let line = this.#buffer.subarray(0, nl);
        this.#buffer = this.#buffer.subarray(nl + 1);
        if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
        this.#pause();
        return line.toString('utf8');
      }
      if (this.#ended) {
        if (this.#buffer.length === 0) return null;
        const line = this.#buffer.toString('utf8');
        this.#buffer = Buffer.alloc(0);
        return line;
      }
      await this.#more();
    }
  }

  #pause(): void {
    if (this.#waiters.length === 0) this.#stream.pause();
  }

  /** A line typed with echo off (terminal only). Null on Ctrl-C / Ctrl-D / end. */
  async readSecret(): Promise<string | null> {
    const stream = this.#stream as RawCapable;
    if (typeof stream.setRawMode !== 'function') return this.readLine();
    this.#attach();
    const wasRaw = stream.isRaw === true;
    stream.setRawMode(true);
    try {
      let typed = '';
      for (;;) {
        if (this.#buffer.length === 0) {
          if (this.#ended) return null;
          await this.#more();
          continue;
        }
        const text = this.#buffer.toString('utf8');
        this.#buffer = Buffer.alloc(0);
        for (const ch of text) {
          if (ch === '\r' || ch === '\n') return typed;
          if (ch === '\u0003' || ch === '\u0004') return null;
          if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
          else if (ch === '\u0015') typed = '';
          else typed += ch;
        }
      }
    } finally {
      stream.setRawMode(wasRaw);
      this.#pause();
    }
  }
}
