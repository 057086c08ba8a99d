/**
 * A keyed, incremental multiset hash: the sum, modulo 2^128, of a
 * pseudorandom function of each element (Bellare–Micciancio's MSet-Add-Hash
 * with AES-256 as the PRF). Adding or removing one element costs one AES
 * block; without the key nobody can compute the sum of a set, nor change a
 * set without changing its sum. The ledger (store/ledger.ts) keeps such sums
 * over the (persistent reference, seal tag) of every row, so a row restored
 * from an older copy of the file no longer adds up.
 *
 * Sums are 16-byte little-endian buffers. A total is stored sealed with an
 * HMAC so that a sum computed by someone without the key is refused.
 * @module
 */
import { createCipheriv, createHmac, hkdfSync, timingSafeEqual, type Cipher } from 'node:crypto';

export const SUM_BYTES = 16;
const MAC_BYTES = 32;
const MASK = (1n << 128n) - 1n;

const toBig = (b: Uint8Array): bigint => {
  const v = Buffer.from(b.buffer, b.byteOffset, SUM_BYTES);
  return (v.readBigUInt64LE(8) << 64n) | v.readBigUInt64LE(0);
};
const fromBig = (n: bigint): Buffer => {
  const out = Buffer.alloc(SUM_BYTES);
  out.writeBigUInt64LE(n & 0xffff_ffff_ffff_ffffn, 0);
  out.writeBigUInt64LE((n >> 64n) & 0xffff_ffff_ffff_ffffn, 8);
  return out;
};

export const ZERO_SUM: Buffer = Buffer.alloc(SUM_BYTES);

/** a + b − c, modulo 2^128. */
export function sumAdjust(a: Uint8Array, plus: Uint8Array, minus: Uint8Array = ZERO_SUM): Buffer {
  return fromBig((toBig(a) + toBig(plus) - toBig(minus)) & MASK);
}

export class MultisetHash {
  /** AES-256-ECB without padding: a block cipher used as a PRF, one 16-byte block per element. */
  readonly #prf: Cipher;
  readonly #macKey: Buffer;

  constructor(deviceKey: Uint8Array) {
    const prfKey = Buffer.from(hkdfSync('sha256', deviceKey, Buffer.alloc(0), 'secitem ledger prf v1', 32));
    this.#macKey = Buffer.from(hkdfSync('sha256', deviceKey, Buffer.alloc(0), 'secitem ledger total v1', 32));
    this.#prf = createCipheriv('aes-256-ecb', prfKey, null).setAutoPadding(false);
    prfKey.fill(0);
  }

  /** The element value of one row: PRF(uuid ⊕ tag). Both are 16 bytes. */
  element(uuid: Uint8Array, tag: Uint8Array): Buffer {
    const block = Buffer.allocUnsafe(SUM_BYTES);
    for (let i = 0; i < SUM_BYTES; i++) block[i] = uuid[i]! ^ tag[i]!;
    return this.#prf.update(block);
  }

  /** The sum of the elements of many (uuid, tag) pairs: one AES call over all of them. */
  sum(pairs: ReadonlyArray<readonly [uuid: Uint8Array, tag: Uint8Array]>): Buffer {
    const blocks = Buffer.allocUnsafe(pairs.length * SUM_BYTES);
    pairs.forEach(([uuid, tag], p) => {
      for (let i = 0; i < SUM_BYTES; i++) blocks[p * SUM_BYTES + i] = uuid[i]! ^ tag[i]!;
    });
    const out = this.#prf.update(blocks);
    let total = 0n;
    for (let p = 0; p < pairs.length; p++) total += toBig(out.subarray(p * SUM_BYTES, (p + 1) * SUM_BYTES));
    return fromBig(total & MASK);
  }

  /** A total with its MAC, for storage. */
  sealTotal(total: Uint8Array): Buffer {
    return Buffer.concat([total, this.#mac(total)]);
  }

  /** The total in a sealed record; undefined when the record was not made with this key. */
  openTotal(record: unknown): Buffer | undefined {
    if (!Buffer.isBuffer(record) || record.length !== SUM_BYTES + MAC_BYTES) return undefined;
    const total = record.subarray(0, SUM_BYTES);
    return timingSafeEqual(record.subarray(SUM_BYTES), this.#mac(total)) ? Buffer.from(total) : undefined;
  }

  #mac(total: Uint8Array): Buffer {
    return createHmac('sha256', this.#macKey).update('secitem ledger total\0').update(total).digest();
  }
}
