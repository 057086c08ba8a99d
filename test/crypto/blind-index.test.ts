import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { BlindIndex } from '../../src/crypto/blind-index.js';

describe('blind indexes', () => {
  const deviceKey = randomBytes(32);
  /**
   * The stored construction: HMAC-SHA-256(label ‖ NUL ‖ canonical bytes) under the derived key, cut to 16 bytes,
   * then that block enciphered with AES-256 under the class's key.
   */
  const expected = (label: string, canonical: Buffer, cls = 'genp'): Buffer => {
    const key = Buffer.from(hkdfSync('sha256', deviceKey, Buffer.alloc(0), 'secitem blind index v1', 32));
    const first = createHmac('sha256', key).update(`${label}\0`).update(canonical).digest().subarray(0, 16);
    const classKey = Buffer.from(hkdfSync('sha256', deviceKey, Buffer.alloc(0), `secitem blind index class ${cls} v1`, 32));
    return createCipheriv('aes-256-ecb', classKey, null).setAutoPadding(false).update(first);
  };

  it('are the keyed hash of label and bytes, computed or remembered', () => {
    const blind = new BlindIndex(deviceKey);
    const values = [Buffer.from('bcom.example'), Buffer.alloc(0), Buffer.from([0, 255, 128]), randomBytes(300)];
    for (let round = 0; round < 2; round++) {
      for (const v of values) for (const label of ['acct', 'svce', 'pk:genp']) assert.deepEqual(blind.of('genp', label, v), expected(label, v));
    }
  });

  it('read only the first `length` bytes of a buffer the caller reuses', () => {
    const blind = new BlindIndex(deviceKey);
    const scratch = Buffer.alloc(64);
    for (const s of ['bob', 'bobby', 'bo', 'bob']) {
      const length = scratch.write(s);
      assert.deepEqual(blind.of('genp', 'acct', scratch, length), expected('acct', Buffer.from(s)), s);
    }
  });

  it('stay right past the memo size, with labels and values that differ by one byte', () => {
    const blind = new BlindIndex(deviceKey);
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 3000; i += 7) {
        const v = Buffer.from(`user-${i}`);
        assert.deepEqual(blind.of('genp', i % 2 ? 'acct' : 'acce', v), expected(i % 2 ? 'acct' : 'acce', v));
      }
    }
  });

  it('differ between item classes for the same attribute and value (equal accounts of a password and a key are not linkable), also when remembered', () => {
    const blind = new BlindIndex(deviceKey);
    const v = Buffer.from('bshared-account');
    for (let round = 0; round < 3; round++) {
      const [g, i, k] = ['genp', 'inet', 'keys'].map((cls) => blind.of(cls, 'acct', v));
      assert.ok(!g!.equals(i!) && !g!.equals(k!) && !i!.equals(k!));
      assert.deepEqual(i, expected('acct', v, 'inet'));
    }
  });
});
