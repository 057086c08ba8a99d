/**
 * secitemd's core: one process owns one keychain (its device key, enclave
 * and lock state) and serves the SecItem and SecKey functions over a Unix
 * socket to callers it identifies itself (caller.ts), with entitlements
 * from the app profiles, never from what a client says. docs/daemon.md.
 * @module
 */
import { createHmac } from 'node:crypto';
import { closeSync, constants as fsConstants, fstatSync, ftruncateSync, lstatSync, mkdirSync, openSync, readFileSync, realpathSync, unlinkSync, writeSync, fsyncSync, existsSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { kSecAttrAccessGroup, kSecAttrKeyClass, kSecAttrKeyClassPrivate, kSecAttrKeyClassPublic, kSecAttrKeyType, kSecClass, kSecUseAuthenticationContext } from '../constants.js';
import { SecError, SecCopyLastError, errSecInternalComponent, errSecParam, errSecUnimplemented, type OSStatus } from '../status.js';
import type { Entitlements, SecDictionary } from '../types.js';
import { openKeychain, type Keychain, type KeychainClient } from '../secitem/keychain.js';
import { itemClasses } from '../schema/classes.js';
import { createDeviceKey, readDeviceKey } from '../store/device-key-file.js';
import { SecKey } from '../objects/key.js';
import { LAContext, contextFromState } from '../access/la-context.js';
import { parsePersistentRef } from '../dictionary/persistent-ref.js';
import { SecIdentity } from '../objects/identity.js';
import { SecCertificate, SecCertificateCreateWithData } from '../objects/certificate.js';
import * as K from '../objects/key-functions.js';
import { identifyPeer, readStartTime, type Caller, type Refusal } from './caller.js';
import { packageRoot, peerCredAddon } from './native.js';
import { defaultSocketPath } from './paths.js';
import { CALLS, KEY_USES, OWNER_CALLS, failureAnswer, isCallName, missingEntitlement, statusOfAnswer, type CallName } from './protocol.js';
import {
  FrameReader, MAX_FRAME, Unrepresentable, WireCertificate, WireError, WireIdentity, WireKey, WirePublicKey, WireSecError,
  decodeFrameBody, encodeFrame, encodeValue, type DecodeHooks, type EncodeHooks,
} from './wire.js';

export interface ProfileRegistryLike {
  identify(caller: Caller): { entitlements: Entitlements; owner: boolean } | { refused: string };
}
export interface AuditEntry {
  time: Date;
  applicationIdentifier: string;
  pid: number;
  fn: string;
  cls?: string;
  group?: string;
  itemDigest?: string;
  status: number;
  /** Why the caller was refused (paths and identifiers, never a value). */
  reason?: string;
}
export interface AuditLike {
  /**
   * Records one call. With `defer` the entry may be held in memory until
   * writePending() (the daemon calls it once per round of calls); an
   * AuditLike without writePending writes each entry at once.
   */
  record(entry: AuditEntry, options?: { readonly defer?: boolean }): void;
  /** Writes the entries held by record({ defer: true }), in one write. */
  writePending?(): void;
}

export interface DaemonLimits {
  /** Requests of one connection received and not yet answered; reading pauses beyond (default 64). */
  maxInFlight: number;
  /** The largest frame a client may send (default MAX_FRAME). */
  maxFrame: number;
  /** A connection with nothing in flight is closed after this long without a frame (ms, default 5 minutes). */
  idleTimeoutMs: number;
  /** Replies queued to a client that does not read them before its requests stop being served (bytes, default 32 MiB). */
  maxUnreadReplies: number;
  /** Most calls committed together (one sync to disk) in a group (default 128). */
  maxGroup: number;
}

export interface DaemonOptions {
  keychainPath: string;
  /** Default: defaultSocketPath(). */
  socketPath?: string;
  /** The daemon's own files (the audit digest key). Default: the keychain's directory. */
  stateDir: string;
  profiles: ProfileRegistryLike;
  audit: AuditLike;
  limits?: Partial<DaemonLimits>;
  /** A line for the daemon's log (refusals, protocol errors); never a secret. Default: stderr. */
  log?: (line: string) => void;
  /** The identification step (tests may stand one in); default identifyPeer. */
  identify?: (socket: Socket) => Promise<Caller | Refusal>;
  /** The CLI entry script whose runs by the daemon's uid are the owner; default the package's dist/src/cli/bin.js. */
  ownerScript?: string;
  /**
   * Lock the keychain after this many seconds without a call (`set-keychain-settings -u -t N`);
   * null or absent: never. The owner changes it with `setIdleLock`.
   */
  idleLockSeconds?: number | null;
}

export interface Daemon {
  readonly socketPath: string;
  readonly keychain: Keychain;
  /** Stops accepting, answers every request already received, closes the keychain, removes the socket and lock. */
  close(): Promise<void>;
  /** Resolves when the daemon stopped (close, or a fatal error). */
  readonly closed: Promise<void>;
}

export { defaultSocketPath };

/**
 * What the owner gets for its SecItem and key calls: the entitlements of the
 * in-process `secitem` command line (src/cli/keychains.ts, which this layer
 * may not import; a test keeps the two equal). It sees every access group
 * ('*'); what it adds goes to 'secitem.cli'.
 */
export const OWNER_ENTITLEMENTS: Readonly<Entitlements> = Object.freeze({
  applicationIdentifier: 'secitem.cli',
  keychainAccessGroups: Object.freeze(['secitem.cli', '*']),
});

const DEFAULT_LIMITS: DaemonLimits = { maxInFlight: 64, maxFrame: MAX_FRAME, idleTimeoutMs: 5 * 60_000, maxUnreadReplies: 32 << 20, maxGroup: 128 };

// ── The lock file ────────────────────────────────────────────────────────────

export function lockPath(keychainPath: string): string {
  return `${keychainPath}.secitemd.lock`;
}

/**
 * Takes the keychain's lock, `<keychain>.secitemd.lock` (takeLockFile).
 * Returns the release function; throws when a live daemon holds it.
 */
export function takeLock(keychainPath: string): () => void {
  return takeLockFile(lockPath(keychainPath), `the keychain ${keychainPath}`);
}

/** The process a lock file names ("pid starttime" on its first line), when it still runs. */
export function lockHolder(file: string): { pid: number; startTime: number; rest: string } | undefined {
  let held: string;
  try {
    held = readFileSync(file, 'latin1');
  } catch {
    return undefined;
  }
  const newline = held.indexOf('\n');
  const [pid, start] = (newline < 0 ? held : held.slice(0, newline)).trim().split(' ').map(Number);
  if (pid === undefined || start === undefined || !Number.isSafeInteger(pid) || pid <= 0 || readStartTime(pid) === undefined || readStartTime(pid) !== start) return undefined;
  return { pid, startTime: start, rest: newline < 0 ? '' : held.slice(newline + 1) };
}

/**
 * Takes a lock file: `file` is opened (created 0600, never through a
 * symbolic link) and locked with flock, exclusive and non-blocking. The
 * lock is the kernel's: it ends with its process (SIGKILL included), so
 * nothing is ever stale, and of two daemons starting at once exactly one
 * wins. The winner writes "pid starttime" and then `extra` into the file,
 * for `status` and `stop` to read (lockHolder). The release function
 * removes the file, then closes it, which drops the lock; a process that
 * opened the file just before and locks it just after finds the path gone
 * or another file there, and tries again. `what` names what the lock
 * guards, in the error thrown when another process holds it.
 */
export function takeLockFile(file: string, what: string, extra = ''): () => void {
  const mine = `${process.pid} ${readStartTime(process.pid) ?? 0}\n${extra}`;
  const flock = peerCredAddon().flockExclusive;
  for (let attempt = 0; attempt < 8; attempt++) {
    const fd = openSync(file, fsConstants.O_RDWR | fsConstants.O_CREAT | fsConstants.O_NOFOLLOW, 0o600);
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw new Error(`the lock file ${file} is not a regular file`);
      if (!flock(fd)) {
        const holder = lockHolder(file);
        throw new Error(`another secitemd ${holder === undefined ? '' : `(pid ${holder.pid}) `}owns ${what} (lock file ${file})`);
      }
      // The lock is on the file this fd opened: it must still be the one at the path (not one a releasing daemon just removed).
      let atPath;
      try {
        atPath = lstatSync(file);
      } catch {
        atPath = undefined;
      }
      if (atPath === undefined || atPath.ino !== st.ino || atPath.dev !== st.dev) {
        closeSync(fd);
        continue;
      }
      ftruncateSync(fd, 0);
      writeSync(fd, mine, 0);
      fsyncSync(fd);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    return () => {
      try {
        unlinkSync(file);
      } catch {
        // already gone
      }
      closeSync(fd);
    };
  }
  throw new Error(`could not take the lock file ${file}: it was replaced again and again while being locked`);
}

// ── The socket's directory ───────────────────────────────────────────────────

/** Makes (0700) or checks the socket's directory: ours, a directory, entered by no one else. */
export function prepareSocketDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) throw new Error(`${dir} belongs to uid ${st.uid}, not to this user`);
  if ((st.mode & 0o077) !== 0) throw new Error(`${dir} has mode ${(st.mode & 0o777).toString(8)}: others may enter it (chmod 700 it)`);
}

function probeSocket(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

// ── The daemon's digest key ──────────────────────────────────────────────────

function digestKey(stateDir: string): Buffer {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const file = join(stateDir, 'secitemd.digest-key');
  return existsSync(file) ? readDeviceKey(file) : createDeviceKey(file);
}

/**
 * The class an audit line names: kSecClass as given, else the one the
 * object of kSecValueRef implies (SecItem infers it the same way), else the
 * one a persistent reference names (its first four bytes).
 */
function auditedClass(dict: Record<string, unknown>): string | undefined {
  const given = dict[kSecClass];
  if (typeof given === 'string') return given;
  const ref = dict['v_Ref'];
  if (ref instanceof SecIdentity) return 'idnt';
  if (ref instanceof SecCertificate) return 'cert';
  if (ref instanceof SecKey) return 'keys';
  try {
    return dict['v_PersistentRef'] === undefined ? undefined : parsePersistentRef(dict['v_PersistentRef']).className;
  } catch {
    return undefined; // not a persistent reference: the call answers errSecParam, and the line names no class
  }
}

/** The primary-key attributes of a dictionary's class, as given, HMAC'd: the same item gives the same digest; values stay secret. */
function itemDigestOf(key: Buffer, dict: unknown, digestCache: Map<string, string>): string | undefined {
  if (typeof dict !== 'object' || dict === null) return undefined;
  const d = dict as Record<string, unknown>;
  const cls = d[kSecClass];
  const def = typeof cls === 'string' ? itemClasses.get(cls) : undefined;
  if (!def) return undefined;
  try {
    const fields = [cls, ...def.primaryKey.map((a) => (Object.prototype.hasOwnProperty.call(d, a.code) ? d[a.code] : null))];
    const bytes = encodeValue(fields, DIGEST_HOOKS);
    // The same item is named again and again: its digest is kept (the key, its primary key's bytes, is no secret of the daemon's).
    const id = bytes.length <= 1024 ? bytes.toString('latin1') : undefined;
    const known = id === undefined ? undefined : digestCache.get(id);
    if (known !== undefined) return known;
    const digest = createHmac('sha256', key).update(bytes).digest('hex').slice(0, 32);
    if (id !== undefined) {
      if (digestCache.size >= DIGEST_CACHE) digestCache.clear();
      digestCache.set(id, digest);
    }
    return digest;
  } catch {
    return undefined;
  }
}
const DIGEST_HOOKS: EncodeHooks = { object: () => new Unrepresentable('object') };
/** How many item digests a daemon keeps (by the wire bytes of class and primary key). */
const DIGEST_CACHE = 4096;

// ── Connections ──────────────────────────────────────────────────────────────

interface Request {
  id: number;
  fn: CallName | string;
  args: unknown[];
  /** A key operation sent again with the answer of the client's user-presence check (envelope field `p`). */
  presence?: 'granted' | 'declined';
}

interface Identity {
  caller: Caller | undefined;
  /** Undefined: refused. */
  client: KeychainClient | undefined;
  entitlements: Entitlements | undefined;
  owner: boolean;
  refusal: string | undefined;
  /** The application identifier in the audit log: the profile's (an owner's included), else its entitlements'. */
  auditName: string | undefined;
}

class Connection {
  readonly socket: Socket;
  readonly reader: FrameReader;
  readonly queue: Request[] = [];
  identity: Identity | undefined;
  /** Handles of daemon-side objects given to this connection. */
  readonly handles = new Map<number, SecKey | SecIdentity>();
  readonly handleOf = new Map<SecKey | SecIdentity, number>();
  nextHandle = 1;
  /** A protocol error was answered; nothing more is read or served. */
  closing = false;
  paused = false;
  /** How this connection's values cross the wire (made at its first frame). */
  encodeHooks: EncodeHooks | undefined;
  decodeHooks: DecodeHooks | undefined;

  constructor(socket: Socket, maxFrame: number) {
    this.socket = socket;
    this.reader = new FrameReader(maxFrame);
  }

  handle(object: SecKey | SecIdentity): number {
    let h = this.handleOf.get(object);
    if (h === undefined) {
      h = this.nextHandle++;
      this.handles.set(h, object);
      this.handleOf.set(object, h);
    }
    return h;
  }
}

const MAX_HANDLES = 100_000;

/**
 * What a call answers when its answer is larger than a frame can carry
 * (MAX_FRAME): errSecParam in the call's shape with the reason, as
 * arguments too large to send get (client.ts unsendable); the caller asks
 * for fewer items or less data. An add has stored its item all the same:
 * it answers its status, without the result.
 */
function oversizedAnswer(fn: string, answer: unknown, why: string): unknown {
  if (fn === 'SecItemAdd' && statusOfAnswer(fn, answer) === 0) return { status: 0 };
  return failureAnswer(isCallName(fn) ? fn : 'SecItemCopyMatching', new SecError(errSecParam, `the answer is too large to send (${why}): ask for fewer items or less data`));
}

/** The public data of a key sent with its handle: never a private byte. */
function keyInfo(key: SecKey): Record<string, unknown> {
  const pub = K.SecKeyCopyPublicKey(key)!;
  const attrs = K.SecKeyCopyAttributes(pub) ?? {};
  const access = key.privateAccess;
  return {
    keyClass: access ? 'private' : 'public',
    keyType: attrs[kSecAttrKeyType],
    keySizeInBits: attrs['bsiz'],
    blockSize: K.SecKeyGetBlockSize(key),
    publicKey: K.SecKeyCopyExternalRepresentation(pub).value,
    extractable: access ? access.extractable : true,
    ...(access?.tokenID === undefined ? {} : { tokenID: access.tokenID }),
  };
}

/**
 * Starts secitemd: takes the keychain's lock, opens the keychain (a boot:
 * before first unlock when it has a passcode), listens on the socket.
 */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const limits: DaemonLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const log = options.log ?? ((line: string) => process.stderr.write(`secitemd: ${line}\n`));
  const identify = options.identify ?? ((socket: Socket) => identifyPeer(socket));
  if (!options.identify) peerCredAddon(); // a missing addon stops the start, loudly
  const socketPath = options.socketPath ?? defaultSocketPath();
  const daemonUid = typeof process.getuid === 'function' ? process.getuid() : -1;
  const ownerScript = options.ownerScript ?? (() => {
    try {
      return realpathSync(join(packageRoot(), 'dist', 'src', 'cli', 'bin.js'));
    } catch {
      return undefined;
    }
  })();

  const release = takeLock(options.keychainPath);
  let keychain: Keychain;
  let server: Server;
  let hmacKey: Buffer;
  try {
    hmacKey = digestKey(options.stateDir);
    prepareSocketDir(dirname(socketPath));
    if (existsSync(socketPath)) {
      if (await probeSocket(socketPath)) throw new Error(`a daemon already listens on ${socketPath}`);
      const st = lstatSync(socketPath);
      if (!st.isSocket()) throw new Error(`${socketPath} exists and is not a socket`);
      unlinkSync(socketPath);
    }
    keychain = openKeychain({ path: options.keychainPath });
  } catch (e) {
    release();
    throw e;
  }

  const connections = new Set<Connection>();
  const digestCache = new Map<string, string>();
  /** Connections with a request ready, in the order they became ready. */
  const ready: Connection[] = [];
  let scheduled = false;
  let stopping = false;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));

  // ── The idle lock: N seconds without a call (from any client) locks the keychain, as macOS's lock interval ──
  let idleLockSeconds: number | null = options.idleLockSeconds ?? null;
  let idleTimer: NodeJS.Timeout | undefined;
  function rearmIdleLock(): void {
    if (idleTimer !== undefined) clearTimeout(idleTimer);
    idleTimer = undefined;
    if (idleLockSeconds === null || stopping || !keychain.hasPasscode || keychain.lockState !== 'unlocked') return;
    idleTimer = setTimeout(() => {
      idleTimer = undefined;
      if (!stopping && keychain.lockState === 'unlocked') keychain.lock();
    }, idleLockSeconds * 1000);
    idleTimer.unref();
  }

  // ── Encoding and decoding per connection ──
  const makeEncodeHooks = (conn: Connection): EncodeHooks => ({
    object: (v) => {
      if (v instanceof SecError) return new WireSecError(v.status, v.detail);
      if (v instanceof SecCertificate) return new WireCertificate(v.der);
      if (v instanceof SecKey) return new WireKey(conn.handle(v), keyInfo(v));
      if (v instanceof SecIdentity) return new WireIdentity(conn.handle(v), v.certificate.der, new WireKey(conn.handle(v.privateKey), keyInfo(v.privateKey)));
      return undefined;
    },
  });
  /** A private key a client sent (an identity it imported, to be added): made here from its external representation. */
  const carriedPrivateKey = (data: Uint8Array, keyType: string): SecKey | Unrepresentable =>
    K.SecKeyCreateWithData(data, { [kSecAttrKeyType]: keyType, [kSecAttrKeyClass]: kSecAttrKeyClassPrivate }).value ?? new Unrepresentable('a private key that does not decode');
  const makeDecodeHooks = (conn: Connection): DecodeHooks => ({
    certificate: (der) => SecCertificateCreateWithData(der) ?? new Unrepresentable('bytes that are not a certificate'),
    key: (k) => {
      const o = conn.handles.get(k.handle);
      return o instanceof SecKey ? o : new Unrepresentable('a key handle this connection does not hold');
    },
    identity: (i) => {
      const o = conn.handles.get(i.handle);
      return o instanceof SecIdentity ? o : new Unrepresentable('an identity handle this connection does not hold');
    },
    publicKey: (p) => K.SecKeyCreateWithData(p.data, { [kSecAttrKeyType]: p.keyType, [kSecAttrKeyClass]: kSecAttrKeyClassPublic }).value ?? new Unrepresentable('a public key that does not decode'),
    privateKey: (p) => carriedPrivateKey(p.data, p.keyType),
    carriedIdentity: (i) => {
      const certificate = SecCertificateCreateWithData(i.certificate);
      const key = carriedPrivateKey(i.key.data, i.key.keyType);
      return certificate !== undefined && key instanceof SecKey ? new SecIdentity(certificate, key) : new Unrepresentable('an identity that does not decode');
    },
    // A client's LAContext arrives as its state; its checks stay in the client (docs/daemon.md). Asked for user
    // presence, a context that can ask records the reason (the call then answers `interaction`, and the client runs its
    // check and calls again with the answer). A key found with it keeps it: that key's use asks again (keyUse), as the
    // client's own context would be asked at the use in process; the call's answer covers that call only.
    authContext: (c) => {
      if (c.presence === 'none') return contextFromState(c.state);
      const context: LAContext = contextFromState(c.state, (reason) => {
        if (keyUse !== undefined) {
          if (keyUse.answer !== undefined) return keyUse.answer === 'granted';
          keyUse.asked ??= reason;
          return false;
        }
        if (c.presence === 'ask') presenceAsked.set(context, reason);
        return c.presence === 'granted';
      });
      return context;
    },
    error: (e) => new SecError(e.status, e.detail),
  });
  const encodeHooks = (conn: Connection): EncodeHooks => (conn.encodeHooks ??= makeEncodeHooks(conn));
  const decodeHooks = (conn: Connection): DecodeHooks => (conn.decodeHooks ??= makeDecodeHooks(conn));

  /** Sends a message of the daemon's own (a protocol error, a failed commit's answers): small, always encodable. */
  function send(conn: Connection, message: unknown): void {
    if (!conn.socket.destroyed) conn.socket.write(encodeFrame(message, encodeHooks(conn)));
  }

  /**
   * The frame of a call's answer. An answer larger than a frame (a lookup of
   * more than 16 MiB of data in all) is replaced by oversizedAnswer's, in
   * `reply`, so that the audit line has the status the caller gets.
   */
  function answerFrame(reply: [Connection, Request, unknown]): Buffer {
    const [conn, req, answer] = reply;
    try {
      return encodeFrame({ i: req.id, r: answer }, encodeHooks(conn));
    } catch (e) {
      reply[2] = oversizedAnswer(req.fn, answer, e instanceof WireError ? e.message : 'it cannot be encoded');
      return encodeFrame({ i: req.id, r: reply[2] }, encodeHooks(conn));
    }
  }

  function protocolError(conn: Connection, id: number, code: string, message: string): void {
    log(`connection of pid ${conn.identity?.caller?.pid ?? '?'}: ${code}: ${message}; closing it`);
    send(conn, { i: id, e: { code, message } });
    conn.closing = true;
    conn.queue.length = 0;
    conn.socket.end();
    setTimeout(() => conn.socket.destroy(), 1000).unref();
  }

  // ── Calls ──
  /** Contexts of this daemon's calls that asked for user presence, and why (what the client's check is asked). */
  const presenceAsked = new WeakMap<LAContext, string>();
  /**
   * The key operation in progress: the answer the client's check gave (a
   * call sent again), or the reason a key's context asked for one.
   */
  let keyUse: { answer: 'granted' | 'declined' | undefined; asked?: string } | undefined;
  /**
   * A key operation (a private key's use asks the context it was found
   * with): with `interaction` when that context asked for user presence the
   * client has yet to give; nothing else happened.
   */
  function usingKey(req: Request, op: () => unknown): unknown {
    keyUse = { answer: req.presence };
    try {
      const answer = op();
      const asked = keyUse.asked;
      return asked === undefined || typeof answer !== 'object' || answer === null ? answer : { ...answer, interaction: { userPresence: asked } };
    } finally {
      keyUse = undefined;
    }
  }
  /** A SecItem answer, with `interaction` when the call's context asked for user presence the client has yet to give. */
  function askingPresence(dict: unknown, answer: object): object {
    const context = typeof dict === 'object' && dict !== null ? (dict as Record<string, unknown>)[kSecUseAuthenticationContext] : undefined;
    const reason = context instanceof LAContext ? presenceAsked.get(context) : undefined;
    return reason === undefined ? answer : { ...answer, interaction: { userPresence: reason } };
  }

  /**
   * One call's answer; a key's use goes through usingKey (its context may
   * ask for user presence). Every function answers its own failures; one that
   * throws all the same (a bug) fails alone, as errSecInternalComponent in
   * the call's shape: it must neither stop the daemon for every client nor
   * take its write group's other calls with it (a write that threw was
   * rolled back to its own savepoint by the engine).
   */
  function call(conn: Connection, req: Request): unknown {
    try {
      return KEY_USES.has(req.fn as CallName) ? usingKey(req, () => dispatch(conn, req)) : dispatch(conn, req);
    } catch (e) {
      const fn = isCallName(req.fn) ? req.fn : undefined;
      log(`${fn ?? 'a call'} failed unexpectedly (${e instanceof Error ? e.name : typeof e}); answered errSecInternalComponent`);
      return failureAnswer(fn ?? 'SecItemCopyMatching', new SecError(errSecInternalComponent, `${fn ?? 'the call'} failed unexpectedly in secitemd`));
    }
  }

  function dispatch(conn: Connection, req: Request): unknown {
    const fn = req.fn;
    if (!isCallName(fn)) return { status: errSecUnimplemented, error: new SecError(errSecUnimplemented, `secitemd has no function ${String(fn).slice(0, 64)}`) };
    const id = conn.identity!;
    if (OWNER_CALLS.has(fn)) {
      if (!id.owner) return failureAnswer(fn, missingEntitlement(id.refusal ?? `${fn} is an owner operation`));
    } else if (!id.client) return failureAnswer(fn, missingEntitlement(id.refusal ?? 'the caller is not a registered application'));
    const a = req.args;
    const client = id.client!;
    const withReason = (status: OSStatus) => (status === 0 ? { status } : { status, error: SecCopyLastError(status) ?? new SecError(status) });
    switch (fn) {
      case 'hello':
        return { status: 0, result: { applicationIdentifier: id.entitlements!.applicationIdentifier, accessGroups: [...client.accessGroups], owner: id.owner } };
      case 'SecItemAdd':
        return askingPresence(a[0], client.SecItemAdd(a[0] as SecDictionary));
      case 'SecItemCopyMatching':
        return askingPresence(a[0], client.SecItemCopyMatching(a[0] as SecDictionary));
      case 'SecItemUpdate':
        return askingPresence(a[0], withReason(client.SecItemUpdate(a[0] as SecDictionary, a[1] as SecDictionary)));
      case 'SecItemDelete':
        return askingPresence(a[0], withReason(client.SecItemDelete(a[0] as SecDictionary)));
      case 'SecKeyCreateRandomKey':
        if (conn.handles.size >= MAX_HANDLES) return { error: new SecError(errSecParam, 'this connection holds too many key handles: release some') };
        return client.SecKeyCreateRandomKey(a[0] as SecDictionary);
      case 'SecKeyCreateSignature':
        return K.SecKeyCreateSignature(a[0] as SecKey, a[1] as string, a[2] as Uint8Array);
      case 'SecKeyVerifySignature':
        return K.SecKeyVerifySignature(a[0] as SecKey, a[1] as string, a[2] as Uint8Array, a[3] as Uint8Array);
      case 'SecKeyCreateEncryptedData':
        return K.SecKeyCreateEncryptedData(a[0] as SecKey, a[1] as string, a[2] as Uint8Array);
      case 'SecKeyCreateDecryptedData':
        return K.SecKeyCreateDecryptedData(a[0] as SecKey, a[1] as string, a[2] as Uint8Array);
      case 'SecKeyCopyKeyExchangeResult':
        return K.SecKeyCopyKeyExchangeResult(a[0] as SecKey, a[1] as string, a[2] as SecKey, a[3] as SecDictionary);
      case 'SecKeyCopyExternalRepresentation':
        return K.SecKeyCopyExternalRepresentation(a[0] as SecKey);
      case 'SecKeyCopyPublicKey':
        return K.SecKeyCopyPublicKey(a[0] as SecKey);
      case 'SecKeyCopyAttributes':
        return K.SecKeyCopyAttributes(a[0] as SecKey);
      case 'SecKeyGetBlockSize':
        return K.SecKeyGetBlockSize(a[0] as SecKey);
      case 'SecKeyIsAlgorithmSupported':
        return K.SecKeyIsAlgorithmSupported(a[0] as SecKey, a[1] as number, a[2] as string);
      case 'release': {
        const list = Array.isArray(a[0]) ? a[0] : [];
        for (const h of list) {
          const o = typeof h === 'number' ? conn.handles.get(h) : undefined;
          if (o !== undefined) {
            conn.handles.delete(h as number);
            conn.handleOf.delete(o);
          }
        }
        return { status: 0 };
      }
      case 'lock':
        return withReason(keychain.lock());
      case 'unlock':
        return withReason(keychain.unlock(a[0] as string));
      case 'setPasscode':
        return withReason(keychain.setPasscode(a[0] as string | null, a[1] as string | null));
      case 'setIdleLock': {
        const seconds = a[0];
        if (seconds !== null && (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0 || seconds > 2 ** 31 / 1000)) {
          return { status: errSecParam, error: new SecError(errSecParam, 'the idle lock is a number of seconds (0 to 2147483), or null') };
        }
        idleLockSeconds = seconds;
        return { status: 0 };
      }
      case 'status':
        return {
          status: 0,
          result: {
            lockState: keychain.lockState, hasPasscode: keychain.hasPasscode, passcodeRetryDelay: keychain.passcodeRetryDelay,
            keychainPath: keychain.path, idleLockSeconds,
          },
        };
    }
  }

  function audit(conn: Connection, req: Request, answer: unknown): void {
    const fn = isCallName(req.fn) ? req.fn : undefined;
    const first = req.args[0];
    const dict = typeof first === 'object' && first !== null && !Array.isArray(first) && !(first instanceof SecKey) ? (first as Record<string, unknown>) : undefined;
    const cls = dict === undefined ? undefined : auditedClass(dict);
    let group = dict && typeof dict[kSecAttrAccessGroup] === 'string' ? (dict[kSecAttrAccessGroup] as string) : undefined;
    if (group === undefined && req.fn === 'SecItemAdd') group = conn.identity?.client?.accessGroups[0];
    const isItemCall = req.fn === 'SecItemAdd' || req.fn === 'SecItemCopyMatching' || req.fn === 'SecItemUpdate' || req.fn === 'SecItemDelete';
    const itemDigest = isItemCall ? itemDigestOf(hmacKey, dict, digestCache) : undefined;
    // What a client names (class, group) and what a refusal says (paths) is made fit for the log, so that no call goes unrecorded.
    const fit = (text: string, max: number) => text.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, max) || '?';
    try {
      options.audit.record({
        time: new Date(),
        applicationIdentifier: fit(conn.identity?.auditName ?? '(refused)', 255),
        pid: conn.identity?.caller?.pid ?? 0,
        fn: fn ?? 'unknown',
        ...(cls === undefined ? {} : { cls: /^[A-Za-z0-9_-]{1,32}$/.test(cls) ? cls : 'invalid' }),
        ...(group === undefined ? {} : { group: fit(group, 255) }),
        ...(itemDigest === undefined ? {} : { itemDigest }),
        status: fn ? statusOfAnswer(fn, answer) : errSecUnimplemented,
        ...(conn.identity?.refusal === undefined ? {} : { reason: fit(conn.identity.refusal, 300) }),
      }, DEFER);
    } catch (e) {
      log(`the audit log refused an entry (${e instanceof Error ? e.message : String(e)})`);
    }
  }

  /** Writes the round's audit entries (one write). */
  function writeAudit(): void {
    try {
      options.audit.writePending?.();
    } catch (e) {
      log(`the audit log refused entries (${e instanceof Error ? e.message : String(e)})`);
    }
  }

  // ── Scheduling: one request per ready connection per round; SecItem calls of a round commit together ──
  // Writes commit together; a read needs no transaction of the group's (it reads what is committed) and is answered at once.
  const GROUPABLE = new Set(['SecItemAdd', 'SecItemUpdate', 'SecItemDelete', 'SecKeyCreateRandomKey']);
  /** Calls that change nothing: their audit lines may be written just after their answers. */
  const READ_ONLY = new Set(['hello', 'status', 'SecItemCopyMatching', 'SecKeyCreateSignature', 'SecKeyVerifySignature', 'SecKeyCreateEncryptedData',
    'SecKeyCreateDecryptedData', 'SecKeyCopyKeyExchangeResult', 'SecKeyCopyExternalRepresentation', 'SecKeyCopyPublicKey', 'SecKeyCopyAttributes',
    'SecKeyGetBlockSize', 'SecKeyIsAlgorithmSupported']);
  const DEFER = { defer: true } as const;
  /** Reads one connection may have answered in one round, in its order, before the next round. */
  const READS_PER_ROUND = 16;

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    setImmediate(round);
  }

  function markReady(conn: Connection): void {
    if (conn.identity && conn.queue.length > 0 && !conn.closing && !ready.includes(conn) && !conn.paused) {
      ready.push(conn);
      schedule();
    }
  }

  function round(): void {
    scheduled = false;
    const batch = ready.splice(0, limits.maxGroup);
    const grouped: [Connection, Request][] = [];
    const alone: [Connection, Request][] = [];
    for (const conn of batch) {
      const req = conn.queue.shift();
      if (!req || conn.closing) continue;
      if (GROUPABLE.has(req.fn) && conn.identity?.client) {
        grouped.push([conn, req]);
        continue;
      }
      alone.push([conn, req]);
      // A run of reads from one connection is answered in this round, in its order (a write ends the run).
      for (let n = 1; n < READS_PER_ROUND && req.fn === 'SecItemCopyMatching' && conn.queue[0]?.fn === 'SecItemCopyMatching'; n++) {
        alone.push([conn, conn.queue.shift()!]);
      }
    }
    const answers: [Connection, Request, unknown][] = [];
    if (grouped.length > 0) {
      try {
        // One transaction, one sync to disk; every call keeps its own status (a failed call changes nothing).
        keychain.batch(() => {
          for (const [conn, req] of grouped) answers.push([conn, req, call(conn, req)]);
        });
      } catch (e) {
        // The commit itself failed: nothing of the group is durable and the engine's memory may be ahead of the file.
        log(`a group commit failed (${e instanceof Error ? e.message : String(e)}); stopping`);
        for (const [conn, req] of grouped) {
          const fn = isCallName(req.fn) ? req.fn : 'SecItemAdd';
          send(conn, { i: req.id, r: failureAnswer(fn, new SecError(errSecInternalComponent, 'the daemon could not commit the call')) });
        }
        void stop();
        return;
      }
    }
    for (const [conn, req] of alone) answers.push([conn, req, call(conn, req)]);
    const frames = answers.map(answerFrame);
    // The round's audit lines go out in one write: before any answer when the round changed something (the line of
    // an acknowledged change is in the file before its acknowledgement), else right after the answers, in the same turn.
    let changed = false;
    for (const [conn, req, answer] of answers) {
      audit(conn, req, answer);
      if (!READ_ONLY.has(req.fn)) changed = true;
    }
    if (changed) writeAudit();
    // A connection's answers of the round leave in one write.
    const corked: Socket[] = [];
    for (const [conn] of answers) {
      if (!conn.socket.writableCorked && !conn.socket.destroyed) {
        conn.socket.cork();
        corked.push(conn.socket);
      }
    }
    for (const [n, [conn]] of answers.entries()) {
      if (!conn.socket.destroyed) conn.socket.write(frames[n]!);
      if (conn.socket.writableLength > limits.maxUnreadReplies) {
        conn.paused = true;
        conn.socket.once('drain', () => {
          conn.paused = false;
          markReady(conn);
        });
      }
      if (conn.queue.length < limits.maxInFlight && conn.socket.isPaused() && !stopping) conn.socket.resume();
      markReady(conn);
    }
    for (const socket of corked) socket.uncork();
    if (!changed) writeAudit();
    if (answers.length > 0) rearmIdleLock();
    if (ready.length > 0) schedule();
    if (stopping) maybeFinish();
  }

  function onData(conn: Connection, chunk: Buffer): void {
    if (conn.closing || stopping) return;
    let bodies: Buffer[];
    try {
      bodies = conn.reader.push(chunk);
    } catch (e) {
      const we = e instanceof WireError ? e : new WireError('protocol', 'unreadable stream');
      return protocolError(conn, -1, we.code, we.message);
    }
    for (const body of bodies) {
      let msg: unknown;
      try {
        msg = decodeFrameBody(body, decodeHooks(conn));
      } catch (e) {
        const we = e instanceof WireError ? e : new WireError('protocol', 'undecodable frame');
        return protocolError(conn, -1, we.code, we.message);
      }
      const m = msg as { i?: unknown; f?: unknown; a?: unknown; p?: unknown };
      if (
        typeof msg !== 'object' || msg === null || typeof m.i !== 'number' || !Number.isSafeInteger(m.i) || typeof m.f !== 'string' || !Array.isArray(m.a) ||
        (m.p !== undefined && m.p !== 'granted' && m.p !== 'declined')
      ) {
        return protocolError(conn, typeof m?.i === 'number' ? m.i : -1, 'protocol', 'a request is { i: integer, f: string, a: array, p?: "granted" | "declined" }');
      }
      conn.queue.push(m.p === undefined ? { id: m.i, fn: m.f, args: m.a } : { id: m.i, fn: m.f, args: m.a, presence: m.p });
    }
    if (conn.queue.length >= limits.maxInFlight) conn.socket.pause();
    markReady(conn);
  }

  function isOwnerTool(caller: Caller): boolean {
    return caller.uid === daemonUid && ownerScript !== undefined && caller.script === ownerScript;
  }

  function onConnection(socket: Socket): void {
    if (stopping) {
      socket.destroy();
      return;
    }
    const conn = new Connection(socket, limits.maxFrame);
    connections.add(conn);
    socket.setTimeout(limits.idleTimeoutMs);
    socket.on('timeout', () => {
      if (conn.queue.length === 0) socket.destroy();
    });
    socket.on('data', (chunk: Buffer) => onData(conn, chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      connections.delete(conn);
      conn.queue.length = 0;
      conn.handles.clear();
      conn.handleOf.clear();
      const at = ready.indexOf(conn);
      if (at >= 0) ready.splice(at, 1);
      if (stopping) maybeFinish();
    });
    identify(socket).then(
      (who) => {
        let identity: Identity;
        const asOwner = (caller: Caller, auditName: string): Identity => ({
          caller, client: keychain.client(OWNER_ENTITLEMENTS), entitlements: OWNER_ENTITLEMENTS, owner: true, refusal: undefined, auditName,
        });
        if ('refused' in who) {
          identity = { caller: undefined, client: undefined, entitlements: undefined, owner: false, refusal: who.refused, auditName: undefined };
        } else {
          const verdict = options.profiles.identify(who);
          if ('refused' in verdict) {
            // The owner's own CLI needs no profile: it is the device owner's tool, as in process.
            identity = isOwnerTool(who)
              ? asOwner(who, OWNER_ENTITLEMENTS.applicationIdentifier)
              : { caller: who, client: undefined, entitlements: undefined, owner: false, refusal: verdict.refused, auditName: undefined };
          } else if (verdict.owner || isOwnerTool(who)) {
            identity = asOwner(who, verdict.entitlements.applicationIdentifier);
          } else {
            identity = { caller: who, client: keychain.client(verdict.entitlements), entitlements: verdict.entitlements, owner: false, refusal: undefined, auditName: verdict.entitlements.applicationIdentifier };
          }
        }
        // A peer that hung up before it was identified (a probe of the socket) needs no log line.
        if (identity.refusal !== undefined && !socket.destroyed) {
          const who2 = identity.caller ? `pid ${identity.caller.pid} (${identity.caller.script ?? identity.caller.executable})` : 'a peer';
          log(`refused ${who2}: ${identity.refusal}`);
        }
        conn.identity = identity;
        markReady(conn);
      },
      (e: unknown) => {
        log(`could not identify a peer (${e instanceof Error ? e.message : String(e)})`);
        conn.identity = { caller: undefined, client: undefined, entitlements: undefined, owner: false, refusal: 'the peer could not be identified', auditName: undefined };
        markReady(conn);
      },
    );
  }

  server = createServer({ allowHalfOpen: false, pauseOnConnect: false }, onConnection);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    keychain.close();
    release();
    throw e;
  }
  server.on('error', (e) => log(`server error: ${e.message}`));

  let finishing: Promise<void> | undefined;
  let finish!: () => void;
  function maybeFinish(): void {
    if (!stopping) return;
    for (const c of connections) if (c.queue.length > 0 && !c.closing && !c.socket.destroyed) return;
    finish();
  }

  function stop(): Promise<void> {
    if (finishing) return finishing;
    stopping = true;
    finishing = new Promise<void>((resolve) => {
      let done = false;
      finish = () => {
        if (done) return;
        done = true;
        if (idleTimer !== undefined) clearTimeout(idleTimer);
        server.close();
        const ends = [...connections].map(
          (c) =>
            new Promise<void>((r) => {
              if (c.socket.destroyed) return r();
              let ender: NodeJS.Timeout | undefined;
              c.socket.once('close', () => {
                clearTimeout(ender);
                r();
              });
              c.socket.end();
              // Read again (onData drops frames while stopping) so the peer's end is seen and the socket closes; a
              // paused socket whose writes are done keeps no handle active, so the event loop could end with this
              // Promise pending. The timer is not unref'd for the same reason: it ends a peer that never closes.
              c.socket.resume();
              ender = setTimeout(() => c.socket.destroy(), 2000);
            }),
        );
        void Promise.all(ends).then(() => {
          try {
            keychain.close();
          } finally {
            try {
              unlinkSync(socketPath);
            } catch {
              // gone
            }
            release();
            resolveClosed();
            resolve();
          }
        });
      };
      // No new frames are read; every request already received is answered first.
      for (const c of connections) {
        c.socket.pause();
        markReady(c);
      }
      maybeFinish();
    });
    return finishing;
  }

  return {
    socketPath,
    keychain,
    close: stop,
    closed,
  };
}

/** fstat-based check used by tests: whether a path is a socket only its owner's directory reaches. */
export function socketIsPrivate(path: string): boolean {
  const st = lstatSync(dirname(path));
  const fd = openSync(dirname(path), fsConstants.O_RDONLY);
  try {
    return st.isDirectory() && (fstatSync(fd).mode & 0o077) === 0;
  } finally {
    closeSync(fd);
  }
}
