/**
 * `secitem/keyring`: the public API of `@napi-rs/keyring` 2.x over the
 * keychain. Changing `require('@napi-rs/keyring')` to
 * `require('secitem/keyring')` is the whole migration (and
 * `@napi-rs/keyring/keytar` is `secitem/keyring/keytar`, keyring-keytar.ts).
 *
 * Behaviour, as its index.d.ts and src/{lib,async_entry}.rs have it over
 * keyring-core 1 and napi-rs 3, with macOS's store (apple-native-keyring-store):
 * - `Entry` is synchronous; `AsyncEntry` has the same methods as Promises
 *   (each with an optional AbortSignal), `findCredentials` /
 *   `findCredentialsAsync` list `{ account, password }` of a service.
 * - getPassword / getSecret answer null when there is no credential (any
 *   failure reads as none, as keyring-node's `.ok()` makes it), getPassword
 *   also when the secret is not UTF-8 (keyring-core's BadEncoding);
 *   getSecret's bytes are an Array of numbers (napi-rs turns a `Vec<u8>` into
 *   one), sync and async alike. deleteCredential / deletePassword answer
 *   false when nothing was deleted, never throw. setPassword / setSecret throw
 *   (reject) on a keychain failure, with `code: 'GenericFailure'` and the
 *   message napi-rs makes of the anyhow error (`{:?}`: the error, then its
 *   cause): `Platform secure storage failure: <status message>`, or
 *   `Couldn't access platform secure storage: …` for the statuses macOS's
 *   store counts as no access. AsyncEntry's setPassword / setSecret resolve
 *   null (napi-rs's `None`). findCredentials decodes passwords as napi does
 *   (U+FFFD for ill-formed UTF-8).
 * - Arguments are converted as napi-rs converts them, synchronously, also for
 *   AsyncEntry: a non-string where a string is expected throws `Error` with
 *   `code: 'StringExpected'` and napi-rs's message, e.g.
 *   ``Failed to convert JavaScript value `Number 1 ` into rust type `String` ``;
 *   a secret that is not a Uint8Array throws `code: 'InvalidArg'`; a signal
 *   that is not an object, likewise. Then the store checks the entry, also
 *   synchronously: an empty service or username is refused as macOS's store
 *   refuses it (`Attribute service is invalid: cannot be empty`), an empty
 *   target as Secret Service's store refuses it.
 * - An AsyncEntry call starts after it returns, as napi-rs queues its work:
 *   a signal aborted by then rejects it with `Error('AbortError')`,
 *   `code: 'Cancelled'`, `name: 'AbortError'`.
 *
 * Items: generic passwords, kSecAttrService = service, kSecAttrAccount =
 * username, the secret as data (generic.ts): the same items as
 * `secitem/keytar`'s, as on macOS, where both are generic passwords.
 *
 * **Targets**: on macOS a target picks the keychain (`User` is the login
 * keychain), on Linux the Secret Service collection, created when missing.
 * Here a target is a keychain, named as the CLI names one (`-k`): a bare
 * name is `<name>.keychain-db` in the keychain directory
 * (`$XDG_DATA_HOME/secitem`), created (without a password) at the first
 * write; `User` (any case, macOS's) and `default` (Secret Service's alias)
 * are the default keychain. A targeted entry is always used in this process
 * (the daemon serves the default keychain only). `findCredentials(service,
 * target)` searches that keychain (keyring-node ignores the target on Linux
 * and macOS and searches everywhere).
 * @module
 */
import { errSecInvalidKeychain, errSecNoSuchKeychain, errSecNotAvailable, errSecReadOnly, errSecWrPerm } from '../status.js';
import { deleteSecret, findAll, getSecret, setSecret } from './generic.js';
import { keychainExists, runAsync, runSync, StoreError, strictText, text, utf8, type Op } from './store.js';

/** An Error as napi-rs makes one: `code` is the napi status (napi_create_error sets it). */
function napiError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
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
      // keyring-node enables napi-rs's napi3 feature only, which has no BigInt ValueType.
      return 'Unknown';
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

/** %TypedArray%.prototype[Symbol.toStringTag]: a typed array's kind, undefined for anything else. */
const typedArrayKind = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype) as object, Symbol.toStringTag)!.get!;
/** napi_typedarray_type's order. */
const TYPED_ARRAYS = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array'];

/** napi-rs's `&[u8]` argument: a copy of a Uint8Array's bytes (a Buffer is one). */
function secretBytes(value: unknown): Uint8Array {
  const kind = typedArrayKind.call(value) as string | undefined;
  if (kind === undefined) throw napiError('InvalidArg', 'Get TypedArray info failed');
  // napi-rs's message, whose `$name` its macro leaves unexpanded.
  if (kind !== 'Uint8Array') throw napiError('InvalidArg', `Expected $name, got ${TYPED_ARRAYS.indexOf(kind)}`);
  return new Uint8Array(value as Uint8Array);
}

/** napi-rs's `Option<AbortSignal>` argument: a primitive cannot be wrapped; only an AbortSignal ever aborts. */
function signalOf(value: unknown): AbortSignal | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' && typeof value !== 'function') throw napiError('InvalidArg', 'Wrap AbortSignal failed');
  return value instanceof AbortSignal ? value : undefined;
}

/** The statuses apple-native-keyring-store's decode_error makes NoStorageAccess (the others are PlatformFailure). */
const NO_STORAGE_ACCESS: ReadonlySet<number> = new Set([errSecWrPerm, errSecNotAvailable, errSecReadOnly, errSecNoSuchKeychain, errSecInvalidKeychain]);

/** A keychain failure of an entry, as keyring-core reports it through anyhow's `{:?}` and napi-rs. */
function failure(e: unknown): Error {
  if (!(e instanceof StoreError)) return napiError('GenericFailure', e instanceof Error ? e.message : String(e));
  const summary = NO_STORAGE_ACCESS.has(e.status) ? "Couldn't access platform secure storage" : 'Platform secure storage failure';
  return napiError('GenericFailure', `${summary}: ${e.message}\n\nCaused by:\n    ${e.message}`);
}

/** A keychain failure of findCredentials: the Security framework's error itself, through anyhow. */
function searchFailure(e: unknown): Error {
  return napiError('GenericFailure', e instanceof Error ? e.message : String(e));
}

/** keyring-core's Invalid error, as a store refuses an entry. */
function invalid(attribute: string): Error {
  return napiError('GenericFailure', `Attribute ${attribute} is invalid: cannot be empty`);
}

/** The keychain a target names: undefined for the default one. */
function keychainOf(target: string | undefined): string | undefined {
  return target === undefined || target === '' || target === 'default' || target.toLowerCase() === 'user' ? undefined : target;
}

/** Runs an operation that writes: a failure is thrown as keyring-core's. */
function write<T>(op: Op<T>, target: string | undefined): T {
  try {
    return runSync(op, target);
  } catch (e) {
    throw failure(e);
  }
}

/** Runs an operation that reads: any failure, or a target keychain not made yet, is `fallback`. */
function read<T>(op: Op<T>, target: string | undefined, fallback: T): T {
  try {
    return target !== undefined && !keychainExists(target) ? fallback : runSync(op, target);
  } catch {
    return fallback;
  }
}

/** read, as a Promise (through the daemon for the default keychain). */
function readAsync<T>(op: Op<T>, target: string | undefined, fallback: T): Promise<T> {
  if (target !== undefined) return Promise.resolve(read(op, target, fallback));
  return runAsync(op).catch(() => fallback);
}

const password = (secret: Uint8Array | null): string | null => (secret === null ? null : strictText(secret) ?? null);
const bytesArray = (secret: Uint8Array | null): number[] | null => (secret === null ? null : Array.from(secret));

/** The target withTarget hands to the constructor it calls (synchronously, so never another's). */
let withTargetTarget: string | undefined;

interface Identity {
  readonly service: string;
  readonly username: string;
  readonly target: string | undefined;
}

/** An entry's arguments, converted and then checked as napi-rs and the store do. */
function identityOf(service: unknown, username: unknown): Identity {
  const target = withTargetTarget;
  withTargetTarget = undefined;
  const id = { service: string(service), username: string(username), target };
  if (id.service === '') throw invalid('service');
  if (id.username === '') throw invalid('user');
  return id;
}

/** withTarget's arguments: converted in order, the target checked, then handed to the constructor. */
function targetOf(target: unknown, service: unknown, username: unknown): [string, string] {
  const t = string(target);
  const s = string(service);
  const u = string(username);
  if (t === '') throw invalid('target');
  withTargetTarget = keychainOf(t);
  return [s, u];
}

export class Entry {
  readonly #id: Identity;

  /** Create an entry for the given service and username (the default keychain). */
  constructor(service: string, username: string) {
    this.#id = identityOf(service, username);
  }

  /** Create an entry for the given target (a keychain, see the module's notes), service, and username. */
  static withTarget(target: string, service: string, username: string): Entry {
    return new Entry(...targetOf(target, service, username));
  }

  /** Set the password for this entry. */
  setPassword(password: string): void {
    const p = string(password);
    write(setSecret(this.#id.service, this.#id.username, utf8(p)), this.#id.target);
  }

  /** Set the secret for this entry. */
  setSecret(secret: Uint8Array): void {
    const s = secretBytes(secret);
    write(setSecret(this.#id.service, this.#id.username, s), this.#id.target);
  }

  /** Retrieve the password saved for this entry; null if there isn't one (or it is not UTF-8). */
  getPassword(): string | null {
    return password(read(getSecret(this.#id.service, this.#id.username), this.#id.target, null));
  }

  /** Retrieve the secret saved for this entry, as an Array of numbers; null if there isn't one. */
  getSecret(): Array<number> | null {
    return bytesArray(read(getSecret(this.#id.service, this.#id.username), this.#id.target, null));
  }

  /** Delete the underlying credential for this entry: false if there was none. */
  deleteCredential(): boolean {
    return read(deleteSecret(this.#id.service, this.#id.username), this.#id.target, false);
  }

  /** Alias for `deleteCredential`. */
  deletePassword(): boolean {
    return this.deleteCredential();
  }
}

function aborted(): Error {
  return Object.assign(napiError('Cancelled', 'AbortError'), { name: 'AbortError' });
}

/** Runs an AsyncEntry task as napi-rs queues one: after the call returns; a signal aborted by then cancels it. */
function task<T>(signal: AbortSignal | undefined, run: () => Promise<T>): Promise<T> {
  return Promise.resolve().then(() => {
    if (signal?.aborted === true) throw aborted();
    return run();
  });
}

export class AsyncEntry {
  readonly #id: Identity;

  /** Create an entry for the given service and username (the default keychain). */
  constructor(service: string, username: string) {
    this.#id = identityOf(service, username);
  }

  /** Create an entry for the given target (a keychain, see the module's notes), service, and username. */
  static withTarget(target: string, service: string, username: string): AsyncEntry {
    return new AsyncEntry(...targetOf(target, service, username));
  }

  #write(secret: Uint8Array, signal: AbortSignal | undefined): Promise<void> {
    const { service, username, target } = this.#id;
    // napi-rs resolves the task's None as null.
    return task(signal, () => runAsync(setSecret(service, username, secret), target).then(() => null as unknown as void, (e: unknown) => Promise.reject(failure(e))));
  }

  /** Set the password for this entry. Resolves null. */
  setPassword(password: string, signal?: AbortSignal | undefined | null): Promise<void> {
    const p = string(password);
    return this.#write(utf8(p), signalOf(signal));
  }

  /** Set the secret for this entry. Resolves null. */
  setSecret(secret: Uint8Array, signal?: AbortSignal | undefined | null): Promise<void> {
    const s = secretBytes(secret);
    return this.#write(s, signalOf(signal));
  }

  /** Retrieve the password saved for this entry; null if there isn't one (or it is not UTF-8). */
  getPassword(signal?: AbortSignal | undefined | null): Promise<string | undefined> {
    const { service, username, target } = this.#id;
    return task(signalOf(signal), () => readAsync(getSecret(service, username), target, null).then(password)) as Promise<string | undefined>;
  }

  /** Retrieve the secret saved for this entry (an Array of numbers, as napi-rs returns it); null if there isn't one. */
  getSecret(signal?: AbortSignal | undefined | null): Promise<Uint8Array | undefined> {
    const { service, username, target } = this.#id;
    return task(signalOf(signal), () => readAsync(getSecret(service, username), target, null).then(bytesArray)) as unknown as Promise<Uint8Array | undefined>;
  }

  /** Delete the underlying credential for this entry: false if there was none. */
  deleteCredential(signal?: AbortSignal | undefined | null): Promise<boolean> {
    const { service, username, target } = this.#id;
    return task(signalOf(signal), () => readAsync(deleteSecret(service, username), target, false));
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

/** The keychain findCredentials searches, or null for a target keychain not made yet (nothing to find). */
function searched(target: string | undefined): string | undefined | null {
  const keychain = keychainOf(target);
  return keychain !== undefined && !keychainExists(keychain) ? null : keychain;
}

/** Find credentials by service name (in the target's keychain, else the default one). */
export function findCredentials(service: string, target?: string | undefined | null): Array<Credential> {
  const s = string(service);
  const keychain = searched(optionalString(target));
  if (keychain === null) return [];
  try {
    return credentials(runSync(findAll(s), keychain));
  } catch (e) {
    throw searchFailure(e);
  }
}

/** Find credentials by service name, as a Promise. */
export function findCredentialsAsync(service: string, target?: string | undefined | null, signal?: AbortSignal | undefined | null): Promise<Array<Credential>> {
  const s = string(service);
  const t = optionalString(target);
  return task(signalOf(signal), () => {
    const keychain = searched(t);
    if (keychain === null) return Promise.resolve([]);
    return runAsync(findAll(s), keychain).then(credentials, (e: unknown) => Promise.reject(searchFailure(e)));
  });
}

export default { Entry, AsyncEntry, findCredentials, findCredentialsAsync };
