/**
 * The CLI's synchronous way to secitemd. The command handlers call a
 * synchronous client (`app.SecItemCopyMatching(q)` returns its answer); the
 * daemon answers over a socket. This bridge makes each call synchronous:
 *
 * - A worker thread owns the socket and does nothing but move bytes: it
 *   writes each request frame the main thread posts it, cuts the replies
 *   into frames, posts each one back on a MessagePort and then bumps a
 *   counter in a SharedArrayBuffer (Atomics.add + Atomics.notify).
 * - The main thread encodes the request (wire.ts, with the client library's
 *   hooks, so values, keys and errors are exactly those of RemoteClient),
 *   posts it, and sleeps in Atomics.wait on the counter until a reply is
 *   there, which it takes with receiveMessageOnPort: no polling, no event
 *   loop turn. Then it decodes the reply on its own thread.
 *
 * Encoding and decoding stay on the main thread because what a reply holds
 * (SecError, SecCertificate, RemoteKey) would not survive a structured clone
 * between threads; only frames, which are bytes, cross.
 *
 * The worker is started only when a socket file exists at the daemon's path
 * (one stat when none does); its code is a few lines of node:net given as a
 * string, so it loads no module of this package and needs no file beside the
 * bundles. It is unref'd: it never keeps the process alive.
 * @module
 */
import { realpathSync, statSync } from 'node:fs';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { errSecNotAvailable, SecError, type OSStatus } from '../status.js';
import type { SecDictionary, SecItemResult } from '../types.js';
import type { KeychainClient } from '../secitem/keychain.js';
import type { SecKey } from '../objects/key.js';
import { clientAnswer, clientHooks, unsendable, type DaemonStatus } from '../daemon/client.js';
import type { CallName } from '../daemon/protocol.js';
import { decodeFrameBody, encodeFrame, WireError, type DecodeHooks, type EncodeHooks } from '../daemon/wire.js';

/** How long one call may wait for its reply before the command fails (ms). */
const CALL_TIMEOUT_MS = 120_000;

/** The socket pump (CommonJS, run with `eval: true`). */
const PUMP = `
const { parentPort, workerData } = require('node:worker_threads');
const { createConnection } = require('node:net');
const { signal, port, path } = workerData;
const wake = (message, transfer) => { port.postMessage(message, transfer); Atomics.add(signal, 0, 1); Atomics.notify(signal, 0); };
const socket = createConnection(path);
let chunks = [], total = 0, need = 4, header = true;
socket.on('connect', () => wake({ connected: true }));
socket.on('error', (e) => wake({ failed: String(e.code || e.message) }));
socket.on('close', () => wake({ failed: 'secitemd closed the connection' }));
socket.on('data', (chunk) => {
  chunks.push(chunk);
  total += chunk.length;
  while (total >= need) {
    const all = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
    let rest;
    if (header) {
      need = all.readUInt32BE(0);
      header = false;
      rest = all.subarray(4);
    } else {
      const frame = new Uint8Array(all.subarray(0, need));
      rest = all.subarray(need);
      need = 4;
      header = true;
      wake({ frame }, [frame.buffer]);
    }
    chunks = rest.length > 0 ? [rest] : [];
    total = rest.length;
  }
});
parentPort.on('message', (frame) => socket.write(frame));
`;

type Message = { connected: true } | { failed: string } | { frame: Uint8Array };

/** One connection to secitemd, used synchronously. */
export class DaemonBridge {
  readonly socketPath: string;
  readonly #worker: Worker;
  readonly #port: MessagePort;
  readonly #signal: Int32Array;
  readonly #encode: EncodeHooks;
  readonly #decode: DecodeHooks;
  #nextId = 1;
  #failure: SecError | undefined;

  /** Connects; throws SecError(errSecNotAvailable) when no daemon answers. */
  constructor(socketPath: string) {
    this.socketPath = socketPath;
    this.#signal = new Int32Array(new SharedArrayBuffer(4));
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    this.#worker = new Worker(PUMP, { eval: true, workerData: { signal: this.#signal, port: port2, path: socketPath }, transferList: [port2], stdout: false, stderr: false });
    this.#worker.unref();
    ({ encode: this.#encode, decode: this.#decode } = clientHooks(this));
    const first = this.#next();
    if (!('connected' in first)) {
      this.close();
      throw new SecError(errSecNotAvailable, `no secitemd answers on ${socketPath} (${'failed' in first ? first.failed : 'no answer'})`);
    }
  }

  /** The next message of the worker, waiting for it without spinning. */
  #next(): Message {
    const deadline = Date.now() + CALL_TIMEOUT_MS;
    for (;;) {
      const seen = Atomics.load(this.#signal, 0);
      const got = receiveMessageOnPort(this.#port);
      if (got !== undefined) return got.message as Message;
      const left = deadline - Date.now();
      if (left <= 0) return { failed: `secitemd did not answer within ${CALL_TIMEOUT_MS / 1000} s` };
      // The worker posts, then bumps the counter: a post after `seen` was read wakes this wait (or makes it return at once).
      Atomics.wait(this.#signal, 0, seen, left);
    }
  }

  /** One call, answered synchronously, in the shape the client library's function answers. */
  call(fn: CallName, ...args: unknown[]): unknown {
    if (this.#failure) throw this.#failure;
    const id = this.#nextId++;
    let frame: Buffer;
    try {
      frame = encodeFrame({ i: id, f: fn, a: args }, this.#encode);
    } catch (e) {
      return unsendable(fn, e);
    }
    this.#worker.postMessage(frame);
    for (;;) {
      const m = this.#next();
      if ('connected' in m) continue;
      if ('failed' in m) throw this.#fail(m.failed);
      let reply: { i?: unknown; r?: unknown; e?: { code?: unknown; message?: unknown } };
      try {
        reply = decodeFrameBody(m.frame, this.#decode) as typeof reply;
      } catch (e) {
        throw this.#fail(e instanceof WireError ? `an unreadable reply (${e.code})` : 'an unreadable reply');
      }
      if (reply.e !== undefined) throw this.#fail(`${String(reply.e.code)}: ${String(reply.e.message)}`);
      if (reply.i !== id) continue; // not ours (none other is in flight: calls are one at a time)
      return clientAnswer(fn, reply.r);
    }
  }

  #fail(why: string): SecError {
    this.#failure = new SecError(errSecNotAvailable, `the connection to secitemd failed: ${why}`);
    this.close();
    return this.#failure;
  }

  /** Device-wide state (owner only). */
  status(): { status: OSStatus; result?: DaemonStatus; error?: SecError } {
    return this.call('status') as ReturnType<DaemonBridge['status']>;
  }

  /** The SecItem client of this connection: the daemon's idea of who this process is decides what it sees. */
  client(): KeychainClient {
    const hello = this.call('hello') as SecItemResult;
    const groups = (hello.result as { accessGroups?: unknown } | undefined)?.accessGroups;
    return Object.freeze({
      accessGroups: Object.freeze(Array.isArray(groups) ? groups.filter((g): g is string => typeof g === 'string') : []),
      SecItemAdd: (attributes: SecDictionary) => this.call('SecItemAdd', attributes) as SecItemResult,
      SecItemCopyMatching: (query: SecDictionary) => this.call('SecItemCopyMatching', query) as SecItemResult,
      SecItemUpdate: (query: SecDictionary, attributesToUpdate: SecDictionary) => this.call('SecItemUpdate', query, attributesToUpdate) as OSStatus,
      SecItemDelete: (query: SecDictionary) => this.call('SecItemDelete', query) as OSStatus,
      // A key made here stays in the daemon: the command gets a RemoteKey (create-keypair uses only the status).
      SecKeyCreateRandomKey: (parameters: SecDictionary) => this.call('SecKeyCreateRandomKey', parameters) as { value?: SecKey; error?: SecError },
    });
  }

  close(): void {
    void this.#worker.terminate();
    this.#port.close();
  }
}

/** Bridges by socket path, one per process; null: no daemon answers there. */
const bridges = new Map<string, { bridge: DaemonBridge | null; owns: string | undefined }>();

function realOrSame(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * The daemon listening on `socketPath`, when one answers there and tells
 * this process which keychain it owns (only its owner may ask); undefined
 * otherwise. Costs one stat when there is no socket file. One connection
 * per socket per process.
 */
export function daemonAt(socketPath: string): { bridge: DaemonBridge; owns: string } | undefined {
  let known = bridges.get(socketPath);
  if (known === undefined) {
    known = { bridge: null, owns: undefined };
    let isSocket = false;
    try {
      isSocket = statSync(socketPath).isSocket();
    } catch {
      // no daemon
    }
    if (isSocket) {
      try {
        const bridge = new DaemonBridge(socketPath);
        const s = bridge.status();
        if (s.status === 0 && s.result !== undefined) known = { bridge, owns: realOrSame(s.result.keychainPath) };
        else bridge.close();
      } catch {
        // a stale socket file: nobody answers
      }
    }
    bridges.set(socketPath, known);
  }
  return known.bridge === null || known.owns === undefined ? undefined : { bridge: known.bridge, owns: known.owns };
}

/** The bridge to the daemon on `socketPath` when it owns the keychain at `keychainPath`. */
export function daemonFor(socketPath: string, keychainPath: string): DaemonBridge | undefined {
  const d = daemonAt(socketPath);
  return d !== undefined && d.owns === realOrSame(keychainPath) ? d.bridge : undefined;
}
