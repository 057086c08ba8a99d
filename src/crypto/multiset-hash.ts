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
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, type Cipher, type Decipher } from 'node:crypto';
import { wipe } from './wipe.js';

export const SUM_BYTES = 16;
/** Bytes of one ledger record: a UUID and a seal tag. */
export const RECORD_BYTES = 32;
const LANE = 2 ** 32;

export const ZERO_SUM: Buffer = Buffer.alloc(SUM_BYTES);

/** A sum as four 32-bit little-endian lanes (how the ledger stores bucket sums, so SQLite can add them up). */
export function toLanes(sum: Uint8Array): [number, number, number, number] {
  const b = Buffer.from(sum.buffer, sum.byteOffset, SUM_BYTES);
  return [b.readUInt32LE(0), b.readUInt32LE(4), b.readUInt32LE(8), b.readUInt32LE(12)];
}

/**
 * The sum whose lanes, or lane totals (each a sum of many lanes, exact in a
 * double up to 2^53), are given: Σ lane_i · 2^(32·i) modulo 2^128, carried
 * lane by lane. Undefined unless there are four non-negative safe integers.
 */
export function fromLanes(lanes: readonly unknown[]): Buffer | undefined {
  if (lanes.length !== 4 || !lanes.every((l) => Number.isSafeInteger(l) && (l as number) >= 0)) return undefined;
  const out = Buffer.allocUnsafe(SUM_BYTES);
  let carry = 0;
  for (let i = 0; i < 4; i++) {
    const v = (lanes[i] as number) + carry; // < 2^53 + 2^21: still exact
    const lane = v % LANE;
    carry = (v - lane) / LANE;
    out.writeUInt32LE(lane, 4 * i);
  }
  return out;
}

/** Values added into lane totals before those are folded (2^20 · 2^32 < 2^53: exact in doubles). */
const FOLD_EVERY = 1 << 20;

/** Carries lane totals (non-negative safe integers) into four lanes below 2^32, modulo 2^128, in place. */
function carry(lanes: number[]): number[] {
  let c = 0;
  for (let i = 0; i < 4; i++) {
    const v = lanes[i]! + c;
    lanes[i] = v % LANE;
    c = (v - lanes[i]!) / LANE;
  }
  return lanes;
}

/** The sum of the 16-byte values laid end to end in `blocks`, modulo 2^128, as four 32-bit lanes. */
function laneSum(blocks: Uint8Array): number[] {
  const b = Buffer.from(blocks.buffer, blocks.byteOffset, blocks.length);
  const lanes = [0, 0, 0, 0];
  let pending = 0;
  for (let off = 0; off + SUM_BYTES <= b.length; off += SUM_BYTES) {
    for (let i = 0; i < 4; i++) lanes[i]! += b.readUInt32LE(off + 4 * i);
    if (++pending === FOLD_EVERY) {
      carry(lanes);
      pending = 0;
    }
  }
  return carry(lanes);
}

/** Whether two sums in lanes (each below 2^32) are the same. */
function sameLanes(a: readonly number[], b: readonly number[]): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}

/** The sum of the 16-byte values laid end to end in `blocks`, modulo 2^128. */
export function sumBlocks(blocks: Buffer): Buffer {
  return fromLanes(laneSum(blocks))!;
}

/** a + b − c, modulo 2^128, lane by lane with carries (no BigInt). */
export function sumAdjust(a: Uint8Array, plus: Uint8Array, minus: Uint8Array = ZERO_SUM): Buffer {
  const [x, y, z] = [a, plus, minus].map((v) => Buffer.from(v.buffer, v.byteOffset, SUM_BYTES)) as [Buffer, Buffer, Buffer];
  const out = Buffer.allocUnsafe(SUM_BYTES);
  let carry = 0;
  for (let i = 0; i < SUM_BYTES; i += 4) {
    const v = x.readUInt32LE(i) + y.readUInt32LE(i) - z.readUInt32LE(i) + carry; // in (−2^32, 2^33)
    const lane = ((v % LANE) + LANE) % LANE;
    carry = (v - lane) / LANE;
    out.writeUInt32LE(lane, i);
  }
  return out;
}

const derive = (deviceKey: Uint8Array, info: string): Buffer => Buffer.from(hkdfSync('sha256', deviceKey, Buffer.alloc(0), info, 32));
/** AES-256-ECB without padding, used one 16-byte block at a time (a PRF / PRP, never to encrypt data). */
const blockCipher = (key: Buffer): Cipher => createCipheriv('aes-256-ecb', key, null).setAutoPadding(false);
const blockDecipher = (key: Buffer): Decipher => createDecipheriv('aes-256-ecb', key, null).setAutoPadding(false);

export class MultisetHash {
  readonly #prf: Cipher;
  readonly #sealTotal: Cipher;
  readonly #openTotal: Decipher;
  readonly #rootKey: Buffer;
  #input = Buffer.allocUnsafe(16 * SUM_BYTES);

  constructor(deviceKey: Uint8Array) {
    const prfKey = derive(deviceKey, 'secitem ledger prf v1');
    const totalKey = derive(deviceKey, 'secitem ledger total v2');
    this.#rootKey = derive(deviceKey, 'secitem ledger root v1');
    this.#prf = blockCipher(prfKey);
    this.#sealTotal = blockCipher(totalKey);
    this.#openTotal = blockDecipher(totalKey);
    wipe(prfKey, totalKey);
  }

  /** The sum of the elements of records laid end to end (uuid ‖ tag, RECORD_BYTES each). */
  sumOfRecords(records: Buffer): Buffer {
    return sumBlocks(this.elements(records));
  }

  /** Whether the elements of records laid end to end add up to the sum whose lanes are given (as a bucket row stores it). */
  addsUpTo(records: Buffer, lanes: readonly number[]): boolean {
    return sameLanes(laneSum(this.elements(records)), lanes);
  }

  /** The element of each record laid end to end (uuid ‖ tag, RECORD_BYTES each), 16 bytes each, in one AES call. */
  elements(records: Buffer): Buffer {
    const count = Math.floor(records.length / RECORD_BYTES);
    // The AES input (uuid XOR tag per record) goes through a buffer kept for it: only the output is new.
    if (this.#input.length < count * SUM_BYTES) this.#input = Buffer.allocUnsafe(Math.max(count * SUM_BYTES, 2 * this.#input.length));
    const blocks = this.#input;
    for (let r = 0; r < count; r++) {
      const at = r * RECORD_BYTES;
      for (let i = 0; i < SUM_BYTES; i++) blocks[r * SUM_BYTES + i] = records[at + i]! ^ records[at + SUM_BYTES + i]!;
    }
    return this.#prf.update(blocks.subarray(0, count * SUM_BYTES));
  }

  /** A total in its stored form. */
  sealTotal(total: Uint8Array): Buffer {
    return this.#sealTotal.update(total);
  }

  /**
   * The tag that binds a total to the keybag it was kept with (HMAC-SHA-256
   * of the total and the keybag's digest): a keybag restored from an older
   * copy no longer matches the ledger's root.
   */
  rootTag(total: Uint8Array, keybagDigest: Uint8Array): Buffer {
    return createHmac('sha256', this.#rootKey).update('secitem ledger root\0').update(total).update(keybagDigest).digest();
  }

  /** The total a stored value stands for; undefined when it is not 16 bytes. */
  openTotal(stored: unknown): Buffer | undefined {
    return Buffer.isBuffer(stored) && stored.length === SUM_BYTES ? this.#openTotal.update(stored) : undefined;
  }
}
