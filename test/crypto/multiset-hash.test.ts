import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MultisetHash, ZERO_SUM, fromLanes, sumAdjust, sumBlocks, toLanes } from '../../src/crypto/multiset-hash.js';

const pair = (): [Buffer, Buffer] => [randomBytes(16), randomBytes(16)];
/** The sum of many 16-byte values (sumBlocks over them laid end to end). */
const sumAll = (values: Buffer[]): Buffer => sumBlocks(Buffer.concat(values));

describe('MultisetHash (the ledger sums)', () => {
  const h = new MultisetHash(randomBytes(32));
  /** The sum of the elements of (uuid, tag) pairs, as ledger records. */
  const sum = (pairs: [Buffer, Buffer][]): Buffer => h.sumOfRecords(Buffer.concat(pairs.flat()));
  /** The element of one (uuid, tag) pair under `hash`. */
  const element = (u: Buffer, t: Buffer, hash = h): Buffer => hash.elements(Buffer.concat([u, t]));

  it('a sum does not depend on order, and adding then removing an element gives the sum back', () => {
    const pairs = [pair(), pair(), pair(), pair()];
    const forward = sum(pairs);
    assert.deepEqual(sum([...pairs].reverse()), forward);
    let running: Buffer = ZERO_SUM;
    for (const [u, t] of pairs) running = sumAdjust(running, element(u, t));
    assert.deepEqual(running, forward);
    const extra = pair();
    assert.deepEqual(sumAdjust(sumAdjust(forward, element(...extra)), ZERO_SUM, element(...extra)), forward);
  });

  it('summing many values in lanes (folded every 2^20) equals adding one value at a time, even with every bit set', () => {
    const values = [...Array.from({ length: 1000 }, () => randomBytes(16)), ...Array.from({ length: 70_000 }, () => Buffer.alloc(16, 0xff))];
    let oneByOne: Buffer = ZERO_SUM;
    for (const v of values) oneByOne = sumAdjust(oneByOne, v);
    assert.deepEqual(sumAll(values), oneByOne);
    assert.deepEqual(sumAll([]), ZERO_SUM);
  });

  it('lanes: a sum round-trips through four 32-bit lanes, and lane totals of many sums fold back to their sum', () => {
    const values = Array.from({ length: 5000 }, () => randomBytes(16));
    for (const v of values.slice(0, 10)) assert.deepEqual(fromLanes(toLanes(v)), v);
    const totals = [0, 0, 0, 0];
    for (const v of values) toLanes(v).forEach((l, i) => (totals[i]! += l));
    assert.deepEqual(fromLanes(totals), sumAll(values));
    for (const bad of [[1, 2, 3], [1, 2, 3, -1], [1, 2, 3, 0.5], [1, 2, 3, '4'], [1, 2, 3, null]]) assert.equal(fromLanes(bad), undefined, JSON.stringify(bad));
  });

  it('sums wrap modulo 2^128', () => {
    const max = Buffer.alloc(16, 0xff);
    const one = Buffer.alloc(16);
    one[0] = 1;
    assert.deepEqual(sumAdjust(max, one), ZERO_SUM);
    assert.deepEqual(sumAdjust(ZERO_SUM, ZERO_SUM, one), max);
  });

  it('the element of a row depends on its tag: another version of the row gives another element', () => {
    const [u, t] = pair();
    assert.notDeepEqual(element(u, t), element(u, randomBytes(16)));
    assert.notDeepEqual(element(u, t), element(u, t, new MultisetHash(randomBytes(32))));
  });

  it('a stored total opens to itself under its own key only; altered or under another key it opens to another total', () => {
    const total = sum([pair(), pair()]);
    const sealed = h.sealTotal(total);
    assert.notDeepEqual(sealed, total);
    assert.deepEqual(h.openTotal(sealed), total);
    assert.notDeepEqual(new MultisetHash(randomBytes(32)).openTotal(sealed), total);
    const altered = Buffer.from(sealed);
    altered[3]! ^= 1;
    assert.notDeepEqual(h.openTotal(altered), total);
    assert.equal(h.openTotal(sealed.subarray(1)), undefined);
    assert.equal(h.openTotal('text'), undefined);
    assert.equal(h.openTotal(undefined), undefined);
  });
});
