import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { openItem, sealItem } from '../../src/crypto/item-seal.js';

describe('item sealing', () => {
  const key = randomBytes(32);
  const aad = Buffer.from('row 1');
  const payload = Buffer.from('the secret');

  it('opens what it sealed', () => {
    assert.deepEqual(openItem(key, sealItem(key, payload, aad), aad), payload);
  });

  it('refuses another row, another key, any flipped bit and any truncation', () => {
    const blob = sealItem(key, payload, aad);
    assert.equal(openItem(key, blob, Buffer.from('row 2')), undefined);
    assert.equal(openItem(randomBytes(32), blob, aad), undefined);
    for (let i = 0; i < blob.length; i++) {
      const bad = Buffer.from(blob);
      bad[i] ^= 0x01;
      assert.equal(openItem(key, bad, aad), undefined, `bit flip at ${i}`);
    }
    for (const len of [0, 1, 60, blob.length - 1]) assert.equal(openItem(key, blob.subarray(0, len), aad), undefined);
  });

  it('never stores the payload in the clear', () => {
    assert.equal(sealItem(key, payload, aad).includes(payload), false);
  });
});
