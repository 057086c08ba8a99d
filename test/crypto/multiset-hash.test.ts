import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MultisetHash, ZERO_SUM, fromLanes, sumAdjust, sumAll, toLanes } from '../../src/crypto/multiset-hash.js';

const pair = (): [Buffer, Buffer] => [randomBytes(16), randomBytes(16)];

describe('MultisetHash (the ledger sums)', () => {
  const h = new MultisetHash(randomBytes(32));

  it('a sum does not depend on order, and adding then removing an element gives the sum back', () => {
    const pairs = [pair(), pair(), pair(), pair()];
    const forward = h.sum(pairs);
    assert.deepEqual(h.sum([...pairs].reverse()), forward);
    let running: Buffer = ZERO_SUM;
    for (const [u, t] of pairs) running = sumAdjust(running, h.element(u, t));
    assert.deepEqual(running, forward);
    const extra = pair();
    assert.deepEqual(sumAdjust(sumAdjust(forward, h.element(...extra)), ZERO_SUM, h.element(...extra)), forward);
  });

  it('sumAll (eight 16-bit lanes, carries folded at the end) equals adding one value at a time, even with every bit set', () => {
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
    assert.notDeepEqual(h.element(u, t), h.element(u, randomBytes(16)));
    assert.notDeepEqual(h.element(u, t), new MultisetHash(randomBytes(32)).element(u, t));
  });

  it('a stored total opens to itself under its own key only; altered or under another key it opens to another total', () => {
    const total = h.sum([pair(), pair()]);
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
