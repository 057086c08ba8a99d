/**
 * A keyed, incremental multiset hash: the sum, modulo 2^128, of a
 * pseudorandom function of each element (Bellare–Micciancio's MSet-Add-Hash
 * with AES-256 as the PRF). Adding or removing one element costs one AES
 * block; without the key nobody can compute the sum of a set, nor change a
 * set without changing its sum. The ledger (store/ledger.ts) keeps such sums
 * over the (persistent reference, seal tag) of every row, so a row restored
 * from an older copy of the file no longer adds up.
 *
 * Sums are 16-byte little-endian buffers. The total of all sums is stored
 * enciphered (AES-256, one block, a key of its own): without the key nobody
 * can produce the stored form of a total of their choosing, so bucket sums
 * rewritten to hide a restored row cannot be made to add up to it.
 * @module
 */
import { createCipheriv, createDecipheriv, hkdfSync, type Cipher, type Decipher } from 'node:crypto';

export const SUM_BYTES = 16;
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

/** A sum as four 32-bit little-endian lanes (how the ledger stores bucket sums, so SQLite can add them up). */
export function toLanes(sum: Uint8Array): [number, number, number, number] {
  const b = Buffer.from(sum.buffer, sum.byteOffset, SUM_BYTES);
  return [b.readUInt32LE(0), b.readUInt32LE(4), b.readUInt32LE(8), b.readUInt32LE(12)];
}

/**
 * The sum whose lanes, or lane totals (each a sum of many lanes, exact in a
 * double up to 2^53), are given: Σ lane_i · 2^(32·i) modulo 2^128.
 * Undefined unless there are four non-negative safe integers.
 */
export function fromLanes(lanes: readonly unknown[]): Buffer | undefined {
  if (lanes.length !== 4 || !lanes.every((l) => Number.isSafeInteger(l) && (l as number) >= 0)) return undefined;
  let total = 0n;
  for (let i = 3; i >= 0; i--) total = (total << 32n) + BigInt(lanes[i] as number);
  return fromBig(total & MASK);
}

/** Values added into lane totals before those are folded (2^20 · 2^32 < 2^53: exact in doubles). */
const FOLD_EVERY = 1 << 20;

/** The sum of many 16-byte values, modulo 2^128, in 32-bit lanes: no BigInt per value. */
export function sumAll(values: Iterable<Uint8Array>): Buffer {
  let sum: Buffer = ZERO_SUM;
  let lanes = [0, 0, 0, 0];
  let pending = 0;
  for (const v of values) {
    toLanes(v).forEach((l, i) => (lanes[i]! += l));
    if (++pending === FOLD_EVERY) {
      sum = sumAdjust(sum, fromLanes(lanes)!);
      lanes = [0, 0, 0, 0];
      pending = 0;
    }
  }
  return sumAdjust(sum, fromLanes(lanes)!);
}

/** a + b − c, modulo 2^128. */
export function sumAdjust(a: Uint8Array, plus: Uint8Array, minus: Uint8Array = ZERO_SUM): Buffer {
  return fromBig((toBig(a) + toBig(plus) - toBig(minus)) & MASK);
}

const derive = (deviceKey: Uint8Array, info: string): Buffer => Buffer.from(hkdfSync('sha256', deviceKey, Buffer.alloc(0), info, 32));
/** AES-256-ECB without padding, used one 16-byte block at a time (a PRF / PRP, never to encrypt data). */
const blockCipher = (key: Buffer): Cipher => createCipheriv('aes-256-ecb', key, null).setAutoPadding(false);
const blockDecipher = (key: Buffer): Decipher => createDecipheriv('aes-256-ecb', key, null).setAutoPadding(false);

export class MultisetHash {
  readonly #prf: Cipher;
  readonly #sealTotal: Cipher;
  readonly #openTotal: Decipher;

  constructor(deviceKey: Uint8Array) {
    const prfKey = derive(deviceKey, 'secitem ledger prf v1');
    const totalKey = derive(deviceKey, 'secitem ledger total v2');
    this.#prf = blockCipher(prfKey);
    this.#sealTotal = blockCipher(totalKey);
    this.#openTotal = blockDecipher(totalKey);
    prfKey.fill(0);
    totalKey.fill(0);
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
    return sumAll(Array.from({ length: pairs.length }, (_, p) => out.subarray(p * SUM_BYTES, (p + 1) * SUM_BYTES)));
  }

  /** A total in its stored form. */
  sealTotal(total: Uint8Array): Buffer {
    return this.#sealTotal.update(total);
  }

  /** The total a stored value stands for; undefined when it is not 16 bytes. */
  openTotal(stored: unknown): Buffer | undefined {
    return Buffer.isBuffer(stored) && stored.length === SUM_BYTES ? this.#openTotal.update(stored) : undefined;
  }
}
