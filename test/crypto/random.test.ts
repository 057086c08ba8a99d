import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { freshRandom } from '../../src/crypto/random.js';

describe('freshRandom (the per-call random pool)', () => {
  it('hands out bytes once: 100,000 UUIDs across many refills are all distinct, and each buffer is its own copy', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(freshRandom(16).toString('hex'));
    assert.equal(seen.size, 100_000);
    const a = freshRandom(32);
    const copy = Buffer.from(a);
    freshRandom(4000); // forces a refill, which must not touch bytes already handed out
    freshRandom(100);
    assert.deepEqual(a, copy);
  });

  it('bytes look uniform (each byte value within 25% of its expected count over 1 MiB)', () => {
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 256; i++) for (const b of freshRandom(4096)) counts[b]! += 1;
    for (const c of counts) assert.ok(Math.abs(c - 4096) < 1024, String(c));
  });

  it('refuses more than a pool at once', () => {
    assert.throws(() => freshRandom(4097), RangeError);
  });
});
