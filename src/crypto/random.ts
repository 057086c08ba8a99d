/**
 * Random bytes for the per-call path (item keys, nonces, persistent-reference
 * UUIDs), drawn from the operating system's CSPRNG through node:crypto in
 * 4 KiB refills. Each randomBytes() call costs ~10 µs on the benchmark
 * machine whatever its size, and an add needs four; a refill costs about the
 * same as one. Bytes are handed out once and wiped from the pool as they go.
 * @module
 */
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let used = POOL_BYTES;

/** `n` fresh random bytes (n ≤ 4096), in a buffer of their own. */
export function freshRandom(n: number): Buffer {
  if (n > POOL_BYTES) throw new RangeError(`at most ${POOL_BYTES} bytes at a time`);
  if (used + n > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const out = Buffer.from(pool.subarray(used, used + n));
  pool.fill(0, used, used + n);
  used += n;
  return out;
}
