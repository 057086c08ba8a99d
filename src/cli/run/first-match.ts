/**
 * Item look-ups shared by the password commands: the legacy "first match"
 * search of `security` (SecKeychainSearchCopyNext) over one or more keychains,
 * done with SecItemCopyMatching and a persistent reference so that an update
 * or delete touches exactly the item that was found.
 * @module
 */
import {
  errSecItemNotFound,
  kSecMatchLimit,
  kSecMatchLimitOne,
  kSecReturnAttributes,
  kSecReturnData,
  kSecReturnPersistentRef,
  kSecValueData,
  kSecValuePersistentRef,
  SecError,
} from '../../index.js';
import type { CliClient, KeychainTarget } from '../keychains.js';
import { withKeychain } from '../keychains.js';
import { isRecord } from './results.js';
import type { ItemRecord } from './results.js';

/** What a search found, and where. */
export interface FoundItem {
  readonly target: KeychainTarget;
  readonly attributes: ItemRecord;
  /** The item's persistent reference. */
  readonly persistentRef: Uint8Array;
  /** The secret, when it was asked for. */
  readonly data: Uint8Array | undefined;
}

/**
 * The first item matching `query` in one open keychain, or null.
 * @throws SecError for any failure other than "not found"
 */
export function firstMatchIn(
  app: CliClient,
  target: KeychainTarget,
  query: ItemRecord,
  withData: boolean,
): FoundItem | null {
  const { status, result } = app.SecItemCopyMatching({
    ...query,
    [kSecReturnAttributes]: true,
    [kSecReturnPersistentRef]: true,
    ...(withData ? { [kSecReturnData]: true } : {}),
    [kSecMatchLimit]: kSecMatchLimitOne,
  });
  if (status === errSecItemNotFound) return null;
  if (status !== 0) throw new SecError(status);
  if (!isRecord(result)) throw new Error('SecItemCopyMatching returned no attributes dictionary');
  const persistentRef = result[kSecValuePersistentRef];
  if (!(persistentRef instanceof Uint8Array)) throw new Error('SecItemCopyMatching returned no persistent reference');
  const data = result[kSecValueData];
  return {
    target,
    attributes: result,
    persistentRef,
    data: withData ? (data instanceof Uint8Array ? data : new Uint8Array(0)) : undefined,
  };
}

/**
 * Searches the keychains in order and hands the first match (with its
 * keychain still open) to `action`; returns null when nothing matched.
 * @throws SecError from opening a keychain or from the search
 */
export function withFirstMatch<T>(
  targets: readonly KeychainTarget[],
  query: ItemRecord,
  withData: boolean,
  action: (found: FoundItem, app: CliClient) => T,
): { value: T } | null {
  for (const target of targets) {
    const outcome = withKeychain(target, (app) => {
      const found = firstMatchIn(app, target, query, withData);
      return found === null ? null : { value: action(found, app) };
    });
    if (outcome !== null) return outcome;
  }
  return null;
}
