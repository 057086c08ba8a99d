/**
 * VerifiedBuckets (src/store/verified-buckets.ts): a memo of ledger bucket
 * rows already found to add up, keyed by their exact bytes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { VerifiedBuckets } from '../../src/store/verified-buckets.js';

const lanes = [1, 2, 3, 4];

describe('VerifiedBuckets', () => {
  it('holds a bucket only with the very lanes and entries remembered for it', () => {
    const memo = new VerifiedBuckets(1);
    const entries = randomBytes(64);
    assert.equal(memo.has(7, lanes, entries), false, 'nothing remembered yet');
    memo.remember(7, lanes, entries);
    assert.equal(memo.has(7, lanes, Buffer.from(entries)), true, 'the same bytes, in another buffer');
    const flipped = Buffer.from(entries);
    flipped[40] ^= 1;
    assert.equal(memo.has(7, lanes, flipped), false, 'one bit of the entries changed');
    assert.equal(memo.has(7, [1, 2, 3, 5], entries), false, 'one lane changed');
    assert.equal(memo.has(7, lanes, entries.subarray(0, 32)), false, 'entries cut short');
    assert.equal(memo.has(8, lanes, entries), false, 'another bucket');
  });

  it('a bucket that shares a slot evicts the one before it (the memo stays a fixed size)', () => {
    const memo = new VerifiedBuckets(1);
    const a = randomBytes(32);
    const b = randomBytes(32);
    memo.remember(1, lanes, a);
    memo.remember(1 + 4096, lanes, b);
    assert.equal(memo.has(1, lanes, a), false);
    assert.equal(memo.has(1 + 4096, lanes, b), true);
  });

  it('holds a bucket of several classes\' rows (certificates and their keys share buckets), byte for byte', () => {
    const memo = new VerifiedBuckets(4);
    const entries = randomBytes(2 * 8 * 32);
    memo.remember(5, lanes, entries);
    assert.equal(memo.has(5, lanes, Buffer.from(entries)), true);
    const flipped = Buffer.from(entries);
    flipped[400] ^= 1;
    assert.equal(memo.has(5, lanes, flipped), false, 'one bit past the first class\'s share changed');
    const shorter = randomBytes(64);
    memo.remember(5, lanes, shorter);
    assert.equal(memo.has(5, lanes, entries), false, 'replaced by a smaller bucket row');
    assert.equal(memo.has(5, lanes, shorter), true);
    memo.remember(5, lanes, entries);
    assert.equal(memo.has(5, lanes, shorter), false, 'and back');
  });

  it('never remembers more entries than a well-formed bucket holds', () => {
    const memo = new VerifiedBuckets(1);
    const long = randomBytes(8 * 32 + 32);
    memo.remember(3, lanes, long);
    assert.equal(memo.has(3, lanes, long), false);
  });
});
