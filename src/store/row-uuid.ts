/**
 * Where a row lives follows from its persistent-reference UUID: its rowid
 * is the UUID's first 48 bits (so a persistent reference finds its row
 * without an index of its own), and its ledger bucket is its rowid over
 * ITEMS_PER_BUCKET (so consecutive rows share a bucket, and an add, which
 * appends, rewrites the ledger's last row instead of inserting at a random
 * place). The other 80 bits are random: a persistent reference is never
 * reused after a delete.
 * @module
 */
import { freshRandom } from '../crypto/random.js';
import { SecError, errSecDecode } from '../status.js';

/** Rows per ledger bucket: a read checks its whole bucket, a write rewrites it. */
export const ITEMS_PER_BUCKET = 8;
export const MAX_ROWID = 2 ** 48 - 1;
export const MAX_BUCKET = Math.floor(MAX_ROWID / ITEMS_PER_BUCKET);

/** The rowid of the row with this UUID: its first 48 bits (exact in a JS number, unlike SQLite's full 64). */
export const rowidOf = (uuid: Uint8Array): number => Buffer.from(uuid.buffer, uuid.byteOffset, 6).readUIntBE(0, 6);

/** The ledger bucket of the row with this UUID. */
export const bucketOf = (uuid: Uint8Array): number => Math.floor(rowidOf(uuid) / ITEMS_PER_BUCKET);

/**
 * A new UUID for the row at `rowid`: the rowid in its first 48 bits, then 80
 * random bits. A rowid past 48 bits follows only a row written from outside: errSecDecode.
 */
export function uuidAt(rowid: number): Buffer {
  if (rowid > MAX_ROWID) throw new SecError(errSecDecode, 'the keychain table holds a row no add could have made');
  const uuid = freshRandom(16);
  uuid.writeUIntBE(rowid, 0, 6);
  return uuid;
}
