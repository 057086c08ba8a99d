import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Keybag, KeybagError, createKeybagRecord } from '../../src/crypto/keybag.js';

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

  it('a wrong passcode is refused and changes nothing', () => {
    const bag = new Keybag(deviceKey, createKeybagRecord(deviceKey, '1234'));
    assert.throws(() => bag.unlock('4321'), (e: unknown) => e instanceof KeybagError && e.reason === 'wrongPasscode');
    assert.equal(bag.state, 'beforeFirstUnlock');
  });

  it('the same passcode on another device key opens nothing', () => {
    const record = createKeybagRecord(deviceKey, '1234');
    assert.throws(() => new Keybag(randomBytes(32), record), KeybagError);
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
    assert.throws(() => new Keybag(deviceKey, pending.record).unlock('1234'), KeybagError);
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
