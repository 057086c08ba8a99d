/**
 * `secitem/keyring`: the public API of `@napi-rs/keyring` 2.x over the
 * keychain. Changing `require('@napi-rs/keyring')` to
 * `require('secitem/keyring')` is the whole migration.
 *
 * Behaviour, as its index.d.ts and src/{entry,async_entry}.rs have it:
 * - `Entry` is synchronous; `AsyncEntry` has the same methods as Promises
 *   (each with an optional AbortSignal), `findCredentials` /
 *   `findCredentialsAsync` list `{ account, password }` of a service.
 * - getPassword / getSecret answer null when there is no credential (any
 *   failure reads as none, as keyring-node's `.ok()` makes it); getSecret's
 *   bytes are an Array of numbers (napi-rs turns a `Vec<u8>` into one), sync
 *   and async alike. deleteCredential / deletePassword answer false when
 *   nothing was deleted, never throw. setPassword / setSecret throw (reject)
 *   on a keychain failure: `Error('Platform secure storage failure: …')`, or
 *   `Couldn't access platform secure storage: …` for a locked keychain, with
 *   `code: 'GenericFailure'`. AsyncEntry's setPassword / setSecret resolve
 *   null (napi-rs's `None`), its getters null when there is nothing.
 * - Arguments are converted as napi-rs converts them, synchronously, also for
 *   AsyncEntry: a non-string where a string is expected throws `Error` with
 *   `code: 'StringExpected'` and napi-rs's message, e.g.
 *   ``Failed to convert JavaScript value `Number 1 ` into rust type `String` ``;
 *   a secret that is not a typed array throws `code: 'InvalidArg'`. An
 *   aborted signal rejects with `Error('AbortError')`, `code: 'Cancelled'`.
 *
 * Items: generic passwords, kSecAttrService = service, kSecAttrAccount =
 * username, the secret as data (generic.ts): the same items as
 * `secitem/keytar`'s, as on macOS, where both are generic passwords.
 *
 * **Targets**: on macOS a target picks the keychain (`User`, `System`, …), on
 * Linux the Secret Service collection, created when missing. Here a target
 * is a keychain, named as the CLI names one (`-k`): a bare name is
 * `<name>.keychain-db` in the keychain directory (`$XDG_DATA_HOME/secitem`),
 * created (without a password) on first use; `default` (Secret Service's alias)
 * is the default keychain. A targeted entry is always used in this
 * process (the daemon serves the default keychain only).
 * `findCredentials(service, target)` searches that keychain (keyring-node
 * ignores the target on Linux and macOS and searches everywhere).
 * @module
 */
import { errSecAuthFailed, errSecInteractionNotAllowed, errSecNotAvailable } from '../status.js';
import { deleteSecret, findAll, getSecret, setSecret } from './generic.js';
import { runAsync, runSync, StoreError, text, utf8, type Op } from './store.js';

/** An Error as napi-rs makes one: `code` is the napi status. */
function napiError(code: string, message: string): Error {
  const error = new Error(message);
  Object.defineProperty(error, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  return error;
}

/** How napi-rs describes a value it could not convert (check_status_and_type!). */
function describe(value: unknown): string {
  switch (typeof value) {
    case 'undefined':
      return 'Undefined';
    case 'boolean':
      return `Boolean ${String(value)} `;
    case 'number':
      return `Number ${String(value)} `;
    case 'bigint':
      return `BigInt ${String(value)} `;
    case 'symbol':
      return 'Symbol';
    case 'function':
      return `function ${value.name === '' ? 'anonymous' : value.name}(..) `;
    case 'string':
      return 'String';
    default:
      return value === null ? 'Null' : `Object ${String(JSON.stringify(value))}`;
  }
}

/** napi-rs's `String` argument. */
function string(value: unknown): string {
  if (typeof value !== 'string') throw napiError('StringExpected', `Failed to convert JavaScript value \`${describe(value)}\` into rust type \`String\``);
  return value;
}

/** napi-rs's `Option<String>` argument. */
function optionalString(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : string(value);
}

/** napi-rs's `&[u8]` argument: the bytes of a typed array. */
function secretBytes(value: unknown): Uint8Array {
  if (!ArrayBuffer.isView(value) || value instanceof DataView) throw napiError('InvalidArg', 'Failed to get TypedArray info: expected a Uint8Array');
  return new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
}

/** A keychain failure as keyring-core reports it (through anyhow and napi-rs). */
function failure(e: unknown): Error {
  if (e instanceof StoreError) {
    const denied = e.status === errSecInteractionNotAllowed || e.status === errSecAuthFailed || e.status === errSecNotAvailable;
    return napiError('GenericFailure', denied ? `Couldn't access platform secure storage: ${e.message}` : `Platform secure storage failure: ${e.message}`);
  }
  return napiError('GenericFailure', e instanceof Error ? e.message : String(e));
}

/** The keychain a target names: undefined for the default one. */
function keychainOf(target: string | undefined): string | undefined {
  return target === undefined || target === 'default' ? undefined : target;
}

function sync<T>(op: Op<T>, target: string | undefined): T {
  try {
    return runSync(op, target);
  } catch (e) {
    throw failure(e);
  }
}

function orNull<T>(run: () => T): T | null {
  try {
    return run();
  } catch {
    return null;
  }
}

const bytesArray = (secret: Uint8Array): number[] => Array.from(secret);

/** The target withTarget hands to the constructor it calls (synchronously, so never another's). */
let withTargetTarget: string | undefined;

function identityOf(service: unknown, username: unknown): Identity {
  const target = withTargetTarget;
  withTargetTarget = undefined;
  return { service: string(service), username: string(username), target };
}

interface Identity {
  readonly service: string;
  readonly username: string;
  readonly target: string | undefined;
}

export class Entry {
  readonly #id: Identity;

  /** Create an entry for the given service and username (the default keychain). */
  constructor(service: string, username: string) {
    this.#id = identityOf(service, username);
  }

  /** Create an entry for the given target (a keychain, see the module's notes), service, and username. */
  static withTarget(target: string, service: string, username: string): Entry {
    const t = keychainOf(string(target));
    const s = string(service);
    const u = string(username);
    withTargetTarget = t;
    return new Entry(s, u);
  }

  /** Set the password for this entry. */
  setPassword(password: string): void {
    const p = string(password);
    sync(setSecret(this.#id.service, this.#id.username, utf8(p)), this.#id.target);
  }

  /** Set the secret for this entry. */
  setSecret(secret: Uint8Array): void {
    const s = secretBytes(secret);
    sync(setSecret(this.#id.service, this.#id.username, s), this.#id.target);
  }

  /** Retrieve the password saved for this entry; null if there isn't one. */
  getPassword(): string | null {
    return orNull(() => {
      const secret = runSync(getSecret(this.#id.service, this.#id.username), this.#id.target);
      return secret === null ? null : text(secret);
    });
  }

  /** Retrieve the secret saved for this entry; null if there isn't one. */
  getSecret(): Array<number> | null {
    return orNull(() => {
      const secret = runSync(getSecret(this.#id.service, this.#id.username), this.#id.target);
      return secret === null ? null : bytesArray(secret);
    });
  }

  /** Delete the underlying credential for this entry: false if there was none. */
  deleteCredential(): boolean {
    return orNull(() => runSync(deleteSecret(this.#id.service, this.#id.username), this.#id.target)) ?? false;
  }

  /** Alias for `deleteCredential`. */
  deletePassword(): boolean {
    return this.deleteCredential();
  }
}

/** Runs an AsyncEntry task: rejected at once when the signal is aborted. */
function task<T>(signal: AbortSignal | undefined | null, run: () => Promise<T>): Promise<T> {
  if (signal !== undefined && signal !== null && signal.aborted) return Promise.reject(napiError('Cancelled', 'AbortError'));
  return run();
}

export class AsyncEntry {
  readonly #id: Identity;

  /** Create an entry for the given service and username (the default keychain). */
  constructor(service: string, username: string) {
    this.#id = identityOf(service, username);
  }

  /** Create an entry for the given target (a keychain, see the module's notes), service, and username. */
  static withTarget(target: string, service: string, username: string): AsyncEntry {
    const t = keychainOf(string(target));
    const s = string(service);
    const u = string(username);
    withTargetTarget = t;
    return new AsyncEntry(s, u);
  }

  /** Set the password for this entry. Resolves null. */
  setPassword(password: string, signal?: AbortSignal | undefined | null): Promise<void> {
    const p = string(password);
    return task(signal, () =>
      runAsync(setSecret(this.#id.service, this.#id.username, utf8(p)), this.#id.target).then(
        () => null as unknown as void,
        (e: unknown) => Promise.reject(failure(e)),
      ));
  }

  /** Set the secret for this entry. Resolves null. */
  setSecret(secret: Uint8Array, signal?: AbortSignal | undefined | null): Promise<void> {
    const s = secretBytes(secret);
    return task(signal, () =>
      runAsync(setSecret(this.#id.service, this.#id.username, s), this.#id.target).then(
        () => null as unknown as void,
        (e: unknown) => Promise.reject(failure(e)),
      ));
  }

  /** Retrieve the password saved for this entry; null if there isn't one. */
  getPassword(signal?: AbortSignal | undefined | null): Promise<string | undefined> {
    return task(signal, () =>
      runAsync(getSecret(this.#id.service, this.#id.username), this.#id.target).then(
        (secret) => (secret === null ? null : text(secret)) as string | undefined,
        () => null as unknown as undefined,
      ));
  }

  /** Retrieve the secret saved for this entry (an Array of numbers, as napi-rs returns it); null if there isn't one. */
  getSecret(signal?: AbortSignal | undefined | null): Promise<Uint8Array | undefined> {
    return task(signal, () =>
      runAsync(getSecret(this.#id.service, this.#id.username), this.#id.target).then(
        (secret) => (secret === null ? null : bytesArray(secret)) as unknown as Uint8Array | undefined,
        () => null as unknown as undefined,
      ));
  }

  /** Delete the underlying credential for this entry: false if there was none. */
  deleteCredential(signal?: AbortSignal | undefined | null): Promise<boolean> {
    return task(signal, () => runAsync(deleteSecret(this.#id.service, this.#id.username), this.#id.target).catch(() => false));
  }

  /** Alias for `deleteCredential`. */
  deletePassword(signal?: AbortSignal | undefined | null): Promise<unknown> {
    return this.deleteCredential(signal);
  }
}

export interface Credential {
  account: string;
  password: string;
}

const credentials = (found: Array<{ account: string; secret: Uint8Array }>): Credential[] =>
  found.map(({ account, secret }) => ({ account, password: text(secret) }));

/** Find credentials by service name (in the target's keychain, else the default one). */
export function findCredentials(service: string, target?: string | undefined | null): Array<Credential> {
  const s = string(service);
  const t = optionalString(target);
  return credentials(sync(findAll(s), keychainOf(t)));
}

/** Find credentials by service name, as a Promise. */
export function findCredentialsAsync(service: string, target?: string | undefined | null, signal?: AbortSignal | undefined | null): Promise<Array<Credential>> {
  const s = string(service);
  const t = optionalString(target);
  return task(signal, () => runAsync(findAll(s), keychainOf(t)).then(credentials, (e: unknown) => Promise.reject(failure(e))));
}

export default { Entry, AsyncEntry, findCredentials, findCredentialsAsync };
