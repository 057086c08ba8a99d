/**
 * The ledger: which sealed version of each item is the current one, so that
 * a row restored from an older copy of the file (an item's earlier secret, or
 * a deleted item) answers errSecDecode instead of opening.
 *
 *   ledger(uuid, tag)        one entry per item row: its persistent-reference
 *                            UUID and the tag of its current seal
 *   ledger_bucket(bucket, s0…s3) per bucket of UUIDs (their first 16 bits), the
 *                            keyed multiset hash of its entries, as four 32-bit
 *                            lanes so that SQLite adds all buckets up at open
 *   meta 'ledger'            the sum of all buckets, enciphered under a key of its own
 *
 * Each layer catches the restore of the one below it: a restored row does not
 * match its entry (checked on every read); a restored entry does not add up
 * to its bucket sum (checked the first time an item of the bucket is read in
 * a process); a restored bucket sum does not add up to the sealed total
 * (checked at open), and the total cannot be re-enciphered without the key.
 * Every write updates entry, bucket and total in the item's own transaction.
 *
 * What no file-internal scheme can catch: restoring the whole file (or all of
 * it that changed since some moment) to an earlier state.
 * @module
 */
import type Database from 'better-sqlite3';
import { SecError, errSecDecode } from '../status.js';
import { ZERO_SUM, fromLanes, sumAdjust, toLanes, type MultisetHash } from '../crypto/multiset-hash.js';

/**
 * Buckets are the first 16 bits of the UUID: 65,536 of them, so that at a
 * million items checking one bucket reads ~15 entries, while the check at
 * open reads at most 65,536 bucket sums.
 */
const bucketOf = (uuid: Uint8Array): number => (uuid[0]! << 8) | uuid[1]!;

/** The UUID range of a bucket, as blob bounds: [low, high). */
function bucketRange(bucket: number): [Buffer, Buffer] {
  const low = Buffer.alloc(16);
  low.writeUInt16BE(bucket);
  if (bucket === 0xffff) return [low, Buffer.alloc(17, 0xff)]; // above every 16-byte UUID
  const high = Buffer.alloc(16);
  high.writeUInt16BE(bucket + 1);
  return [low, high];
}

/** A stored 16-byte value (tag or sum), or undefined when the column holds anything else (a damaged file). */
function sixteen(value: unknown): Buffer | undefined {
  return Buffer.isBuffer(value) && value.length === 16 ? value : undefined;
}

/** Where the enciphered total lives (the keychain's meta table, key 'ledger'). */
export interface TotalSlot {
  get(): unknown;
  set(value: Buffer): void;
}

export class Ledger {
  static readonly ddl = [
    'CREATE TABLE IF NOT EXISTS ledger (uuid BLOB PRIMARY KEY, tag BLOB NOT NULL) WITHOUT ROWID',
    'CREATE TABLE IF NOT EXISTS ledger_bucket (bucket INTEGER PRIMARY KEY, s0 INTEGER NOT NULL, s1 INTEGER NOT NULL, s2 INTEGER NOT NULL, s3 INTEGER NOT NULL)',
  ];

  #hash: MultisetHash | undefined;
  /** Buckets checked in this process: true when their entries add up. */
  readonly #bucketTrusted = new Map<number, boolean>();
  /** False when the sealed total failed at start: no bucket can be trusted. */
  #totalTrusted = false;
  readonly #total: TotalSlot;
  readonly #stmts: Record<'entry' | 'setEntry' | 'dropEntry' | 'bucket' | 'setBucket' | 'buckets' | 'bucketAndEntries', Database.Statement>;

  constructor(db: Database.Database, total: TotalSlot) {
    this.#total = total;
    const p = (sql: string): Database.Statement => db.prepare(sql);
    this.#stmts = {
      entry: p('SELECT tag FROM ledger WHERE uuid = ?').pluck(),
      setEntry: p('INSERT INTO ledger (uuid, tag) VALUES (?, ?) ON CONFLICT (uuid) DO UPDATE SET tag = excluded.tag'),
      dropEntry: p('DELETE FROM ledger WHERE uuid = ?'),
      bucket: p('SELECT s0, s1, s2, s3 FROM ledger_bucket WHERE bucket = ?').raw(),
      setBucket: p(
        'INSERT INTO ledger_bucket (bucket, s0, s1, s2, s3) VALUES (?, ?, ?, ?, ?) ON CONFLICT (bucket) DO UPDATE SET s0 = excluded.s0, s1 = excluded.s1, s2 = excluded.s2, s3 = excluded.s3',
      ),
      // Lane totals over all buckets, and how many rows are not well formed (then nothing adds up).
      buckets: p(
        `SELECT coalesce(sum(s0), 0), coalesce(sum(s1), 0), coalesce(sum(s2), 0), coalesce(sum(s3), 0),
           count(*) FILTER (WHERE NOT (bucket BETWEEN 0 AND 65535 ${[0, 1, 2, 3].map((i) => `AND typeof(s${i}) = 'integer' AND s${i} BETWEEN 0 AND 4294967295`).join(' ')}))
         FROM ledger_bucket`,
      ).raw(),
      // A bucket's stored lanes (in the row whose uuid is NULL), then its entries.
      bucketAndEntries: p(
        'SELECT NULL, s0, s1, s2, s3 FROM ledger_bucket WHERE bucket = ? UNION ALL SELECT uuid, tag, NULL, NULL, NULL FROM ledger WHERE uuid >= ? AND uuid < ?',
      ).raw(),
    };
  }

  /** The first total of a new keychain. */
  static initialTotal(hash: MultisetHash): Buffer {
    return hash.sealTotal(ZERO_SUM);
  }

  /**
   * Takes the key and checks the sealed total against the bucket sums. Call
   * once at open, in one read transaction. A failure is not thrown: every item
   * then answers errSecDecode, while deleting still works.
   */
  start(hash: MultisetHash): void {
    this.#hash = hash;
    this.#bucketTrusted.clear();
    const total = hash.openTotal(this.#total.get());
    const [s0, s1, s2, s3, malformed] = this.#stmts.buckets.get() as unknown[];
    const sum = fromLanes([s0, s1, s2, s3]);
    this.#totalTrusted = malformed === 0 && sum !== undefined && total !== undefined && total.equals(sum);
  }

  /**
   * Whether the ledger vouches for a row: its entry holds the tag of the
   * row's seal, and the entry's bucket adds up.
   */
  vouchesFor(uuid: unknown, entryTag: unknown, sealTag: Buffer): boolean {
    const u = sixteen(uuid);
    const tag = sixteen(entryTag);
    return u !== undefined && tag !== undefined && tag.equals(sealTag) && this.#trusts(bucketOf(u));
  }

  /**
   * Whether a bucket's entries add up to its sum, checked once per process.
   * One statement reads the sum and the entries, so they come from one state
   * of the file even while another process writes.
   */
  #trusts(bucket: number): boolean {
    if (!this.#totalTrusted) return false;
    let trusted = this.#bucketTrusted.get(bucket);
    if (trusted === undefined) {
      let expected: Buffer | undefined = ZERO_SUM;
      const pairs: [Buffer, Buffer][] = [];
      let wellFormed = true;
      for (const [u, t, ...rest] of this.#stmts.bucketAndEntries.all(bucket, ...bucketRange(bucket)) as unknown[][]) {
        if (u === null) {
          expected = fromLanes([t, ...rest]); // the bucket's stored sum
          continue;
        }
        const uuid = sixteen(u);
        const tag = sixteen(t);
        if (uuid === undefined || tag === undefined) wellFormed = false;
        else pairs.push([uuid, tag]);
      }
      trusted = wellFormed && expected !== undefined && this.#key().sum(pairs).equals(expected);
      this.#bucketTrusted.set(bucket, trusted);
    }
    return trusted;
  }

  /**
   * Records `tag` as the current seal of the row `uuid` (a new row, or a
   * rewritten one). Refused with errSecDecode where the ledger does not add
   * up: an item written there could never be read back.
   */
  set(uuid: Buffer, tag: Buffer): void {
    const bucket = bucketOf(uuid);
    if (!this.#trusts(bucket)) throw new SecError(errSecDecode, 'the keychain ledger does not add up here (restored from an older copy?)');
    const old = sixteen(this.#stmts.entry.get(uuid));
    this.#stmts.setEntry.run(uuid, tag);
    const hash = this.#key();
    this.#adjust(bucket, hash.element(uuid, tag), old === undefined ? ZERO_SUM : hash.element(uuid, old));
  }

  /** Forgets the row `uuid` (deleted). Works whatever the ledger's state, so damaged items can be removed. */
  remove(uuid: unknown): void {
    const u = sixteen(uuid);
    if (u === undefined) return; // a damaged row's UUID: it never had an entry
    const stored = this.#stmts.entry.get(u);
    if (stored === undefined) return;
    this.#stmts.dropEntry.run(u);
    const old = sixteen(stored);
    // A damaged entry was never part of a sum that added up; its bucket stays as it is.
    if (old !== undefined) this.#adjust(bucketOf(u), ZERO_SUM, this.#key().element(u, old));
  }

  /** Adds and subtracts one element in a bucket sum and in the sealed total. */
  #adjust(bucket: number, plus: Buffer, minus: Buffer): void {
    const stored = this.#stmts.bucket.get(bucket) as unknown[] | undefined;
    // A damaged bucket sum is rebuilt from zero: still wrong (untrusted) unless the bucket holds nothing else.
    const bucketSum = (stored === undefined ? undefined : fromLanes(stored)) ?? ZERO_SUM;
    this.#stmts.setBucket.run(bucket, ...toLanes(sumAdjust(bucketSum, plus, minus)));
    const hash = this.#key();
    // A damaged total stays damaged: what it deciphers to, adjusted, still matches no set of bucket sums.
    const total = hash.openTotal(this.#total.get());
    if (total !== undefined) this.#total.set(hash.sealTotal(sumAdjust(total, plus, minus)));
  }

  #key(): MultisetHash {
    if (this.#hash === undefined) throw new Error('ledger used before start');
    return this.#hash;
  }
}

