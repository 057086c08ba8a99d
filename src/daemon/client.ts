/**
 * The client of secitemd: the SecItem and SecKey functions of one app, as
 * Promises, through the daemon's socket. Same dictionaries, same shapes and
 * statuses as the in-process client (Keychain.client); bad input answers a
 * status, never a rejected Promise. A Promise rejects only when the
 * connection itself fails (the daemon stopped, a protocol error).
 * @module
 */
import { createConnection, type Socket } from 'node:net';
import { SecError, errSecNotAvailable, errSecParam, recordLastError, type OSStatus } from '../status.js';
import type { SecDictionary, SecItemResult, LockState } from '../types.js';
import { SecKey } from '../objects/key.js';
import { SecIdentity } from '../objects/identity.js';
import { LAContext, contextState, requestUserPresence } from '../access/la-context.js';
import { SecCertificate, SecCertificateCreateWithData } from '../objects/certificate.js';
import { SecKeyCopyExternalRepresentation } from '../objects/key-functions.js';
import { kSecAttrKeyTypeEC, kSecAttrKeyTypeRSA, kSecUseAuthenticationContext } from '../constants.js';
import { kSecPrivateKeyAttrs } from '../objects/key-algorithms.js';
import { shapeOf } from '../objects/key-encoding.js';
import { ownDictionary } from '../dictionary/parse.js';
import { CALLS, KEY_USES, type CallName } from './protocol.js';
import { defaultSocketPath } from './paths.js';
import {
  FrameReader, Unrepresentable, WireAuthContext, WireCarriedIdentity, WireCertificate, WireError, WireIdentity, WireKey, WirePrivateKey, WirePublicKey, WireSecError,
  decodeFrameBody, encodeFrame, type DecodeHooks, type EncodeHooks,
} from './wire.js';

/** The answer a context's own user-presence check gave, while its call is sent again with it. */
const presenceAnswers = new WeakMap<LAContext, 'granted' | 'declined'>();
/**
 * The LAContext each key the daemon handed out was found or made with: its
 * private half's use asks that context for user presence, here, as the key
 * would in process.
 */
const keyContexts = new WeakMap<RemoteKey, LAContext>();
/** Calls that hand out keys found or made with a context (a SecItem dictionary's, or a key's parameters'). */
const KEY_SOURCES: ReadonlySet<CallName> = new Set(['SecItemAdd', 'SecItemCopyMatching', 'SecKeyCreateRandomKey']);

/** The context of SecKeyCreateRandomKey's parameters: its private key attributes', else its own (as create-key.ts reads them). */
function creationContextOf(parameters: unknown): LAContext | undefined {
  const privateAttrs = typeof parameters === 'object' && parameters !== null ? (parameters as Record<string, unknown>)[kSecPrivateKeyAttrs] : undefined;
  return contextOf(privateAttrs) ?? contextOf(parameters);
}

/** Records `context` as the one every key in an answer (a key, an identity's key, in a dictionary or an array) was found with. */
function rememberKeyContexts(answer: unknown, context: LAContext, depth = 0): void {
  if (answer instanceof RemoteKey) keyContexts.set(answer, context);
  else if (answer instanceof RemoteIdentity) keyContexts.set(answer.privateKey, context);
  else if (depth < 3 && Array.isArray(answer)) for (const v of answer) rememberKeyContexts(v, context, depth + 1);
  else if (depth < 3 && typeof answer === 'object' && answer !== null) for (const v of Object.values(answer)) rememberKeyContexts(v, context, depth + 1);
}

/** The LAContext a SecItem dictionary names (kSecUseAuthenticationContext), if any. */
function contextOf(dict: unknown): LAContext | undefined {
  const v = typeof dict === 'object' && dict !== null ? (dict as Record<string, unknown>)[kSecUseAuthenticationContext] : undefined;
  return v instanceof LAContext ? v : undefined;
}

/** A key held by the daemon: its handle on this connection, and its public data. */
export class RemoteKey {
  readonly handle: number;
  /** 'private' or 'public'. */
  readonly keyClass: 'private' | 'public';
  /** kSecAttrKeyType ("73" EC, "42" RSA). */
  readonly keyType: string;
  readonly keySizeInBits: number;
  readonly blockSize: number;
  /** The public key's external representation (X9.63 for EC, PKCS#1 for RSA). */
  readonly publicKey: Uint8Array;
  readonly extractable: boolean;
  readonly tokenID: string | undefined;
  /** @internal */
  readonly connection: object;

  constructor(connection: object, handle: number, info: Readonly<Record<string, unknown>>) {
    this.connection = connection;
    this.handle = handle;
    this.keyClass = info['keyClass'] === 'private' ? 'private' : 'public';
    this.keyType = String(info['keyType'] ?? '');
    this.keySizeInBits = Number(info['keySizeInBits'] ?? 0);
    this.blockSize = Number(info['blockSize'] ?? 0);
    this.publicKey = info['publicKey'] instanceof Uint8Array ? info['publicKey'] : new Uint8Array();
    this.extractable = info['extractable'] !== false;
    this.tokenID = typeof info['tokenID'] === 'string' ? info['tokenID'] : undefined;
  }
}

/** An identity held by the daemon: its certificate (here) and its private key (a RemoteKey). */
export class RemoteIdentity {
  constructor(readonly connection: object, readonly handle: number, readonly certificate: SecCertificate | undefined, readonly privateKey: RemoteKey) {}
}

type KeyArg = RemoteKey | SecKey;
type SecResult<T> = { value?: T; error?: SecError };

export interface RemoteClient {
  /** The application the daemon identified this process as, its access groups, and whether it is the owner. */
  readonly identity: Promise<SecItemResult>;
  SecItemAdd(attributes: SecDictionary): Promise<SecItemResult>;
  SecItemCopyMatching(query: SecDictionary): Promise<SecItemResult>;
  SecItemUpdate(query: SecDictionary, attributesToUpdate: SecDictionary): Promise<OSStatus>;
  SecItemDelete(query: SecDictionary): Promise<OSStatus>;
  SecKeyCreateRandomKey(parameters: SecDictionary): Promise<SecResult<RemoteKey>>;
  SecKeyCreateSignature(key: KeyArg, algorithm: string, dataToSign: Uint8Array): Promise<SecResult<Uint8Array>>;
  SecKeyVerifySignature(key: KeyArg, algorithm: string, signedData: Uint8Array, signature: Uint8Array): Promise<{ value: boolean; error?: SecError }>;
  SecKeyCreateEncryptedData(key: KeyArg, algorithm: string, plaintext: Uint8Array): Promise<SecResult<Uint8Array>>;
  SecKeyCreateDecryptedData(key: KeyArg, algorithm: string, ciphertext: Uint8Array): Promise<SecResult<Uint8Array>>;
  SecKeyCopyKeyExchangeResult(privateKey: KeyArg, algorithm: string, publicKey: KeyArg, parameters: SecDictionary): Promise<SecResult<Uint8Array>>;
  SecKeyCopyExternalRepresentation(key: KeyArg): Promise<SecResult<Uint8Array>>;
  SecKeyCopyPublicKey(key: KeyArg): Promise<RemoteKey | undefined>;
  SecKeyCopyAttributes(key: KeyArg): Promise<Record<string, unknown> | undefined>;
  SecKeyGetBlockSize(key: KeyArg): Promise<number>;
  SecKeyIsAlgorithmSupported(key: KeyArg, operation: number, algorithm: string): Promise<boolean>;
  /** Lets the daemon forget keys and identities this connection holds. */
  release(...objects: (RemoteKey | RemoteIdentity)[]): Promise<OSStatus>;
  /** Owner operations: device-wide lock state (errSecMissingEntitlement for anyone but the owner). */
  lock(): Promise<OSStatus>;
  unlock(passcode: string): Promise<OSStatus>;
  setPasscode(current: string | null, next: string | null): Promise<OSStatus>;
  /** Lock after this many seconds without a call from any client; null: never. */
  setIdleLock(seconds: number | null): Promise<OSStatus>;
  status(): Promise<{ status: OSStatus; result?: DaemonStatus; error?: SecError }>;
  close(): Promise<void>;
}

/** The daemon's device-wide state, as its owner sees it. */
export interface DaemonStatus {
  lockState: LockState;
  hasPasscode: boolean;
  passcodeRetryDelay: number;
  /** The keychain file the daemon owns, as it was opened. */
  keychainPath: string;
  /** The idle lock (seconds), or null. */
  idleLockSeconds: number | null;
}

export interface ConnectOptions {
  /** The daemon's socket: default $SECITEM_SOCKET, else the default path (docs/daemon.md). */
  socket?: string;
}

/**
 * How a client connection's values cross the wire: keys and identities in
 * answers become RemoteKey/RemoteIdentity of `connection`, and only those of
 * `connection` go back as handles. Shared with the CLI's synchronous bridge.
 */
export function clientHooks(connection: object): { encode: EncodeHooks; decode: DecodeHooks } {
  return {
    decode: {
      certificate: (der) => SecCertificateCreateWithData(der) ?? new WireCertificate(der),
      key: (k) => new RemoteKey(connection, k.handle, k.info),
      identity: (i) => new RemoteIdentity(connection, i.handle, SecCertificateCreateWithData(i.certificate), new RemoteKey(connection, i.key.handle, i.key.info)),
      error: (e) => new SecError(e.status, e.detail),
    },
    encode: {
      object: (v) => {
        if (v instanceof RemoteKey) return v.connection === connection ? new WireKey(v.handle, {}) : new Unrepresentable('a key of another connection');
        if (v instanceof RemoteIdentity) return v.connection === connection ? new WireIdentity(v.handle, new Uint8Array(), new WireKey(v.privateKey.handle, {})) : new Unrepresentable('an identity of another connection');
        if (v instanceof SecCertificate) return new WireCertificate(v.der);
        if (v instanceof SecError) return new WireSecError(v.status, v.detail);
        if (v instanceof LAContext) {
          const { canAskPresence, ...state } = contextState(v);
          return new WireAuthContext(state, presenceAnswers.get(v) ?? (canAskPresence && !state.interactionNotAllowed ? 'ask' : 'none'));
        }
        if (v instanceof SecKey) return keyMaterial(v);
        if (v instanceof SecIdentity) {
          const key = keyMaterial(v.privateKey);
          return key instanceof WirePrivateKey ? new WireCarriedIdentity(v.certificate.der, key) : new Unrepresentable('an identity whose private key cannot leave this process');
        }
        return undefined;
      },
    },
  };
}

/**
 * A key of this process as the daemon receives it: its external
 * representation, so that the daemon can store it (SecItemAdd of a key or
 * identity imported here) or use it. A key that cannot be exported (an
 * enclave key of this process) stays here: Unrepresentable.
 */
function keyMaterial(key: SecKey): WirePublicKey | WirePrivateKey | Unrepresentable {
  const data = SecKeyCopyExternalRepresentation(key).value;
  if (data === undefined) return new Unrepresentable(key.privateAccess ? "a private key that cannot leave this process" : 'a key with no external representation');
  const type = shapeOf(key.publicKeyObject).type === 'ec' ? kSecAttrKeyTypeEC : kSecAttrKeyTypeRSA;
  return key.privateAccess ? new WirePrivateKey(data, type) : new WirePublicKey(data, type);
}

/** A reply's answer as the client function returns it (the bare OSStatus for status calls); its error recorded for SecCopyLastError. */
export function clientAnswer(fn: CallName, answer: unknown): unknown {
  const a = answer as { status?: unknown; error?: unknown } | undefined;
  const error = typeof a === 'object' && a !== null && a.error instanceof SecError ? a.error : undefined;
  recordLastError(error);
  if (CALLS[fn] === 'status') return typeof a === 'object' && a !== null && typeof a.status === 'number' ? a.status : answer;
  return answer;
}

/** The SecItem functions: each of their arguments is a dictionary. */
const DICTIONARY_CALLS: ReadonlySet<CallName> = new Set(['SecItemAdd', 'SecItemCopyMatching', 'SecItemUpdate', 'SecItemDelete']);

/**
 * A call's arguments as the engine reads them: each SecItem dictionary read
 * once into a plain copy of its own enumerable keys, whatever its prototype
 * (ownDictionary, the engine's first step), so that an object that is not a
 * plain one (a class's instance, one whose "__proto__" was assigned) carries
 * the keys the engine would read in process instead of travelling as
 * unrepresentable. Throws the SecError the engine answers for a dictionary
 * it cannot read.
 */
export function requestArguments(fn: CallName, args: unknown[]): unknown[] {
  return DICTIONARY_CALLS.has(fn) ? args.map(ownDictionary) : args;
}

/**
 * The answer to arguments that cannot be sent: a dictionary the engine
 * cannot read (its SecError), or arguments too large or too deep (the
 * status the engine gives a value it cannot take).
 */
export function unsendable(fn: CallName, e: unknown): unknown {
  const error = e instanceof SecError ? e : new SecError(errSecParam, e instanceof WireError ? e.message : 'the arguments cannot be sent');
  const shape = CALLS[fn];
  recordLastError(error);
  return shape === 'status' ? error.status : shape === 'secResult' ? { error } : shape === 'verify' ? { value: false, error } : { status: error.status, error };
}

class Connection {
  readonly #socket: Socket;
  readonly #reader = new FrameReader();
  /** Calls awaiting their answer; `raw`: resolved with the answer as it came (call() looks at it before clientAnswer does). */
  readonly #pending = new Map<number, { fn: CallName; resolve: (v: unknown) => void; reject: (e: Error) => void; raw?: boolean }>();
  #nextId = 1;
  #failure: Error | undefined;

  constructor(socket: Socket) {
    this.#socket = socket;
    ({ decode: this.#decode, encode: this.#encode } = clientHooks(this));
    socket.on('error', (e) => this.#fail(new SecError(errSecNotAvailable, `the connection to secitemd failed: ${e.message}`)));
    socket.on('close', () => this.#fail(new SecError(errSecNotAvailable, 'secitemd closed the connection')));
  }

  #fail(e: Error): void {
    this.#failure ??= e;
    for (const p of this.#pending.values()) p.reject(this.#failure);
    this.#pending.clear();
  }

  readonly #decode: DecodeHooks;
  readonly #encode: EncodeHooks;

  /** Bytes read from the socket (a copy: the read buffer is reused). */
  onData(chunk: Buffer): void {
    try {
      for (const body of this.#reader.push(chunk)) {
        const msg = decodeFrameBody(body, this.#decode) as { i?: unknown; r?: unknown; e?: { code?: unknown; message?: unknown } };
        if (msg.e !== undefined) {
          const error = new WireError('protocol', `secitemd: ${String(msg.e.code)}: ${String(msg.e.message)}`);
          const p = typeof msg.i === 'number' ? this.#pending.get(msg.i) : undefined;
          if (p) p.reject(error);
          this.#fail(error);
          this.#socket.destroy();
          return;
        }
        const p = typeof msg.i === 'number' ? this.#pending.get(msg.i) : undefined;
        if (!p) continue;
        this.#pending.delete(msg.i as number);
        p.resolve(p.raw === true ? msg.r : clientAnswer(p.fn, msg.r));
      }
    } catch (e) {
      this.#fail(e instanceof Error ? e : new Error(String(e)));
      this.#socket.destroy();
    }
  }

  /**
   * Sends a call; resolves its answer (errors recorded for SecCopyLastError).
   * Its SecItem dictionaries are read first, as the engine reads them
   * (requestArguments). A SecItem call whose dictionary holds an LAContext, or the use of a key
   * found or made with one, may be answered with `interaction` (the daemon
   * asks for user presence): the context's own check runs here, in the
   * caller's process, and the call is sent again with its answer (in the
   * context, or for a key's use in the request's `p`).
   */
  call(fn: CallName, given: unknown[]): Promise<unknown> {
    let args: unknown[];
    try {
      args = requestArguments(fn, given);
    } catch (e) {
      return Promise.resolve(unsendable(fn, e));
    }
    if (KEY_USES.has(fn)) {
      const keyContext = args[0] instanceof RemoteKey ? keyContexts.get(args[0]) : undefined;
      return keyContext === undefined ? this.#send(fn, args, false) : this.#callAsking(fn, args, keyContext, true);
    }
    const context = fn === 'SecKeyCreateRandomKey' ? creationContextOf(args[0]) : contextOf(args[0]);
    if (context === undefined) return this.#send(fn, args, false);
    return this.#callAsking(fn, args, context, false);
  }

  async #callAsking(fn: CallName, args: unknown[], context: LAContext, keyUse: boolean): Promise<unknown> {
    let raw = await this.#send(fn, args, true);
    for (let round = 0; round < 2; round++) {
      const asked = (raw as { interaction?: { userPresence?: unknown } } | undefined)?.interaction?.userPresence;
      if (typeof asked !== 'string') break;
      const outcome = requestUserPresence(context, asked, Date.now());
      const answer = outcome === 'accepted' || outcome === 'reused' ? 'granted' : 'declined';
      if (keyUse) {
        raw = await this.#send(fn, args, true, answer);
        continue;
      }
      presenceAnswers.set(context, answer);
      try {
        raw = await this.#send(fn, args, true);
      } finally {
        presenceAnswers.delete(context);
      }
    }
    if (typeof raw === 'object' && raw !== null && 'interaction' in raw) {
      const { interaction: _asked, ...answer } = raw as Record<string, unknown>;
      raw = answer;
    }
    if (KEY_SOURCES.has(fn)) rememberKeyContexts((raw as { result?: unknown; value?: unknown } | undefined)?.result ?? (raw as { value?: unknown } | undefined)?.value, context);
    return clientAnswer(fn, raw);
  }

  /** Sends a request; `presence`: the answer of the client's check for a key's use sent again. */
  #send(fn: CallName, args: unknown[], raw: boolean, presence?: 'granted' | 'declined'): Promise<unknown> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    let frame: Buffer;
    try {
      frame = encodeFrame(presence === undefined ? { i: id, f: fn, a: args } : { i: id, f: fn, a: args, p: presence }, this.#encode);
    } catch (e) {
      // Too large or too deep to send: the same status as the engine gives a value it cannot take.
      return Promise.resolve(unsendable(fn, e));
    }
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { fn, resolve, reject, raw });
      this.#socket.write(frame);
    });
  }

  /**
   * Ends the connection: the daemon answers what it read, then closes its
   * side. A daemon that does not close within CLOSE_GRACE_MS (stopped,
   * stalled) would hold the socket, and the process, open forever: the
   * connection is then destroyed, and calls still unanswered reject.
   */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#socket.destroyed) return resolve();
      const grace = setTimeout(() => this.#socket.destroy(), CLOSE_GRACE_MS);
      grace.unref();
      this.#socket.once('close', () => {
        clearTimeout(grace);
        resolve();
      });
      this.#socket.end();
    });
  }
}

/** How long close() waits for the daemon to close its side before it drops the connection. */
const CLOSE_GRACE_MS = 2000;

/** Connects to secitemd. Rejects when no daemon answers on the socket. */
export async function connectKeychain(options: ConnectOptions = {}): Promise<RemoteClient> {
  const path = options.socket ?? defaultSocketPath();
  // Replies are read into one buffer per connection (no 64 KiB allocation per read, no stream machinery); each read's
  // bytes are copied out before the next one.
  let connection: Connection | undefined;
  const early: Buffer[] = [];
  const readBuffer = Buffer.allocUnsafe(64 * 1024);
  const onread = {
    buffer: readBuffer,
    callback: (n: number, buf: Uint8Array): boolean => {
      const chunk = Buffer.from(buf.buffer, buf.byteOffset, n);
      const copy = Buffer.allocUnsafe(n);
      chunk.copy(copy);
      if (connection === undefined) early.push(copy);
      else connection.onData(copy);
      return true;
    },
  };
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = createConnection({ path, onread });
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', (e) => reject(new SecError(errSecNotAvailable, `no secitemd answers on ${path} (${(e as NodeJS.ErrnoException).code ?? e.message})`)));
  });
  const c = new Connection(socket);
  connection = c;
  for (const chunk of early.splice(0)) c.onData(chunk);
  const call = <T>(fn: CallName, ...args: unknown[]) => c.call(fn, args) as Promise<T>;
  return Object.freeze({
    identity: call<SecItemResult>('hello').catch((e: Error) => ({ status: errSecNotAvailable, error: e instanceof SecError ? e : new SecError(errSecNotAvailable, e.message) })),
    SecItemAdd: (attributes: SecDictionary) => call<SecItemResult>('SecItemAdd', attributes),
    SecItemCopyMatching: (query: SecDictionary) => call<SecItemResult>('SecItemCopyMatching', query),
    SecItemUpdate: (query: SecDictionary, attributesToUpdate: SecDictionary) => call<OSStatus>('SecItemUpdate', query, attributesToUpdate),
    SecItemDelete: (query: SecDictionary) => call<OSStatus>('SecItemDelete', query),
    SecKeyCreateRandomKey: (parameters: SecDictionary) => call<SecResult<RemoteKey>>('SecKeyCreateRandomKey', parameters),
    SecKeyCreateSignature: (key: KeyArg, algorithm: string, data: Uint8Array) => call<SecResult<Uint8Array>>('SecKeyCreateSignature', key, algorithm, data),
    SecKeyVerifySignature: (key: KeyArg, algorithm: string, data: Uint8Array, signature: Uint8Array) => call<{ value: boolean; error?: SecError }>('SecKeyVerifySignature', key, algorithm, data, signature),
    SecKeyCreateEncryptedData: (key: KeyArg, algorithm: string, plaintext: Uint8Array) => call<SecResult<Uint8Array>>('SecKeyCreateEncryptedData', key, algorithm, plaintext),
    SecKeyCreateDecryptedData: (key: KeyArg, algorithm: string, ciphertext: Uint8Array) => call<SecResult<Uint8Array>>('SecKeyCreateDecryptedData', key, algorithm, ciphertext),
    SecKeyCopyKeyExchangeResult: (privateKey: KeyArg, algorithm: string, publicKey: KeyArg, parameters: SecDictionary) =>
      call<SecResult<Uint8Array>>('SecKeyCopyKeyExchangeResult', privateKey, algorithm, publicKey, parameters),
    SecKeyCopyExternalRepresentation: (key: KeyArg) => call<SecResult<Uint8Array>>('SecKeyCopyExternalRepresentation', key),
    SecKeyCopyPublicKey: (key: KeyArg) => call<RemoteKey | undefined>('SecKeyCopyPublicKey', key),
    SecKeyCopyAttributes: (key: KeyArg) => call<Record<string, unknown> | undefined>('SecKeyCopyAttributes', key),
    SecKeyGetBlockSize: (key: KeyArg) => call<number>('SecKeyGetBlockSize', key),
    SecKeyIsAlgorithmSupported: (key: KeyArg, operation: number, algorithm: string) => call<boolean>('SecKeyIsAlgorithmSupported', key, operation, algorithm),
    release: (...objects: (RemoteKey | RemoteIdentity)[]) =>
      call<OSStatus>('release', objects.flatMap((o) => (o instanceof RemoteIdentity ? [o.handle, o.privateKey.handle] : [o.handle]))),
    lock: () => call<OSStatus>('lock'),
    unlock: (passcode: string) => call<OSStatus>('unlock', passcode),
    setPasscode: (current: string | null, next: string | null) => call<OSStatus>('setPasscode', current, next),
    setIdleLock: (seconds: number | null) => call<OSStatus>('setIdleLock', seconds),
    status: () => call<Awaited<ReturnType<RemoteClient['status']>>>('status'),
    close: () => c.close(),
  });
}
