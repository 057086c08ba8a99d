/**
 * A memo of ledger bucket rows whose entries are known to add up to their
 * sum, so a read of an item whose bucket was checked before skips the AES
 * call and the lane sum. It is keyed by content, not by trust: a row counts
 * as checked only while its stored lanes and entries are byte for byte the
 * ones that were checked, so another process's writes, or a tampered file,
 * can never make it vouch for bytes it has not seen.
 *
 * Direct-mapped (a bucket has one slot, a newcomer evicts the slot's holder)
 * in fixed arrays: nothing for the garbage collector to trace or promote,
 * and a bounded size (SLOTS × 256 bytes) whatever the keychain's size; a
 * bucket that holds more than one class's rows keeps its bytes in a buffer
 * of its own.
 * @module
 */
import { RECORD_BYTES } from '../crypto/multiset-hash.js';
import { ITEMS_PER_BUCKET } from './row-uuid.js';

/** Buckets remembered: all of them up to 32,768 rows of a table. */
const SLOTS = 4096;
/** The bytes of a bucket of one class's rows (at most one record per row): the fixed part of a slot. */
const SLOT_BYTES = ITEMS_PER_BUCKET * RECORD_BYTES;

/** The memo's storage, made on first use: a keychain that is opened and closed without a read costs nothing. */
interface Slots {
  /** Bucket number held by each slot (-1: none). */
  readonly bucket: Float64Array;
  readonly lanes: Uint32Array;
  readonly length: Uint16Array;
  /** Each slot's entries, when they fit in SLOT_BYTES. */
  readonly entries: Buffer;
  /**
   * Each slot's entries, when they do not: a bucket holds the rows of every
   * class's table in its range of rowids, so a keychain of certificates and
   * their keys has buckets of two classes' records.
   */
  readonly larger: Map<number, Buffer>;
}

export class VerifiedBuckets {
  #slots: Slots | undefined;
  readonly #maxEntriesBytes: number;

  /** `tables`: the item tables whose rows share the buckets (a well-formed bucket holds at most one record per row). */
  constructor(tables: number) {
    this.#maxEntriesBytes = tables * ITEMS_PER_BUCKET * RECORD_BYTES;
  }

  /** Whether exactly these lanes and entries were remembered for this bucket. */
  has(bucket: number, lanes: readonly number[], entries: Buffer): boolean {
    const m = this.#slots;
    const slot = bucket % SLOTS;
    if (m === undefined || m.bucket[slot] !== bucket || m.length[slot] !== entries.length) return false;
    const l = slot * 4;
    if (m.lanes[l] !== lanes[0] || m.lanes[l + 1] !== lanes[1] || m.lanes[l + 2] !== lanes[2] || m.lanes[l + 3] !== lanes[3]) return false;
    if (entries.length > SLOT_BYTES) return entries.equals(m.larger.get(slot)!);
    const at = slot * SLOT_BYTES;
    return entries.compare(m.entries, at, at + entries.length) === 0;
  }

  /** Remembers a bucket row whose entries were just found to add up to its lanes. */
  remember(bucket: number, lanes: readonly number[], entries: Buffer): void {
    if (entries.length > this.#maxEntriesBytes) return;
    const m = (this.#slots ??= {
      bucket: new Float64Array(SLOTS).fill(-1),
      lanes: new Uint32Array(SLOTS * 4),
      length: new Uint16Array(SLOTS),
      entries: Buffer.alloc(SLOTS * SLOT_BYTES),
      larger: new Map(),
    });
    const slot = bucket % SLOTS;
    m.bucket[slot] = bucket;
    m.length[slot] = entries.length;
    m.lanes.set(lanes, slot * 4);
    if (entries.length > SLOT_BYTES) m.larger.set(slot, Buffer.from(entries));
    else {
      m.larger.delete(slot);
      entries.copy(m.entries, slot * SLOT_BYTES);
    }
  }
}
