/**
 * Generic passwords as keytar and keyring keep them: kSecAttrService =
 * service, kSecAttrAccount = account, the secret as the item's data, the
 * label the service (as SecKeychainAddGenericPassword labels them on macOS).
 * Operations for store.ts's runners.
 * @module
 */
import {
  kSecAttrAccount, kSecAttrLabel, kSecAttrService, kSecClass, kSecClassGenericPassword, kSecMatchLimit,
  kSecMatchLimitAll, kSecMatchLimitOne, kSecReturnAttributes, kSecReturnData, kSecValueData,
} from '../constants.js';
import { errSecDuplicateItem, errSecItemNotFound, errSecSuccess } from '../status.js';
import type { SecDictionary } from '../types.js';
import { add, bytes, copyMatching, remove, StoreError, text, update, type Op } from './store.js';

function itemOf(service: string, account?: string): SecDictionary {
  const item = { [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: service };
  return account === undefined ? item : { ...item, [kSecAttrAccount]: account };
}

/** The secret of (service, account), or null when there is none. */
export function* getSecret(service: string, account: string): Op<Uint8Array | null> {
  const r = yield* copyMatching({ ...itemOf(service, account), [kSecMatchLimit]: kSecMatchLimitOne, [kSecReturnData]: true });
  if (r.status === errSecItemNotFound) return null;
  if (r.status !== errSecSuccess) throw new StoreError(r.status);
  return bytes(r.result);
}

/** Sets the secret of (service, account): the item's data when it exists, else a new item. */
export function* setSecret(service: string, account: string, secret: Uint8Array): Op<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const updated = yield* update(itemOf(service, account), { [kSecValueData]: secret });
    if (updated === errSecSuccess) return;
    if (updated !== errSecItemNotFound) throw new StoreError(updated);
    const added = yield* add({ ...itemOf(service, account), [kSecAttrLabel]: service, [kSecValueData]: secret });
    if (added.status === errSecSuccess) return;
    // Added by someone else in between: update it.
    if (added.status !== errSecDuplicateItem) throw new StoreError(added.status);
  }
  throw new StoreError(errSecDuplicateItem);
}

/** Deletes (service, account): true when an item was deleted. */
export function* deleteSecret(service: string, account: string): Op<boolean> {
  const status = yield* remove(itemOf(service, account));
  if (status === errSecItemNotFound) return false;
  if (status !== errSecSuccess) throw new StoreError(status);
  return true;
}

/** The secret of some account of `service`, or null. */
export function* findSecret(service: string): Op<Uint8Array | null> {
  const r = yield* copyMatching({ ...itemOf(service), [kSecMatchLimit]: kSecMatchLimitOne, [kSecReturnData]: true });
  if (r.status === errSecItemNotFound) return null;
  if (r.status !== errSecSuccess) throw new StoreError(r.status);
  return bytes(r.result);
}

/** Every account of `service` with its secret. */
export function* findAll(service: string): Op<Array<{ account: string; secret: Uint8Array }>> {
  const r = yield* copyMatching({ ...itemOf(service), [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnAttributes]: true, [kSecReturnData]: true });
  if (r.status === errSecItemNotFound) return [];
  if (r.status !== errSecSuccess) throw new StoreError(r.status);
  const found = Array.isArray(r.result) ? (r.result as Record<string, unknown>[]) : [];
  return found.map((item) => ({ account: text(item[kSecAttrAccount]), secret: bytes(item[kSecValueData]) }));
}
