/**
 * What the bridges (keytar.ts, keyring.ts, credential-helper.ts) share: where
 * their items are and how a call reaches them.
 *
 * - **Which keychain**: the default keychain, the very file the CLI uses by
 *   default (`currentDefaultPath` of cli/keychains.ts: `default-keychain -s`,
 *   else `$XDG_DATA_HOME/secitem/login.keychain-db`), created (directory
 *   0700) on first use; or a keychain named as the CLI names them (`-k`), for
 *   keyring's targets.
 * - **How**: an operation is a generator of SecItem calls (`Op`), run either
 *   synchronously on the in-process engine (`runSync`) or asynchronously
 *   (`runAsync`): through secitemd when a daemon answers on its socket (one
 *   connection shared by every call in flight, closed when none is, so it
 *   never keeps the process alive), else on the in-process engine.
 * - **As whom**, in-process: the application `secitem.bridges`, whose items go
 *   to the access group `secitem.bridges` and which sees every group (`*`),
 *   as every app sees every secret under gnome-keyring or keytar: a process
 *   that opens the keychain file itself holds its device key anyway. Through
 *   the daemon, the daemon decides from the caller's app profile.
 * - The keychain's password, for one with a password: `SECITEM_KEYCHAIN_PASSWORD`,
 *   as for the CLI.
 * @module
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { openKeychain, type Keychain, type KeychainClient } from '../secitem/keychain.js';
import { connectKeychain, type RemoteClient } from '../daemon/client.js';
import { SecCopyErrorMessageString, type OSStatus } from '../status.js';
import type { SecDictionary, SecItemResult } from '../types.js';
import { currentDefaultPath } from '../cli/keychains.js';
import { defaultKeychainPath, keychainPath } from '../cli/keychain-paths.js';
import { PASSWORD_ENV } from '../cli/session.js';

/** The application the bridges are in-process, and the access group their items go to. */
export const BRIDGE_APPLICATION_IDENTIFIER = 'secitem.bridges';
const BRIDGE_ACCESS_GROUPS: readonly string[] = [BRIDGE_APPLICATION_IDENTIFIER, '*'];

/** One SecItem call an operation asks for. */
export type Call =
  | { readonly fn: 'SecItemAdd'; readonly attributes: SecDictionary }
  | { readonly fn: 'SecItemCopyMatching'; readonly query: SecDictionary }
  | { readonly fn: 'SecItemUpdate'; readonly query: SecDictionary; readonly attributes: SecDictionary }
  | { readonly fn: 'SecItemDelete'; readonly query: SecDictionary };

/** An operation: yields calls, receives each one's answer (SecItemResult or OSStatus), returns its value. */
export type Op<T> = Generator<Call, T, unknown>;

export function* add(attributes: SecDictionary): Generator<Call, SecItemResult, unknown> {
  return (yield { fn: 'SecItemAdd', attributes }) as SecItemResult;
}
export function* copyMatching(query: SecDictionary): Generator<Call, SecItemResult, unknown> {
  return (yield { fn: 'SecItemCopyMatching', query }) as SecItemResult;
}
export function* update(query: SecDictionary, attributes: SecDictionary): Generator<Call, OSStatus, unknown> {
  return (yield { fn: 'SecItemUpdate', query, attributes }) as OSStatus;
}
export function* remove(query: SecDictionary): Generator<Call, OSStatus, unknown> {
  return (yield { fn: 'SecItemDelete', query }) as OSStatus;
}

/** A failed status, as the bridges report it: an Error whose message is the status's, with the status. */
export class StoreError extends Error {
  constructor(readonly status: OSStatus, message = SecCopyErrorMessageString(status)) {
    super(message);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** The file a target names (undefined: the default keychain), and whether it may be created. */
function fileOf(target: string | undefined, env: Env): string {
  if (target === undefined) return currentDefaultPath(env) ?? defaultKeychainPath(env);
  return keychainPath(target, env, process.cwd());
}

const open = new Map<string, { keychain: Keychain; client: KeychainClient }>();

/** Whether the keychain a target names exists already (reads need not create it). */
export function keychainExists(target: string | undefined): boolean {
  const path = fileOf(target, process.env);
  return open.has(path) || existsSync(path);
}

/** The in-process client of a keychain file, opened (and created) at first use, kept open. */
function localClient(target: string | undefined): KeychainClient {
  const path = fileOf(target, process.env);
  const known = open.get(path);
  if (known !== undefined) return known.client;
  let passcode: string | undefined;
  if (existsSync(path)) {
    const fromEnv = process.env[PASSWORD_ENV];
    if (fromEnv !== undefined && fromEnv !== '') passcode = fromEnv;
  } else {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  }
  // A keychain created here has no password, whatever the environment says (as the CLI creates it).
  const keychain = openKeychain(passcode === undefined ? { path } : { path, passcode });
  const client = keychain.client({ applicationIdentifier: BRIDGE_APPLICATION_IDENTIFIER, keychainAccessGroups: [...BRIDGE_ACCESS_GROUPS] });
  open.set(path, { keychain, client });
  return client;
}

/** The four SecItem functions, in process (answers) or through the daemon (Promises of them). */
interface SecItemFunctions {
  SecItemAdd(attributes: SecDictionary): unknown;
  SecItemCopyMatching(query: SecDictionary): unknown;
  SecItemUpdate(query: SecDictionary, attributes: SecDictionary): unknown;
  SecItemDelete(query: SecDictionary): unknown;
}

/** Runs one call on a client of either kind. */
function callOn(client: SecItemFunctions, call: Call): unknown {
  switch (call.fn) {
    case 'SecItemAdd':
      return client.SecItemAdd(call.attributes);
    case 'SecItemCopyMatching':
      return client.SecItemCopyMatching(call.query);
    case 'SecItemUpdate':
      return client.SecItemUpdate(call.query, call.attributes);
    case 'SecItemDelete':
      return client.SecItemDelete(call.query);
  }
}

const callSync = (client: KeychainClient, call: Call): unknown => callOn(client, call);
const callRemote = (client: RemoteClient, call: Call): Promise<unknown> => callOn(client, call) as Promise<unknown>;

/** Runs an operation on the in-process engine, synchronously. */
export function runSync<T>(op: Op<T>, target?: string): T {
  const client = localClient(target);
  let step = op.next();
  while (!step.done) step = op.next(callSync(client, step.value));
  return step.value;
}

// The daemon connection shared by the calls in flight.
let connection: Promise<RemoteClient | undefined> | undefined;
let inFlight = 0;

function acquire(): Promise<RemoteClient | undefined> {
  inFlight++;
  connection ??= connectKeychain().catch(() => undefined);
  return connection;
}

function release(): void {
  inFlight--;
  if (inFlight > 0) return;
  // Idle: let the connection go once this turn's follow-up calls had their chance.
  setImmediate(() => {
    if (inFlight > 0 || connection === undefined) return;
    const closing = connection;
    connection = undefined;
    void closing.then((c) => c?.close()).catch(() => undefined);
  });
}

/**
 * Runs an operation asynchronously: through the daemon when one answers
 * (the default keychain only: the daemon serves one keychain), else on the
 * in-process engine.
 */
export async function runAsync<T>(op: Op<T>, target?: string): Promise<T> {
  if (target !== undefined) return runSync(op, target);
  const remote = await acquire();
  try {
    if (remote === undefined) return runSync(op);
    let step = op.next();
    while (!step.done) {
      let answer: unknown;
      try {
        answer = await callRemote(remote, step.value);
      } catch (e) {
        // The connection failed: the next call connects again.
        connection = undefined;
        throw new Error(e instanceof Error ? e.message : String(e));
      }
      step = op.next(answer);
    }
    return step.value;
  } finally {
    release();
  }
}

/** Text as the bytes stored (UTF-8). */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

// A leading U+FEFF is part of the text (ignoreBOM), as the originals' decoders keep it.
const lossy = new TextDecoder('utf-8', { ignoreBOM: true });
const strict = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true });

/** Stored bytes as text (UTF-8; ill-formed sequences become U+FFFD, as napi_create_string_utf8 makes them). */
export function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return lossy.decode(value);
  return '';
}

/** Stored bytes as text when they are well-formed UTF-8, else undefined (Rust's String::from_utf8). */
export function strictText(value: Uint8Array): string | undefined {
  try {
    return strict.decode(value);
  } catch {
    return undefined;
  }
}

/** Stored bytes. */
export function bytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return utf8(value);
  return new Uint8Array();
}
