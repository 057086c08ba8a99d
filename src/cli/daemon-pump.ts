/**
 * The socket of the CLI's bridge to secitemd (daemon-bridge.ts), used
 * synchronously on the main thread: the command handlers call a
 * synchronous client, so each call writes its request frame and then waits
 * for the reply without returning to the event loop.
 *
 * node:net makes the socket (a Unix socket's connect() completes at once in
 * the kernel: libuv calls it synchronously and only reports the outcome
 * later), the stream is paused before it ever reads, so libuv never takes
 * a byte, and the frames go through the socket's file descriptor with
 * fs.writeSync and fs.readSync. The descriptor is non-blocking (libuv's): a
 * read that finds nothing sleeps in Atomics.wait, from 20 µs doubling up to
 * 2 ms while the reply is late, and tries again. No worker thread: starting
 * one (a whole second node environment, plus node:worker_threads) cost a
 * bridged command more than all the rest of its start.
 *
 * node:net is loaded only when a socket file exists (one stat otherwise).
 * @module
 */
import { readSync, statSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { FrameReader } from '../daemon/wire.js';

/** What the pump answers: connected, failed (the connection is over), or one reply frame (without its length). */
export type PumpMessage = { connected: true } | { failed: string } | { frame: Uint8Array };

/** A connection to secitemd, used synchronously. */
export interface Pump {
  /** Whether the connection was made: `{ connected: true }`, or why not. */
  readonly connection: PumpMessage;
  /** Writes one frame, all of it (waiting while the socket is full); undefined, or why the connection failed. */
  send(frame: Uint8Array): string | undefined;
  /** The next reply frame, waiting for it until `deadline` (Date.now() ms); or why there is none. */
  next(deadline: number): PumpMessage;
  close(): void;
}

const nodeRequire = createRequire(import.meta.url);

/** Whether a socket file is at `path` (one stat). */
export function isSocketFile(path: string): boolean {
  try {
    return statSync(path).isSocket();
  } catch {
    return false;
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms: number): void => void Atomics.wait(sleeper, 0, 0, ms);
const codeOf = (e: unknown): string => String((e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : e));
const FIRST_SLEEP_MS = 0.02;
const LONGEST_SLEEP_MS = 2;

class SocketPump implements Pump {
  readonly connection: PumpMessage;
  readonly #socket: Socket;
  readonly #fd: number;
  readonly #reader = new FrameReader();
  readonly #frames: Buffer[] = [];
  readonly #chunk = Buffer.allocUnsafe(64 * 1024);
  #failure: string | undefined;

  constructor(path: string) {
    const net = nodeRequire('node:net') as typeof import('node:net');
    const socket = net.createConnection({ path });
    // Paused before it connects: libuv never reads, every byte is for readSync.
    socket.pause();
    socket.on('error', () => undefined); // the outcome of the connect, reported later: already known here
    socket.unref();
    this.#socket = socket;
    const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
    this.#fd = typeof fd === 'number' ? fd : -1;
    if (this.#fd < 0) this.#failure = 'no socket';
    else {
      try {
        // A write of nothing: ENOTCONN (or another error) when the connect failed.
        writeSync(this.#fd, Buffer.alloc(0));
      } catch (e) {
        this.#failure = codeOf(e);
      }
    }
    this.connection = this.#failure === undefined ? { connected: true } : { failed: this.#failure };
  }

  send(frame: Uint8Array): string | undefined {
    if (this.#failure !== undefined) return this.#failure;
    let at = 0;
    let wait = FIRST_SLEEP_MS;
    while (at < frame.byteLength) {
      try {
        at += writeSync(this.#fd, frame, at, frame.byteLength - at);
        wait = FIRST_SLEEP_MS;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') return (this.#failure = codeOf(e));
        sleep(wait);
        wait = Math.min(wait * 2, LONGEST_SLEEP_MS);
      }
    }
    return undefined;
  }

  next(deadline: number): PumpMessage {
    let wait = FIRST_SLEEP_MS;
    for (;;) {
      const frame = this.#frames.shift();
      if (frame !== undefined) return { frame };
      if (this.#failure !== undefined) return { failed: this.#failure };
      let n: number;
      try {
        n = readSync(this.#fd, this.#chunk, 0, this.#chunk.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') {
          this.#failure = codeOf(e);
          continue;
        }
        const left = deadline - Date.now();
        if (left <= 0) return { failed: 'no answer in time' };
        sleep(Math.min(wait, left));
        wait = Math.min(wait * 2, LONGEST_SLEEP_MS);
        continue;
      }
      if (n === 0) {
        this.#failure = 'secitemd closed the connection';
        continue;
      }
      try {
        this.#frames.push(...this.#reader.push(Buffer.from(this.#chunk.subarray(0, n))));
      } catch (e) {
        this.#failure = `an unreadable reply (${codeOf(e)})`;
      }
    }
  }

  close(): void {
    this.#failure ??= 'closed';
    this.#socket.destroy();
  }
}

/** A connection to secitemd on `socketPath`; undefined when no socket file is there. */
export function takePump(socketPath: string): Pump | undefined {
  return isSocketFile(socketPath) ? new SocketPump(socketPath) : undefined;
}
