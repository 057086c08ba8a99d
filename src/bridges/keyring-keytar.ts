/**
 * `secitem/keyring/keytar`: `@napi-rs/keyring/keytar`, the keytar-shaped
 * functions @napi-rs/keyring ships (its keytar.js) for moving off keytar,
 * over secitem/keyring's AsyncEntry. Not keytar itself (that is
 * `secitem/keytar`): as in the original, arguments are checked as AsyncEntry
 * checks them (napi-rs's errors, thrown synchronously except by
 * findPassword, an async function), setPassword resolves null, and
 * findCredentials is findCredentialsAsync.
 * @module
 */
import { AsyncEntry, findCredentialsAsync } from './keyring.js';

/** Get the stored password for the service and account; null when there is none. */
export function getPassword(service: string, account: string): Promise<string | null> {
  return new AsyncEntry(service, account).getPassword() as Promise<string | null>;
}

/** Add the password for the service and account to the keychain (or replace it). */
export function setPassword(service: string, account: string, password: string): Promise<void> {
  return new AsyncEntry(service, account).setPassword(password);
}

/** Delete the stored password for the service and account: true when one was deleted. */
export function deletePassword(service: string, account: string): Promise<boolean> {
  return new AsyncEntry(service, account).deletePassword() as Promise<boolean>;
}

/** The password of the first credential of `service`; null when there is none. */
export async function findPassword(service: string): Promise<string | null> {
  const credentials = await findCredentialsAsync(service);
  return credentials.length === 0 ? null : credentials[0]!.password;
}

/** Find all accounts and passwords for `service` in the keychain. */
export const findCredentials: (service: string) => Promise<Array<{ account: string; password: string }>> = findCredentialsAsync;

export default { getPassword, setPassword, deletePassword, findPassword, findCredentials };
