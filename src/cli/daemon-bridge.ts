/**
 * The CLI's synchronous way to secitemd. The command handlers call a
 * synchronous client (`app.SecItemCopyMatching(q)` returns its answer); the
 * daemon answers over a socket. This bridge makes each call synchronous:
 * it encodes the request (wire.ts, with the client library's hooks, so
 * values, keys and errors are exactly those of RemoteClient), writes it on
 * the socket and waits for the reply on the same thread, without an event
 * loop turn (daemon-pump.ts), then decodes it.
 *
 * The socket is made only when a socket file exists at the daemon's path
 * (one stat when none does).
 * @module
 */
import { realpathSync } from 'node:fs';
import { takePump, type Pump } from './daemon-pump.js';
import { errSecNotAvailable, SecError, type OSStatus } from '../status.js';
import type { SecDictionary, SecItemResult } from '../types.js';
import type { KeychainClient } from '../secitem/keychain.js';
import type { SecKey } from '../objects/key.js';
import { clientAnswer, clientHooks, requestArguments, unsendable, type DaemonStatus } from '../daemon/client.js';
import type { CallName } from '../daemon/protocol.js';
import { decodeFrameBody, encodeFrame, WireError, type DecodeHooks, type EncodeHooks } from '../daemon/wire.js';

/** How long one call may wait for its reply before the command fails (ms). */
const CALL_TIMEOUT_MS = 120_000;

/** One connection to secitemd, used synchronously. */
export class DaemonBridge {
  readonly socketPath: string;
  readonly #pump: Pump;
  readonly #encode: EncodeHooks;
  readonly #decode: DecodeHooks;
  #nextId = 1;
  #failure: SecError | undefined;

  /** Connects through `pump`; throws SecError(errSecNotAvailable) when no daemon answers. */
  constructor(socketPath: string, pump: Pump) {
    this.socketPath = socketPath;
    this.#pump = pump;
    ({ encode: this.#encode, decode: this.#decode } = clientHooks(this));
    const first = pump.connection;
    if (!('connected' in first)) {
      this.close();
      throw new SecError(errSecNotAvailable, `no secitemd answers on ${socketPath} (${'failed' in first ? first.failed : 'no answer'})`);
    }
  }

  /** One call, answered synchronously, in the shape the client library's function answers. */
  call(fn: CallName, ...args: unknown[]): unknown {
    if (this.#failure) throw this.#failure;
    const id = this.#nextId++;
    let frame: Buffer;
    try {
      frame = encodeFrame({ i: id, f: fn, a: requestArguments(fn, args) }, this.#encode);
    } catch (e) {
      return unsendable(fn, e);
    }
    const unsent = this.#pump.send(frame);
    if (unsent !== undefined) throw this.#fail(unsent);
    const deadline = Date.now() + CALL_TIMEOUT_MS;
    for (;;) {
      const m = this.#pump.next(deadline);
      if ('connected' in m) continue;
      if ('failed' in m) throw this.#fail(m.failed === 'no answer in time' ? `secitemd did not answer within ${CALL_TIMEOUT_MS / 1000} s` : m.failed);
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
    this.#pump.close();
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
    const pump = takePump(socketPath);
    if (pump !== undefined) {
      try {
        const bridge = new DaemonBridge(socketPath, pump);
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
