/**
 * The object kinds the keychain stores: certificates (kSecClassCertificate)
 * and keys (kSecClassKey), with the attribute dictionaries Apple's client
 * infers from them (reference §5) and the objects their items become again.
 * Identities are no kind of their own: secitem/identity.ts splits them.
 * @module
 */
import { SecCertificate, SecCertificateCreateWithData, certificateItemAttributes } from '../objects/certificate.js';
import { SecKey } from '../objects/key.js';
import { keyFromItemData, keyItemAttributes } from '../objects/key-functions.js';
import type { Item } from '../schema/values.js';
import type { ObjectKind, ObjectRegistry, RefOptions } from './object-refs.js';

/** Attributes Apple's client filters out of a key's dictionary in a query (SecItem.m AttributeCreateFilteredOutSecAttrs). */
const notInKeyQueries: readonly string[] = ['sign', 'vrfy', 'encr', 'decr', 'drve', 'wrap', 'unwp', 'snrc', 'vyrc', 'perm'];

/** What the keychain adds to a key kind: enclave-bound keys and access-controlled use. */
export interface KeyHooks {
  /** kSecValueData of a key whose private half cannot be exported (an enclave key), or undefined. */
  storedDataOf(key: SecKey): Uint8Array | undefined;
  /** The key an item whose data is not an external representation stands for (an enclave key), or undefined. */
  tokenKeyFromItem(item: Item): SecKey | undefined;
  /** The key, with its private half's use checked against the item's access control. */
  guard(key: SecKey, item: Item, options: RefOptions | undefined): SecKey;
}

function asRecord(map: ReadonlyMap<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of map) out[k] = v;
  return out;
}

export const certificateKind: ObjectKind<SecCertificate> = {
  className: 'cert',
  is: (value): value is SecCertificate => value instanceof SecCertificate,
  dictionaryOf(cert, forQuery) {
    const dict = asRecord(certificateItemAttributes(cert));
    // The subject summary labels an added certificate (SecItem.m infer_cert_label); a query does not match on it.
    if (forQuery) delete dict['labl'];
    dict['v_Data'] = cert.der;
    return dict;
  },
  fromItem: (item) => (item.data === undefined ? undefined : SecCertificateCreateWithData(item.data)),
  reads: [],
};

export function keyKind(hooks: KeyHooks): ObjectKind<SecKey> {
  return {
    className: 'keys',
    is: (value): value is SecKey => value instanceof SecKey,
    dictionaryOf(key, forQuery) {
      const dict = asRecord(keyItemAttributes(key));
      const stored = hooks.storedDataOf(key);
      if (stored !== undefined) dict['v_Data'] = stored;
      if (forQuery) for (const code of notInKeyQueries) delete dict[code];
      return dict;
    },
    fromItem(item, options) {
      const key = hooks.tokenKeyFromItem(item) ?? keyFromStoredItem(item);
      return key === undefined ? undefined : hooks.guard(key, item, options);
    },
    // The token ID tells an enclave key; the key class and type, how to read a stored one.
    reads: ['tkid', 'kcls', 'type'],
  };
}

function keyFromStoredItem(item: Item): SecKey | undefined {
  const keyClass = item.attrs.get('kcls');
  const keyType = item.attrs.get('type');
  if (item.data === undefined || typeof keyClass !== 'number' || typeof keyType !== 'number') return undefined;
  return keyFromItemData({ keyClass, keyType, data: item.data });
}

export function registerObjectKinds(registry: ObjectRegistry, hooks: KeyHooks): void {
  registry.register(certificateKind);
  registry.register(keyKind(hooks));
}
