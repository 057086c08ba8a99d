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
import { KEY_BYTES, NONCE_BYTES, SEAL_OVERHEAD, TAG_BYTES, open, sealInto } from './aead.js';
import { wipe } from './wipe.js';

const VERSION = 1;
const WRAPPED_KEY_BYTES = KEY_BYTES + SEAL_OVERHEAD;

export function sealItem(classKey: Uint8Array, payload: Uint8Array, aad: Uint8Array): Buffer {
  // One draw: the item key, then the nonces of its two seals.
  const random = freshRandom(KEY_BYTES + 2 * NONCE_BYTES);
  try {
    const itemKey = random.subarray(0, KEY_BYTES);
    const blob = Buffer.allocUnsafe(1 + WRAPPED_KEY_BYTES + payload.length + SEAL_OVERHEAD);
    blob[0] = VERSION;
    sealInto(blob, 1, classKey, itemKey, aad, random, KEY_BYTES);
    sealInto(blob, 1 + WRAPPED_KEY_BYTES, itemKey, payload, aad, random, KEY_BYTES + NONCE_BYTES);
    return blob;
  } finally {
    wipe(random);
  }
}

/**
 * The authentication tag that ends a blob (the payload seal's), as a view of
 * the blob. Any other version of the item's blob has another tag; the ledger records it.
 */
export function sealTagOf(blob: Buffer): Buffer {
  return blob.subarray(Math.max(0, blob.length - TAG_BYTES));
}

/** The payload, or undefined when the blob does not open under this key and AAD. */
export function openItem(classKey: Uint8Array, blob: Uint8Array, aad: Uint8Array): Buffer | undefined {
  if (blob.length < 1 + WRAPPED_KEY_BYTES + SEAL_OVERHEAD || blob[0] !== VERSION) return undefined;
  const itemKey = open(classKey, blob, aad, 1, 1 + WRAPPED_KEY_BYTES);
  if (itemKey === undefined) return undefined;
  try {
    return open(itemKey, blob, aad, 1 + WRAPPED_KEY_BYTES);
  } finally {
    wipe(itemKey);
  }
}
