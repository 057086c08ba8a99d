/**
 * Each ledger bucket's lanes as this process last found them consistent with
 * the ledger's root: 16 bytes a bucket in one growing typed array (buckets
 * are numbered densely from 0, as rowids grow), so a million items take
 * 2 MB and nothing for the garbage collector to trace. An absent bucket
 * reads as all-zero lanes, which is what an empty bucket has. Numbers past
 * the array's reach (rows written from outside) are kept in a Map.
 * @module
 */

/** Buckets held in the array at most (2^22: 32 million items); beyond, the Map. */
const ARRAY_BUCKETS = 2 ** 22;

export class KnownBuckets {
  #lanes = new Uint32Array(0);
  readonly #far = new Map<number, readonly number[]>();

  set(bucket: number, lanes: readonly number[]): void {
    if (bucket >= ARRAY_BUCKETS) {
      this.#far.set(bucket, [...lanes]);
      return;
    }
    if (bucket * 4 + 4 > this.#lanes.length) {
      const grown = new Uint32Array(Math.min(ARRAY_BUCKETS, Math.max(1024, 2 * (bucket + 1))) * 4);
      grown.set(this.#lanes);
      this.#lanes = grown;
    }
    this.#lanes.set(lanes, bucket * 4);
  }

  /** Whether the bucket's known lanes are these (an unknown bucket's are all zero). */
  matches(bucket: number, lanes: readonly number[]): boolean {
    if (bucket >= ARRAY_BUCKETS) {
      const far = this.#far.get(bucket) ?? [0, 0, 0, 0];
      return far[0] === lanes[0] && far[1] === lanes[1] && far[2] === lanes[2] && far[3] === lanes[3];
    }
    const at = bucket * 4;
    if (at + 4 > this.#lanes.length) return lanes[0] === 0 && lanes[1] === 0 && lanes[2] === 0 && lanes[3] === 0;
    const l = this.#lanes;
    return l[at] === lanes[0] && l[at + 1] === lanes[1] && l[at + 2] === lanes[2] && l[at + 3] === lanes[3];
  }
}
