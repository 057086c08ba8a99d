/**
 * Blind indexes: a keyed hash (HMAC-SHA-256 under a key derived from the
 * device key, truncated to 128 bits) of each searchable attribute value, so
 * queries use SQL indexes while the database holds no attribute in plaintext.
 * Equal values give equal hashes, which is all exact matching needs.
 * @module
 */
import { createHmac, hkdfSync } from 'node:crypto';

const INDEX_BYTES = 16;
/**
 * Recently computed index values kept in memory: most queries and updates
 * repeat services, groups and flags. Small on purpose: unique values (accounts,
 * dates, keys) pass through it, and a large memo lives long enough to swell
 * V8's old space (≈12 MB of peak RSS at 8,192 entries).
 */
const CACHE_ENTRIES = 1024;

export class BlindIndex {
  readonly #key: Buffer;
  readonly #recent = new Map<string, Buffer>();

  constructor(deviceKey: Uint8Array) {
    this.#key = Buffer.from(hkdfSync('sha256', deviceKey, Buffer.alloc(0), 'secitem blind index v1', 32));
  }

  /** The index value of `canonical` (a value's canonical bytes) under `label` (its column). */
  of(label: string, canonical: Buffer): Buffer {
    const cacheKey = `${label}\0${canonical.toString('latin1')}`;
    let value = this.#recent.get(cacheKey);
    if (value === undefined) {
      value = createHmac('sha256', this.#key).update(label).update('\0').update(canonical).digest().subarray(0, INDEX_BYTES);
      if (this.#recent.size >= CACHE_ENTRIES) this.#recent.delete(this.#recent.keys().next().value!);
      this.#recent.set(cacheKey, value);
    }
    return value;
  }

  /** A check value that tells whether a device key is the one a keychain was made with. */
  static check(deviceKey: Uint8Array): Buffer {
    return createHmac('sha256', deviceKey).update('secitem device key check v1').digest();
  }
}
