/**
 * The ledger: which sealed version of each item is the current one, so that
 * a row restored from an older copy of the file (an item's earlier secret, or
 * a deleted item) answers errSecDecode instead of opening.
 *
 *   ledger(bucket, s0…s3, entries)  per bucket of rows (row-uuid.ts: rowid / 8):
 *                            the bucket's entries — for each item row, its
 *                            persistent-reference UUID and the tag of its
 *                            current seal, sorted by UUID — and the keyed
 *                            multiset hash of those entries, as four 32-bit lanes
 *   ledger row TOTAL_ROW     the root (in `entries`; its lanes are 0): the sum
 *                            of all buckets enciphered under a key of its own,
 *                            the digest of the keybag it was kept with, and an
 *                            HMAC over both (crypto/multiset-hash.ts rootTag)
 *
 * What is checked:
 * - at open, every bucket: its number can exist, its entries belong to it
 *   (each UUID's rowid / 8), are sorted without repeats, at most one a row,
 *   and hash (keyed) to its lanes; the lanes of all buckets add up to the
 *   root's sum; the root's tag holds, and it names the keybag in the file.
 *   A bucket cannot be forged without the device key, nor copied to another
 *   number, so a restored bucket cannot be compensated for;
 * - on every read and write, the item's bucket against the lanes this
 *   process last found consistent with the root. A bucket that changed under
 *   an unchanged root was restored by someone other than a writer (every
 *   write changes the root): errSecDecode. One that changed with the root
 *   (another process wrote) makes the whole ledger be checked again, as at
 *   open, before anything in it is believed.
 * Every write rewrites the bucket row and the root in the item's own
 * transaction. The root's row sorts after every bucket, so it shares a page
 * with the last buckets: an add (which appends rows, so writes the last
 * bucket) syncs one ledger page.
 *
 * What no file-internal scheme can catch: restoring the whole file (or all of
 * it that changed since some moment) to an earlier state.
 * @module
 */
import type Database from 'better-sqlite3';
import { createHash, timingSafeEqual } from 'node:crypto';
import { SecError, errSecDecode } from '../status.js';
import { RECORD_BYTES, SUM_BYTES, ZERO_SUM, fromLanes, sumAdjust, toLanes, type MultisetHash } from '../crypto/multiset-hash.js';
import { ITEMS_PER_BUCKET, MAX_BUCKET, bucketOf } from './row-uuid.js';
import { VerifiedBuckets } from './verified-buckets.js';
import { KnownBuckets } from './known-buckets.js';

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

/** The digest of a keybag as its meta row stores it, which the root names. */
export function keybagDigest(keybag: unknown): Buffer {
  return createHash('sha256').update(Buffer.isBuffer(keybag) ? keybag : Buffer.from(String(keybag), 'utf8')).digest();
}

const DIGEST_BYTES = 32;
const TAG_BYTES = 32;
/** The root's stored form: enciphered sum, keybag digest, tag. */
const ROOT_BYTES = SUM_BYTES + DIGEST_BYTES + TAG_BYTES;

/** The root, opened: the sum of all buckets and the keybag it was kept with. */
interface Root {
  sum: Buffer;
  keybag: Buffer;
}

function sealRoot(hash: MultisetHash, root: Root): Buffer {
  return Buffer.concat([hash.sealTotal(root.sum), root.keybag, hash.rootTag(root.sum, root.keybag)]);
}

/** The root a stored value stands for; undefined when it is damaged or its tag does not hold. */
function openRoot(hash: MultisetHash, stored: unknown): Root | undefined {
  if (!Buffer.isBuffer(stored) || stored.length !== ROOT_BYTES) return undefined;
  const sum = hash.openTotal(stored.subarray(0, SUM_BYTES));
  if (sum === undefined) return undefined;
  const keybag = Buffer.from(stored.subarray(SUM_BYTES, SUM_BYTES + DIGEST_BYTES));
  const tag = stored.subarray(SUM_BYTES + DIGEST_BYTES);
  return timingSafeEqual(tag, hash.rootTag(sum, keybag)) ? { sum, keybag } : undefined;
}

/**
 * Whether a bucket row is well formed for its number: entries of its own
 * rows, sorted, no repeats, at most one a row of each item table (rowids are
 * per table, so a bucket holds up to ITEMS_PER_BUCKET rows of each).
 */
function wellFormed(number: unknown, bucket: Bucket, tables: number): number is number {
  if (!Number.isSafeInteger(number) || (number as number) < 0 || (number as number) > MAX_BUCKET) return false;
  const { entries } = bucket;
  if (entries.length > tables * ITEMS_PER_BUCKET * RECORD_BYTES) return false;
  for (let at = 0; at < entries.length; at += RECORD_BYTES) {
    // The UUID's first 48 bits are its rowid (row-uuid.ts).
    if (Math.floor(entries.readUIntBE(at, 6) / ITEMS_PER_BUCKET) !== number) return false;
    // (this UUID against the one before it: it must sort strictly after)
    if (at > 0 && entries.compare(entries, at - RECORD_BYTES, at - RECORD_BYTES + SUM_BYTES, at, at + SUM_BYTES) <= 0) return false;
  }
  return true;
}

/** What start() found. */
export type LedgerState = 'trusted' | 'untrusted' | 'keybagMismatch';

const untrusted = (): SecError => new SecError(errSecDecode, 'the keychain ledger does not add up here (restored from an older copy?)');

export class Ledger {
  static readonly ddl =
    'CREATE TABLE ledger (bucket INTEGER PRIMARY KEY, s0 INTEGER NOT NULL, s1 INTEGER NOT NULL, s2 INTEGER NOT NULL, s3 INTEGER NOT NULL, entries BLOB NOT NULL)';

  #hash: MultisetHash | undefined;
  /** False when the last full check failed: no bucket can be trusted. */
  #totalTrusted = false;
  /** The root's stored bytes as of the last full check or this process's last write. */
  #rootSeen: Buffer | undefined;
  /** The root #rootSeen opens to, once opened (its tag checked): a write on top of it need not check the tag again. */
  #rootSeenOpen: Root | undefined;
  /** Each bucket's lanes as last found consistent with the root. */
  #known = new KnownBuckets();
  /** Bucket rows already found to add up under the current key (a read of the same bucket again skips the AES call). */
  #verified: VerifiedBuckets;
  readonly #stmts: Record<'bucket' | 'setBucket' | 'dropBucket' | 'dropAll' | 'buckets' | 'total' | 'setTotal' | 'setRoot', Database.Statement>;

  /** How many item tables share the buckets. */
  readonly #tables: number;

  constructor(db: Database.Database, tables: number) {
    this.#tables = tables;
    this.#verified = new VerifiedBuckets(tables);
    const p = (sql: string): Database.Statement => db.prepare(sql);
    this.#stmts = {
      bucket: p('SELECT bucket, s0, s1, s2, s3, entries FROM ledger WHERE bucket = ?'),
      // An upsert rewrites an existing bucket row in place (REPLACE would delete and re-insert it).
      setBucket: p(
        `INSERT INTO ledger (bucket, s0, s1, s2, s3, entries) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (bucket) DO UPDATE SET s0 = excluded.s0, s1 = excluded.s1, s2 = excluded.s2, s3 = excluded.s3, entries = excluded.entries`,
      ),
      dropBucket: p('DELETE FROM ledger WHERE bucket = ?'),
      dropAll: p(`DELETE FROM ledger WHERE bucket IS NOT ${TOTAL_ROW}`),
      // The root's row, written whether or not a damaged file still has it.
      setRoot: p(`INSERT INTO ledger (bucket, s0, s1, s2, s3, entries) VALUES (${TOTAL_ROW}, 0, 0, 0, 0, ?) ON CONFLICT (bucket) DO UPDATE SET s0 = 0, s1 = 0, s2 = 0, s3 = 0, entries = excluded.entries`),
      buckets: p(`SELECT bucket, s0, s1, s2, s3, entries FROM ledger WHERE bucket IS NOT ${TOTAL_ROW}`),
      total: p(`SELECT entries FROM ledger WHERE bucket = ${TOTAL_ROW}`).pluck(),
      // In place (the row exists from the keychain's creation): REPLACE would delete and re-insert it.
      setTotal: p(`UPDATE ledger SET entries = ? WHERE bucket = ${TOTAL_ROW}`),
    };
  }

  /** Writes the root of a new keychain (once, as it is created: a missing root is never re-created). */
  static create(db: Database.Database, hash: MultisetHash, keybag: unknown): void {
    const root = sealRoot(hash, { sum: ZERO_SUM, keybag: keybagDigest(keybag) });
    db.prepare(`INSERT INTO ledger (bucket, s0, s1, s2, s3, entries) VALUES (${TOTAL_ROW}, 0, 0, 0, 0, ?)`).run(root);
  }

  /**
   * Rewrites a format-5 total (the enciphered sum alone) as a root naming the
   * keybag (the upgrade to format 6). A damaged total is left as it is.
   */
  static upgradeRoot(db: Database.Database, hash: MultisetHash, keybag: unknown): void {
    const sum = hash.openTotal(db.prepare(`SELECT entries FROM ledger WHERE bucket = ${TOTAL_ROW}`).pluck().get());
    if (sum === undefined) return;
    db.prepare(`UPDATE ledger SET entries = ? WHERE bucket = ${TOTAL_ROW}`).run(sealRoot(hash, { sum, keybag: keybagDigest(keybag) }));
  }

  /**
   * Takes the key and checks the whole ledger (see the module comment)
   * against the keybag in the file. Call at open, in one read transaction.
   * 'untrusted' is not thrown: every item then answers errSecDecode, while
   * deleting still works; 'keybagMismatch' means the keybag is not the one
   * the root was kept with (restored from an older copy?).
   */
  start(hash: MultisetHash, keybag: unknown): LedgerState {
    this.#hash = hash;
    this.#verified = new VerifiedBuckets(this.#tables); // what adds up under one key says nothing under another
    const root = this.#checkAll();
    if (root !== undefined && !root.keybag.equals(keybagDigest(keybag))) {
      this.#totalTrusted = false;
      return 'keybagMismatch';
    }
    return this.#totalTrusted ? 'trusted' : 'untrusted';
  }

  /**
   * Replaces the whole ledger by one that vouches for exactly these records
   * (UUID ‖ seal tag), with a root naming this keybag, then checks it as at
   * open: a repair, run by the owner in one write transaction.
   */
  rebuild(records: readonly Buffer[], keybag: unknown): void {
    const hash = this.#key();
    const byBucket = new Map<number, Buffer[]>();
    for (const r of records) {
      const number = bucketOf(r.subarray(0, SUM_BYTES));
      if (!byBucket.has(number)) byBucket.set(number, []);
      byBucket.get(number)!.push(r);
    }
    this.#stmts.dropAll.run();
    let sum: Buffer = ZERO_SUM;
    for (const [number, list] of byBucket) {
      const entries = Buffer.concat(list.sort((a, b) => a.compare(b, 0, SUM_BYTES, 0, SUM_BYTES)));
      const bucketSum = hash.sumOfRecords(entries);
      this.#stmts.setBucket.run(number, ...toLanes(bucketSum), entries);
      sum = sumAdjust(sum, bucketSum);
    }
    this.#stmts.setRoot.run(sealRoot(hash, { sum, keybag: keybagDigest(keybag) }));
    this.#verified = new VerifiedBuckets(this.#tables);
    this.#checkAll();
  }

  /** Whether the last full check found every bucket sound and adding up to the root. */
  get trusted(): boolean {
    return this.#totalTrusted;
  }

  /**
   * Whether the root names a keybag other than this one (a keybag read after
   * open must be the one the root was kept with). A damaged root names none:
   * it already makes every item answer errSecDecode.
   */
  namesOtherKeybag(keybag: unknown): boolean {
    const root = openRoot(this.#key(), this.#stmts.total.get());
    return root !== undefined && !root.keybag.equals(keybagDigest(keybag));
  }

  /** Makes the root name a new keybag (a passcode change), in the keybag's own write transaction. */
  bindKeybag(keybag: unknown): void {
    const stored = this.#stmts.total.get();
    const root = openRoot(this.#key(), stored);
    if (root === undefined) return; // a damaged root stays damaged
    this.#storeRoot(stored, { sum: root.sum, keybag: keybagDigest(keybag) });
  }

  /**
   * Checks every bucket and the root (see the module comment), remembering
   * each bucket's lanes; sets the trust and answers the root (undefined when damaged).
   */
  #checkAll(): Root | undefined {
    const hash = this.#key();
    const stored = this.#stmts.total.get();
    this.#rootSeen = Buffer.isBuffer(stored) ? Buffer.from(stored) : undefined;
    const root = openRoot(hash, stored);
    this.#rootSeenOpen = root;
    const known = new KnownBuckets();
    // Lane totals as plain numbers (exact below 2^53: 2^21 buckets of 32-bit lanes), carried into one sum at the end.
    const totals = [0, 0, 0, 0];
    let ok = root !== undefined;
    for (const row of this.#stmts.buckets.iterate() as IterableIterator<BucketColumns>) {
      const bucket = bucketFrom(row);
      if (bucket === undefined || !wellFormed(row.bucket, bucket, this.#tables) || !this.#addsUp(row.bucket, bucket.lanes, bucket.entries)) {
        ok = false;
        break;
      }
      known.set(row.bucket, bucket.lanes);
      for (let i = 0; i < 4; i++) totals[i]! += bucket.lanes[i]!;
    }
    const sum = fromLanes(totals);
    this.#totalTrusted = ok && root !== undefined && sum !== undefined && root.sum.equals(sum);
    this.#known = this.#totalTrusted ? known : new KnownBuckets();
    return root;
  }

  /**
   * Whether a bucket's lanes are the ones last found consistent with the
   * root; when they are not, and the root changed since (another process
   * wrote), the whole ledger is checked again.
   */
  #current(number: number, lanes: readonly number[]): boolean {
    if (this.#totalTrusted && this.#known.matches(number, lanes)) return true;
    // Changed under an unchanged root: restored, not written. (Trust lost at a full check
    // likewise comes back only through another one, once someone has written since.)
    if (this.#isRootSeen(this.#stmts.total.get())) return false;
    this.#checkAll();
    return this.#totalTrusted && this.#known.matches(number, lanes);
  }

  /** Whether the stored root is the one this process last checked or wrote. */
  #isRootSeen(stored: unknown): boolean {
    return Buffer.isBuffer(stored) && this.#rootSeen !== undefined && stored.equals(this.#rootSeen);
  }

  /**
   * Writes the root `next` over `stored`; when `stored` was the root this
   * process last saw, what it knows stays current (another process's write
   * since then would not be vouched for by this one).
   */
  #storeRoot(stored: unknown, next: Root): void {
    const sealed = sealRoot(this.#key(), next);
    this.#stmts.setTotal.run(sealed);
    if (this.#isRootSeen(stored)) {
      this.#rootSeen = sealed;
      this.#rootSeenOpen = next;
    }
  }

  /**
   * Whether the ledger vouches for a row: the bucket row read with it is the
   * row's own, its entries add up to its sum, and they hold the tag of the
   * row's seal.
   */
  vouchesFor(uuid: unknown, columns: BucketColumns, sealTag: Uint8Array): boolean {
    if (!is16(uuid) || sealTag.length !== SUM_BYTES) return false;
    const bucket = bucketOf(uuid);
    const lanes = lanesOf(columns);
    const entries = columns.entries;
    if (columns.bucket !== bucket || lanes === undefined || !isEntries(entries)) return false;
    if (!this.#current(bucket, lanes) || !this.#addsUp(bucket, lanes, entries)) return false;
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
    const bucket = bucketFrom(columns);
    // The check a read makes (usually remembered: from the read of an update, or from the write before an add).
    if (bucket === undefined || !this.#current(number, bucket.lanes) || !this.#addsUp(number, bucket.lanes, bucket.entries)) throw untrusted();
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
    this.#known.set(number, lanes);
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
    const wasCurrent = this.#totalTrusted && this.#known.matches(number, bucket.lanes);
    // Subtracting the entry's element keeps a bucket that added up adding up, and one that did not, not.
    const lanes = this.#write(number, bucket.lanes, entries, ZERO_SUM, this.#key().sumOfRecords(bucket.entries.subarray(at, at + RECORD_BYTES)));
    if (wasCurrent) this.#known.set(number, lanes);
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
    // A damaged root stays damaged: nothing can make it hold again without the whole ledger adding up.
    const stored = this.#stmts.total.get();
    // The root this process last saw was opened then: its tag need not be checked again.
    const root = this.#isRootSeen(stored) && this.#rootSeenOpen !== undefined ? this.#rootSeenOpen : openRoot(this.#key(), stored);
    if (root !== undefined) this.#storeRoot(stored, { sum: sumAdjust(root.sum, plus, minus), keybag: root.keybag });
    return newLanes;
  }

  #key(): MultisetHash {
    if (this.#hash === undefined) throw new Error('ledger used before start');
    return this.#hash;
  }
}
