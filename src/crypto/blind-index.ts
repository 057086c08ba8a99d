/**
 * Blind indexes: a keyed hash of each searchable attribute value, so queries
 * use SQL indexes while the database holds no attribute in plaintext. Equal
 * values of one attribute of one class give equal hashes, which is all exact
 * matching needs; values of different classes never do (a reader of the
 * file cannot tell that a password and a key share an account or a label).
 *
 * Two steps: HMAC-SHA-256 of the attribute's code and value under a key
 * derived from the device key, truncated to 128 bits; then that block
 * enciphered with AES-256 under a key of the item class's own (a keyed
 * permutation: distinct values stay distinct, and without the key nothing
 * links the classes). The class could have gone into the first step; it is a
 * step of its own so that a keychain written before classes were separated
 * is upgraded from its stored indexes, without the values.
 * @module
 */
import { createCipheriv, createHmac, hkdfSync, type Cipher } from 'node:crypto';
import { wipe } from './wipe.js';

const INDEX_BYTES = 16;
/**
 * Recently computed index values kept in memory: most queries and updates
 * repeat services, groups and flags. Small on purpose: a large memo lives
 * long enough to swell V8's old space (≈12 MB of peak RSS at 8,192 entries).
 */
const CACHE_ENTRIES = 1024;
/**
 * A value is memoized the second time it is seen (its memo key recorded the
 * first time in a table of numbers): unique values (accounts, dates) then
 * never enter the memo, where each would live just long enough for the
 * garbage collector to copy it out of the young generation.
 */
const SEEN_SLOTS = 4096;
/** Longer values (rarely repeated, and costly to keep) are not memoized. */
const CACHED_BYTES = 256;

interface Memo {
  cls: string;
  label: string;
  /** The canonical bytes as a latin1 string (one character a byte). */
  canonical: string;
  value: Buffer;
}

/** FNV-1a of class, label and bytes, cut to 30 bits so that it stays a small integer (a Map key that allocates nothing). */
function memoKey(cls: string, label: string, canonical: Uint8Array, length: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < cls.length; i++) h = Math.imul(h ^ cls.charCodeAt(i), 0x01000193);
  h = Math.imul(h, 0x01000193); // the separator
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  h = Math.imul(h, 0x01000193); // the separator
  for (let i = 0; i < length; i++) h = Math.imul(h ^ canonical[i], 0x01000193);
  return h & 0x3fffffff;
}

/** The first `length` bytes of a buffer (itself when that is all of it). */
const firstBytes = (b: Buffer, length: number): Buffer => (length === b.length ? b : b.subarray(0, length));

function holds(memo: Memo, cls: string, label: string, canonical: Uint8Array, length: number): boolean {
  if (memo.cls !== cls || memo.label !== label || memo.canonical.length !== length) return false;
  for (let i = 0; i < length; i++) if (memo.canonical.charCodeAt(i) !== canonical[i]) return false;
  return true;
}

export class BlindIndex {
  readonly #key: Buffer;
  readonly #deviceKey: Buffer;
  /** Each class's cipher for the second step, made on first use. */
  readonly #classCiphers = new Map<string, Cipher>();
  /** Memoized values by memoKey; a key taken by other bytes is recomputed and overwritten. */
  readonly #recent = new Map<number, Memo>();
  /** Memo keys seen once, by their low bits (a number table: nothing for the collector to trace). */
  readonly #seen = new Int32Array(SEEN_SLOTS).fill(-1);

  constructor(deviceKey: Uint8Array) {
    this.#key = Buffer.from(hkdfSync('sha256', deviceKey, Buffer.alloc(0), 'secitem blind index v1', 32));
    this.#deviceKey = Buffer.from(deviceKey);
  }

  #classCipher(cls: string): Cipher {
    let cipher = this.#classCiphers.get(cls);
    if (cipher === undefined) {
      const key = Buffer.from(hkdfSync('sha256', this.#deviceKey, Buffer.alloc(0), `secitem blind index class ${cls} v1`, 32));
      // ECB over exactly one block at a time, without padding: a keyed permutation of 16-byte values.
      cipher = createCipheriv('aes-256-ecb', key, null).setAutoPadding(false);
      wipe(key);
      this.#classCiphers.set(cls, cipher);
    }
    return cipher;
  }

  /** The second step alone: a class's index from the first step's value (how an upgrade separates classes). */
  ofClass(cls: string, firstStep: Uint8Array): Buffer {
    return this.#classCipher(cls).update(firstStep);
  }

  /**
   * The index value, in class `cls`, of a value's canonical bytes (the first
   * `length` of `canonical`, which may be a buffer the caller reuses) under
   * `label` (its column).
   */
  of(cls: string, label: string, canonical: Buffer, length = canonical.length): Buffer {
    if (length > CACHED_BYTES) return this.#compute(cls, label, firstBytes(canonical, length));
    const key = memoKey(cls, label, canonical, length);
    const memo = this.#recent.get(key);
    if (memo !== undefined && holds(memo, cls, label, canonical, length)) return memo.value;
    const slot = key & (SEEN_SLOTS - 1);
    if (memo === undefined && this.#seen[slot] !== key) {
      this.#seen[slot] = key;
      return this.#compute(cls, label, firstBytes(canonical, length));
    }
    const latin1 = canonical.toString('latin1', 0, length);
    const value = this.#compute(cls, label, latin1);
    if (memo === undefined && this.#recent.size >= CACHE_ENTRIES) this.#recent.delete(this.#recent.keys().next().value!);
    this.#recent.set(key, { cls, label, canonical: latin1, value });
    return value;
  }

  /** Both steps: HMAC of label, NUL and the canonical bytes (a Buffer, or one latin1 character a byte), then the class's. */
  #compute(cls: string, label: string, canonical: Buffer | string): Buffer {
    const hmac = createHmac('sha256', this.#key).update(label).update('\0');
    if (typeof canonical === 'string') hmac.update(canonical, 'latin1');
    else hmac.update(canonical);
    return this.ofClass(cls, hmac.digest().subarray(0, INDEX_BYTES));
  }

  /** A check value that tells whether a device key is the one a keychain was made with. */
  static check(deviceKey: Uint8Array): Buffer {
    return createHmac('sha256', deviceKey).update('secitem device key check v1').digest();
  }
}
