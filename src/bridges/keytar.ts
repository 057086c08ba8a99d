/**
 * `secitem/keytar`: keytar's API (atom/node-keytar 7.x) over the default
 * keychain. Changing `require('keytar')` to `require('secitem/keytar')` is the
 * whole migration.
 *
 * Behaviour, as keytar's lib/keytar.js and src/main.cc have it:
 * - arguments are checked synchronously, first each required one in order
 *   (`Error('Service is required.')`, `'Account is required.'`,
 *   `'Password is required.'` for a falsy value or one whose length is ≤ 0,
 *   so an empty password is refused), then each one's type
 *   (`TypeError("Parameter 'service' must be a string")`, `'username'`,
 *   `'password'`);
 * - getPassword and findPassword resolve null when nothing is found;
 *   deletePassword resolves false when there was nothing to delete;
 *   findCredentials resolves [] when nothing is found;
 * - a keychain failure rejects with a plain Error whose message is the
 *   status's message (as keytar's macOS backend does with
 *   SecCopyErrorMessageString), nothing else;
 * - stored bytes read back as UTF-8 with U+FFFD for ill-formed sequences and
 *   a leading U+FEFF kept (napi's string conversion).
 *
 * Items: generic passwords, kSecAttrService = service, kSecAttrAccount =
 * account, UTF-8 data (generic.ts), through secitemd when one runs, else in
 * this process (store.ts).
 * @module
 */
import { deleteSecret, findAll, findSecret, getSecret, setSecret } from './generic.js';
import { runAsync, text, utf8 } from './store.js';

/** keytar's `checkRequired`. */
function checkRequired(val: unknown, name: string): void {
  if (!val || (val as { length: number }).length <= 0) throw new Error(name + ' is required.');
}

/** keytar's native type check (N-API IsString: primitive strings only). */
function checkString(val: unknown, parameter: string): asserts val is string {
  if (typeof val !== 'string') throw new TypeError(`Parameter '${parameter}' must be a string`);
}

/** A failure as keytar rejects with it: an Error with the message only. */
function rejected(e: unknown): never {
  throw new Error(e instanceof Error ? e.message : String(e));
}

/** Get the stored password for the service and account; null when there is none. */
export function getPassword(service: string, account: string): Promise<string | null> {
  checkRequired(service, 'Service');
  checkRequired(account, 'Account');
  checkString(service, 'service');
  checkString(account, 'username');
  return runAsync(getSecret(service, account)).then((secret) => (secret === null ? null : text(secret)), rejected);
}

/** Add the password for the service and account to the keychain (or replace it). */
export function setPassword(service: string, account: string, password: string): Promise<void> {
  checkRequired(service, 'Service');
  checkRequired(account, 'Account');
  checkRequired(password, 'Password');
  checkString(service, 'service');
  checkString(account, 'username');
  checkString(password, 'password');
  return runAsync(setSecret(service, account, utf8(password))).catch(rejected);
}

/** Delete the stored password for the service and account: true when one was deleted. */
export function deletePassword(service: string, account: string): Promise<boolean> {
  checkRequired(service, 'Service');
  checkRequired(account, 'Account');
  checkString(service, 'service');
  checkString(account, 'username');
  return runAsync(deleteSecret(service, account)).catch(rejected);
}

/** Find a password for the service in the keychain; null when there is none. */
export function findPassword(service: string): Promise<string | null> {
  checkRequired(service, 'Service');
  checkString(service, 'service');
  return runAsync(findSecret(service)).then((secret) => (secret === null ? null : text(secret)), rejected);
}

/** Find all accounts and passwords for `service` in the keychain. */
export function findCredentials(service: string): Promise<Array<{ account: string; password: string }>> {
  checkRequired(service, 'Service');
  checkString(service, 'service');
  return runAsync(findAll(service)).then((found) => found.map(({ account, secret }) => ({ account, password: text(secret) })), rejected);
}

export default { getPassword, setPassword, deletePassword, findPassword, findCredentials };
