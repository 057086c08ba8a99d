/**
 * The worker thread of the CLI's bridge to secitemd (daemon-bridge.ts): a
 * socket pump that writes the request frames the main thread posts it, cuts
 * the replies into frames, posts each on a MessagePort, then bumps a
 * counter in a SharedArrayBuffer (Atomics.add + Atomics.notify) so that a
 * main thread asleep in Atomics.wait wakes and takes it with
 * receiveMessageOnPort.
 *
 * Small and free of the engine, so that the dispatcher (main.ts) can start
 * it before it loads a command's module: the worker's start-up (a whole
 * node environment, most of what a bridged command pays) then overlaps the
 * loading. node:worker_threads is required only when a socket file exists:
 * loading it costs more than a command that never meets a daemon should pay.
 * Started pumps are kept on globalThis, because bin.js and the command
 * bundles (lazy/*.js) each have their own copy of this module.
 * @module
 */
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { MessagePort, Worker } from 'node:worker_threads';

/** The pump (CommonJS, run with `eval: true`: it needs no file beside the bundles and loads no module of this package). */
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

/** What the pump posts: connected, failed (the connection is over), or one reply frame (without its length). */
export type PumpMessage = { connected: true } | { failed: string } | { frame: Uint8Array };

/** A started pump: the worker (requests go to it with postMessage), the port its messages arrive on, the counter. */
export interface Pump {
  readonly worker: Worker;
  readonly port: MessagePort;
  readonly signal: Int32Array;
  /** receiveMessageOnPort of node:worker_threads. */
  readonly receive: (port: MessagePort) => { message: unknown } | undefined;
}

type WorkerThreads = typeof import('node:worker_threads');
const nodeRequire = createRequire(import.meta.url);

/** Pumps started ahead of their use, by socket path. */
const KEY = Symbol.for('secitem.cli.daemonPumps');
const TRIED = Symbol.for('secitem.cli.daemonPumpsTried');
function started(): Map<string, Pump> {
  const g = globalThis as unknown as Record<symbol, Map<string, Pump> | undefined>;
  return (g[KEY] ??= new Map());
}

/** Whether a socket file is at `path` (one stat). */
export function isSocketFile(path: string): boolean {
  try {
    return statSync(path).isSocket();
  } catch {
    return false;
  }
}

/** Starts a pump connecting to `socketPath`. It is unref'd: it never keeps the process alive. */
export function startPump(socketPath: string): Pump {
  const wt = nodeRequire('node:worker_threads') as WorkerThreads;
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new wt.MessageChannel();
  const worker = new wt.Worker(PUMP, { eval: true, workerData: { signal, port: port2, path: socketPath }, transferList: [port2], stdout: false, stderr: false });
  worker.unref();
  return { worker, port: port1, signal, receive: wt.receiveMessageOnPort };
}

/** Commands that never open a keychain: the dispatcher starts no pump for them. */
const NO_KEYCHAIN: ReadonlySet<string> = new Set(['help', 'error', 'profile', 'daemon', 'list-keychains', 'default-keychain', 'login-keychain', 'create-keychain', 'delete-keychain']);

/**
 * Starts a pump now when a socket file is at `socketPath` and the command
 * may open a keychain, for a later takePump; once per process and path (an
 * interactive session's later commands reuse their bridge).
 */
export function prestartPump(command: string, socketPath: string): void {
  if (NO_KEYCHAIN.has(command)) return;
  const g = globalThis as unknown as Record<symbol, Set<string> | undefined>;
  const tried = (g[TRIED] ??= new Set());
  if (tried.has(socketPath)) return;
  tried.add(socketPath);
  if (isSocketFile(socketPath)) started().set(socketPath, startPump(socketPath));
}

/** The pump started ahead for `socketPath`, else a new one; undefined when no socket file is there. */
export function takePump(socketPath: string): Pump | undefined {
  const pumps = started();
  const ready = pumps.get(socketPath);
  if (ready !== undefined) {
    pumps.delete(socketPath);
    return ready;
  }
  return isSocketFile(socketPath) ? startPump(socketPath) : undefined;
}
