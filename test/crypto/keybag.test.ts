import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CryptoError } from '../../src/crypto/errors.js';
import { Keybag, createKeybagRecord, defaultKdf } from '../../src/crypto/keybag.js';

const deviceKey = randomBytes(32);

describe('Keybag', () => {
  it('without a passcode is always unlocked and has no akpu key', () => {
    const bag = new Keybag(deviceKey, createKeybagRecord(deviceKey, null));
    assert.equal(bag.state, 'unlocked');
    assert.equal(bag.classKey('akpu'), undefined);
    bag.lock();
    assert.equal(bag.state, 'unlocked');
    assert.ok(bag.classKey('ak'));
  });

  it('with a passcode starts before first unlock with only the Always keys', () => {
    const bag = new Keybag(deviceKey, createKeybagRecord(deviceKey, '1234'));
    assert.equal(bag.state, 'beforeFirstUnlock');
    assert.ok(bag.classKey('dk') && bag.classKey('dku'));
    for (const pc of ['ak', 'ck', 'aku', 'cku', 'akpu'] as const) assert.equal(bag.classKey(pc), undefined);
  });

  it('locking drops the WhenUnlocked keys and keeps AfterFirstUnlock', () => {
    const bag = new Keybag(deviceKey, createKeybagRecord(deviceKey, '1234'));
    bag.unlock('1234');
    bag.lock();
    assert.equal(bag.state, 'locked');
    assert.equal(bag.classKey('ak'), undefined);
    assert.equal(bag.classKey('akpu'), undefined);
    assert.ok(bag.classKey('ck') && bag.classKey('cku'));
  });

  it("a new passcode is stretched by scrypt at one of OWASP's minimums (N=2^14, r=8, p=5: 16 MiB), with a fresh 16-byte salt", () => {
    const a = createKeybagRecord(deviceKey, '1234');
    const b = createKeybagRecord(deviceKey, '1234');
    assert.deepEqual({ N: a.kdf?.N, r: a.kdf?.r, p: a.kdf?.p }, { N: 2 ** 14, r: 8, p: 5 });
    assert.deepEqual(defaultKdf, { N: 2 ** 14, r: 8, p: 5 });
    assert.equal(Buffer.from(a.kdf?.salt ?? '', 'base64').length, 16);
    assert.notEqual(a.kdf?.salt, b.kdf?.salt);
  });

  it('unlocking derives with the scrypt parameters stored in the keybag (so keychains made with older defaults still open)', () => {
    const record = createKeybagRecord(deviceKey, '1234');
    new Keybag(deviceKey, record).unlock('1234');
    const relabelled = { ...record, kdf: { N: 2 ** 15, r: 8, p: 1, salt: record.kdf?.salt ?? '' } };
    assert.throws(() => new Keybag(deviceKey, relabelled).unlock('1234'), (e: unknown) => e instanceof CryptoError && e.reason === 'wrongPasscode');
  });

  it('a wrong passcode is refused and changes nothing', () => {
    const bag = new Keybag(deviceKey, createKeybagRecord(deviceKey, '1234'));
    assert.throws(() => bag.unlock('4321'), (e: unknown) => e instanceof CryptoError && e.reason === 'wrongPasscode');
    assert.equal(bag.state, 'beforeFirstUnlock');
  });

  it('the same passcode on another device key opens nothing', () => {
    const record = createKeybagRecord(deviceKey, '1234');
    assert.throws(() => new Keybag(randomBytes(32), record), CryptoError);
  });

  it('a passcode change keeps the class keys and re-wraps them', () => {
    const bag = new Keybag(deviceKey, createKeybagRecord(deviceKey, '1234'));
    bag.unlock('1234');
    const ak = Buffer.from(bag.classKey('ak')!);
    const pending = bag.changePasscode('1234', 'abcd');
    bag.adopt(pending);
    const again = new Keybag(deviceKey, pending.record);
    again.unlock('abcd');
    assert.deepEqual(again.classKey('ak'), ak);
    assert.throws(() => new Keybag(deviceKey, pending.record).unlock('1234'), CryptoError);
  });

  it('removing the passcode drops the akpu key', () => {
    const bag = new Keybag(deviceKey, createKeybagRecord(deviceKey, '1234'));
    const pending = bag.changePasscode('1234', null);
    bag.adopt(pending);
    assert.equal(bag.hasPasscode, false);
    assert.equal(bag.classKey('akpu'), undefined);
    assert.equal(new Keybag(deviceKey, pending.record).state, 'unlocked');
  });
});
