/**
 * Item sealing: each item has its own random key, wrapped by its protection
 * class key; the item's payload (attributes and secret) is sealed under the
 * item key. Both seals carry the row's associated data, so a blob moved to
 * another row, or a row whose index columns were altered, fails to open.
 *
 * Blob layout: version (1 byte) ‖ wrapped item key (60 bytes) ‖ sealed payload.
 * @module
 */
import { freshRandom } from './random.js';
import { KEY_BYTES, SEAL_OVERHEAD, TAG_BYTES, open, seal } from './aead.js';

const VERSION = 1;
const WRAPPED_KEY_BYTES = KEY_BYTES + SEAL_OVERHEAD;

export function sealItem(classKey: Uint8Array, payload: Uint8Array, aad: Uint8Array): Buffer {
  const itemKey = freshRandom(KEY_BYTES);
  try {
    return Buffer.concat([Buffer.of(VERSION), seal(classKey, itemKey, aad), seal(itemKey, payload, aad)]);
  } finally {
    itemKey.fill(0);
  }
}

/**
 * The authentication tag that ends a blob (the payload seal's). Any other
 * version of the item's blob has another tag; the ledger records it.
 */
export function sealTagOf(blob: Uint8Array): Buffer {
  return Buffer.from(blob.subarray(Math.max(0, blob.length - TAG_BYTES)));
}

/** The payload, or undefined when the blob does not open under this key and AAD. */
export function openItem(classKey: Uint8Array, blob: Uint8Array, aad: Uint8Array): Buffer | undefined {
  if (blob.length < 1 + WRAPPED_KEY_BYTES + SEAL_OVERHEAD || blob[0] !== VERSION) return undefined;
  const itemKey = open(classKey, blob.subarray(1, 1 + WRAPPED_KEY_BYTES), aad);
  if (itemKey === undefined) return undefined;
  try {
    return open(itemKey, blob.subarray(1 + WRAPPED_KEY_BYTES), aad);
  } finally {
    itemKey.fill(0);
  }
}
