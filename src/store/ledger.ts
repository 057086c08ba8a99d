/**
 * The ledger: which sealed version of each item is the current one, so that
 * a row restored from an older copy of the file (an item's earlier secret, or
 * a deleted item) answers errSecDecode instead of opening.
 *
 *   ledger(bucket, s0…s3, entries)  per bucket of rows (row-uuid.ts: rowid / 8):
 *                            the bucket's entries — for each item row, its
 *                            persistent-reference UUID and the tag of its
 *                            current seal, sorted by UUID — and the keyed
 *                            multiset hash of those entries, as four 32-bit
 *                            lanes so that SQLite adds all buckets up at open
 *   ledger row TOTAL_ROW     the sum of all buckets, enciphered under a key of
 *                            its own (in `entries`; its lanes are 0)
 *
 * Each layer catches the restore of the one below it: a restored row does not
 * match its entry, and a restored entry does not add up to its bucket's sum
 * (both checked on every read: the bucket row comes with the item row); a
 * restored bucket does not add up to the sealed total (checked at open), and
 * the total cannot be re-enciphered without the key. Every write rewrites the
 * bucket row and the total in the item's own transaction. The total's row
 * sorts after every bucket, so it shares a page with the last buckets: an
 * add (which appends rows, so writes the last bucket) syncs one ledger page.
 *
 * What no file-internal scheme can catch: restoring the whole file (or all of
 * it that changed since some moment) to an earlier state.
 * @module
 */
import type Database from 'better-sqlite3';
import { SecError, errSecDecode } from '../status.js';
import { RECORD_BYTES, SUM_BYTES, ZERO_SUM, fromLanes, sumAdjust, toLanes, type MultisetHash } from '../crypto/multiset-hash.js';
import { MAX_BUCKET, bucketOf } from './row-uuid.js';
import { VerifiedBuckets } from './verified-buckets.js';

/** The key of the total's row: past every bucket. */
export const TOTAL_ROW = MAX_BUCKET + 1;

/** A bucket row as a read brings it along with the item row (all null when the bucket has no row). */
export interface BucketColumns {
  bucket: unknown;
  s0: unknown;
  s1: unknown;
  s2: unknown;
  s3: unknown;
  entries: unknown;
}

/** A bucket's stored state, when well formed. */
interface Bucket {
  lanes: number[];
  entries: Buffer;
}

const isLane = (l: unknown): l is number => Number.isInteger(l) && (l as number) >= 0 && (l as number) <= 0xffff_ffff;
const isEntries = (e: unknown): e is Buffer => Buffer.isBuffer(e) && e.length % RECORD_BYTES === 0;

/** A bucket row's sum as four lanes, or undefined when they are not well formed (a damaged file). */
function lanesOf(c: BucketColumns): number[] | undefined {
  const lanes = [c.s0, c.s1, c.s2, c.s3];
  return lanes.every(isLane) ? (lanes as number[]) : undefined;
}

/** The bucket a row holds, or undefined when its columns are not well formed. */
function bucketFrom(c: BucketColumns): Bucket | undefined {
  const lanes = lanesOf(c);
  return lanes !== undefined && isEntries(c.entries) ? { lanes, entries: c.entries } : undefined;
}

/** The offset of the uuid's record in sorted entries, or where it would go (then `found` is false). */
function seek(entries: Buffer, uuid: Buffer): { at: number; found: boolean } {
  for (let at = 0; at < entries.length; at += RECORD_BYTES) {
    const order = entries.compare(uuid, 0, SUM_BYTES, at, at + SUM_BYTES);
    if (order >= 0) return { at, found: order === 0 };
  }
  return { at: entries.length, found: false };
}

const is16 = (value: unknown): value is Buffer => Buffer.isBuffer(value) && value.length === 16;

const untrusted = (): SecError => new SecError(errSecDecode, 'the keychain ledger does not add up here (restored from an older copy?)');

export class Ledger {
  static readonly ddl =
    'CREATE TABLE ledger (bucket INTEGER PRIMARY KEY, s0 INTEGER NOT NULL, s1 INTEGER NOT NULL, s2 INTEGER NOT NULL, s3 INTEGER NOT NULL, entries BLOB NOT NULL)';

  #hash: MultisetHash | undefined;
  /** False when the sealed total failed at start: no bucket can be trusted. */
  #totalTrusted = false;
  /** Bucket rows already found to add up under the current key (a read of the same bucket again skips the AES call). */
  #verified = new VerifiedBuckets();
  readonly #stmts: Record<'bucket' | 'setBucket' | 'dropBucket' | 'sums' | 'total' | 'setTotal', Database.Statement>;

  constructor(db: Database.Database) {
    const p = (sql: string): Database.Statement => db.prepare(sql);
    this.#stmts = {
      bucket: p('SELECT bucket, s0, s1, s2, s3, entries FROM ledger WHERE bucket = ?'),
      // An upsert rewrites an existing bucket row in place (REPLACE would delete and re-insert it).
      setBucket: p(
        `INSERT INTO ledger (bucket, s0, s1, s2, s3, entries) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (bucket) DO UPDATE SET s0 = excluded.s0, s1 = excluded.s1, s2 = excluded.s2, s3 = excluded.s3, entries = excluded.entries`,
      ),
      dropBucket: p('DELETE FROM ledger WHERE bucket = ?'),
      // Lane totals over all buckets, and how many rows are not well formed (then nothing adds up).
      sums: p(
        `SELECT coalesce(sum(s0), 0), coalesce(sum(s1), 0), coalesce(sum(s2), 0), coalesce(sum(s3), 0),
           count(*) FILTER (WHERE NOT (bucket BETWEEN 0 AND ${MAX_BUCKET} ${[0, 1, 2, 3].map((i) => `AND typeof(s${i}) = 'integer' AND s${i} BETWEEN 0 AND 4294967295`).join(' ')}))
         FROM ledger WHERE bucket IS NOT ${TOTAL_ROW}`,
      ).raw(),
      total: p(`SELECT entries FROM ledger WHERE bucket = ${TOTAL_ROW}`).pluck(),
      // In place (the row exists from the keychain's creation): REPLACE would delete and re-insert it.
      setTotal: p(`UPDATE ledger SET entries = ? WHERE bucket = ${TOTAL_ROW}`),
    };
  }

  /** Writes the first total of a new keychain (once, as it is created: a missing total is never re-created). */
  static create(db: Database.Database, hash: MultisetHash): void {
    db.prepare(`INSERT INTO ledger (bucket, s0, s1, s2, s3, entries) VALUES (${TOTAL_ROW}, 0, 0, 0, 0, ?)`).run(hash.sealTotal(ZERO_SUM));
  }

  /**
   * Takes the key and checks the sealed total against the bucket sums. Call
   * once at open, in one read transaction. A failure is not thrown: every item
   * then answers errSecDecode, while deleting still works.
   */
  start(hash: MultisetHash): void {
    this.#hash = hash;
    this.#verified = new VerifiedBuckets(); // what adds up under one key says nothing under another
    const total = hash.openTotal(this.#stmts.total.get());
    const [s0, s1, s2, s3, malformed] = this.#stmts.sums.get() as unknown[];
    const sum = fromLanes([s0, s1, s2, s3]);
    this.#totalTrusted = malformed === 0 && sum !== undefined && total !== undefined && total.equals(sum);
  }

  /**
   * Whether the ledger vouches for a row: the bucket row read with it is the
   * row's own, its entries add up to its sum, and they hold the tag of the
   * row's seal.
   */
  vouchesFor(uuid: unknown, columns: BucketColumns, sealTag: Uint8Array): boolean {
    if (!this.#totalTrusted || !is16(uuid) || sealTag.length !== SUM_BYTES) return false;
    const bucket = bucketOf(uuid);
    const lanes = lanesOf(columns);
    const entries = columns.entries;
    if (columns.bucket !== bucket || lanes === undefined || !isEntries(entries) || !this.#addsUp(bucket, lanes, entries)) return false;
    const { at, found } = seek(entries, uuid);
    return found && entries.compare(sealTag, 0, SUM_BYTES, at + SUM_BYTES, at + RECORD_BYTES) === 0;
  }

  /** Whether a bucket row's entries add up to its lanes (remembered once they have). */
  #addsUp(bucket: number, lanes: number[], entries: Buffer): boolean {
    if (this.#verified.has(bucket, lanes, entries)) return true;
    if (!this.#key().addsUpTo(entries, lanes)) return false;
    this.#verified.remember(bucket, lanes, entries);
    return true;
  }

  /** The bucket's row as stored (an empty bucket when it has none). */
  #read(bucket: number): BucketColumns {
    const row = this.#stmts.bucket.get(bucket) as BucketColumns | undefined;
    return row ?? { bucket, s0: 0, s1: 0, s2: 0, s3: 0, entries: Buffer.alloc(0) };
  }

  /**
   * Records `tag` as the current seal of the row `uuid` (a new row, or a
   * rewritten one). Refused with errSecDecode where the ledger does not add
   * up: an item written there could never be read back. `asRead` is the
   * bucket's row as this transaction read it with the item's row, when
   * nothing has written the bucket since (an update of a single row): it
   * spares reading it again.
   */
  set(uuid: Buffer, tag: Buffer, asRead?: BucketColumns): void {
    const number = bucketOf(uuid);
    const columns = asRead !== undefined && asRead.bucket === number ? asRead : this.#read(number);
    const bucket = this.#totalTrusted ? bucketFrom(columns) : undefined;
    // The check a read makes (usually remembered: from the read of an update, or from the write before an add).
    if (bucket === undefined || !this.#addsUp(number, bucket.lanes, bucket.entries)) throw untrusted();
    const record = Buffer.concat([uuid, tag]);
    const { at, found } = seek(bucket.entries, uuid);
    const end = found ? at + RECORD_BYTES : at;
    // One AES call: the elements of the record replaced (if any) and of the new one.
    const elements = this.#key().elements(Buffer.concat([bucket.entries.subarray(at, end), record]));
    const minus = found ? elements.subarray(0, SUM_BYTES) : ZERO_SUM;
    const entries = Buffer.concat([bucket.entries.subarray(0, at), record, bucket.entries.subarray(end)]);
    const lanes = this.#write(number, bucket.lanes, entries, elements.subarray(elements.length - SUM_BYTES), minus);
    // What was just written adds up: a sum that did, adjusted by the records swapped.
    this.#verified.remember(number, lanes, entries);
  }

  /** Forgets the row `uuid` (deleted). Works whatever the ledger's state, so damaged items can be removed. */
  remove(uuid: unknown): void {
    if (!is16(uuid)) return; // a damaged row's UUID: it never had an entry
    const number = bucketOf(uuid);
    const columns = this.#read(number);
    const bucket = bucketFrom(columns);
    if (bucket === undefined) return; // a damaged bucket stays as it is: still untrusted
    const { at, found } = seek(bucket.entries, uuid);
    if (!found) return;
    const entries = Buffer.concat([bucket.entries.subarray(0, at), bucket.entries.subarray(at + RECORD_BYTES)]);
    // Subtracting the entry's element keeps a bucket that added up adding up, and one that did not, not.
    this.#write(number, bucket.lanes, entries, ZERO_SUM, this.#key().sumOfRecords(bucket.entries.subarray(at, at + RECORD_BYTES)));
  }

  /**
   * Stores a bucket's new entries with its sum adjusted by plus − minus, and
   * adjusts the sealed total alike; returns the new sum's lanes.
   */
  #write(number: number, lanes: readonly number[], entries: Buffer, plus: Buffer, minus: Buffer): number[] {
    const newSum = sumAdjust(fromLanes(lanes)!, plus, minus);
    const newLanes = toLanes(newSum);
    if (entries.length === 0 && newSum.equals(ZERO_SUM)) this.#stmts.dropBucket.run(number);
    else this.#stmts.setBucket.run(number, ...newLanes, entries);
    const hash = this.#key();
    // A damaged total stays damaged: what it deciphers to, adjusted, still matches no set of bucket sums.
    const total = hash.openTotal(this.#stmts.total.get());
    if (total !== undefined) this.#stmts.setTotal.run(hash.sealTotal(sumAdjust(total, plus, minus)));
    return newLanes;
  }

  #key(): MultisetHash {
    if (this.#hash === undefined) throw new Error('ledger used before start');
    return this.#hash;
  }
}
