/**
 * Data protection and lock states (seed "SecItem: Pitfalls and Best
 * Practices" — Data Protection and Background Execution; reference §4.14,
 * §4.5.5, §4.7, §7 #40–#43, #49, #61).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  openKeychain,
  SecAccessControlCreateWithFlags,
  SecError,
  kSecAttrAccessible,
  kSecAttrAccessControl,
  kSecAttrAccessibleWhenUnlocked,
  kSecAttrAccessibleAfterFirstUnlock,
  kSecAttrAccessibleAlways,
  kSecAttrAccessibleWhenUnlockedThisDeviceOnly,
  kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
  kSecAttrAccessibleAlwaysThisDeviceOnly,
  kSecAttrAccessibleWhenPasscodeSetThisDeviceOnly,
  kSecAttrLabel,
  kSecAttrAccount,
  kSecValueData,
  kSecReturnData,
  kSecReturnAttributes,
  kSecMatchLimit,
  kSecMatchLimitAll,
  errSecSuccess,
  errSecItemNotFound,
  errSecDuplicateItem,
  errSecInteractionNotAllowed,
  errSecAuthFailed,
  errSecNotAvailable,
  errSecParam,
} from '../../src/index.js';
import {
  TempKeychain,
  type Client,
  type Dict,
  genp,
  genpWithData,
  unique,
  utf8,
  ok,
  expectOutcome,
  expectStatus,
  dict,
  sameBytes,
  array,
} from '../helpers.js';

type State = 'unlocked' | 'locked' | 'beforeFirstUnlock';
type Protection = Parameters<typeof SecAccessControlCreateWithFlags>[0];

const PASSCODE = 'correct horse 1234';

const CLASSES: { name: string; value: string }[] = [
  { name: 'kSecAttrAccessibleWhenUnlocked', value: kSecAttrAccessibleWhenUnlocked },
  { name: 'kSecAttrAccessibleWhenUnlockedThisDeviceOnly', value: kSecAttrAccessibleWhenUnlockedThisDeviceOnly },
  { name: 'kSecAttrAccessibleAfterFirstUnlock', value: kSecAttrAccessibleAfterFirstUnlock },
  { name: 'kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly', value: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly },
  { name: 'kSecAttrAccessibleAlways', value: kSecAttrAccessibleAlways },
  { name: 'kSecAttrAccessibleAlwaysThisDeviceOnly', value: kSecAttrAccessibleAlwaysThisDeviceOnly },
  { name: 'kSecAttrAccessibleWhenPasscodeSetThisDeviceOnly', value: kSecAttrAccessibleWhenPasscodeSetThisDeviceOnly },
];

/** Which classes have their key in each state (seed: "The key material needed to work with ..."). */
const AVAILABLE: Record<State, ReadonlySet<string>> = {
  unlocked: new Set(['ak', 'aku', 'ck', 'cku', 'dk', 'dku', 'akpu']),
  locked: new Set(['ck', 'cku', 'dk', 'dku']),
  beforeFirstUnlock: new Set(['dk', 'dku']),
};

function accessControl(protection: string): unknown {
  const made = SecAccessControlCreateWithFlags(protection as Protection, 0);
  assert.ok(made.accessControl !== undefined, `SecAccessControlCreateWithFlags(${protection}) made no access control`);
  return made.accessControl;
}

/** The protection attributes of a variant: kSecAttrAccessible, or kSecAttrAccessControl carrying the class. */
function protectionAttrs(value: string, viaAccessControl: boolean): Dict {
  return viaAccessControl ? { [kSecAttrAccessControl]: accessControl(value) } : { [kSecAttrAccessible]: value };
}

function ensureUnlocked(tk: TempKeychain): void {
  if (tk.kc.lockState !== 'unlocked') expectStatus(tk.kc.unlock(PASSCODE), errSecSuccess, 'unlock');
  assert.equal(tk.kc.lockState, 'unlocked');
}

describe('"each interacts with data protection in a different way": every lock state × every protection class × the four functions', () => {
  let tk: TempKeychain;
  before(() => {
    tk = new TempKeychain(PASSCODE);
  });
  after(() => tk.cleanup());

  it('a keychain created with a passcode is open and unlocked', () => {
    assert.equal(tk.kc.hasPasscode, true);
    assert.equal(tk.kc.lockState, 'unlocked');
  });

  for (const state of ['unlocked', 'locked', 'beforeFirstUnlock'] as const) {
    describe(`state: ${state}`, () => {
      let app: Client;
      const prefix = unique(`lock-${state}`);
      const svc = (value: string, viaAc: boolean): string => `${prefix}-${value}-${viaAc ? 'accc' : 'pdmn'}`;

      before(() => {
        ensureUnlocked(tk);
        app = tk.client();
        for (const { value } of CLASSES) {
          for (const viaAc of [false, true]) {
            ok(app.SecItemAdd(genpWithData(svc(value, viaAc), 'existing', `secret-${value}`, protectionAttrs(value, viaAc))), `setup add ${value}`);
          }
        }
        if (state === 'locked') {
          expectStatus(tk.kc.lock(), errSecSuccess, 'lock');
        } else if (state === 'beforeFirstUnlock') {
          tk.reopen();
          app = tk.client();
        }
        assert.equal(tk.kc.lockState, state);
      });

      for (const { name, value } of CLASSES) {
        for (const viaAc of [false, true]) {
          const available = AVAILABLE[state].has(value);
          const label = `${name}${viaAc ? ' (carried by SecAccessControlCreateWithFlags)' : ''}`;
          const want = available ? 'works' : 'errSecInteractionNotAllowed';

          it(`${label}: Copy — "If you attempt to access a keychain item whose key material is unavailable, SecItemCopyMatching fails with errSecInteractionNotAllowed" (${want})`, () => {
            const outcome = app.SecItemCopyMatching(genp(svc(value, viaAc), 'existing', { [kSecReturnData]: true }));
            if (available) {
              sameBytes(ok(outcome), `secret-${value}`);
            } else {
              expectOutcome(outcome, errSecInteractionNotAllowed);
              assert.equal(outcome.result, undefined, 'no result');
              // "Attribute-only queries also need the class key"
              expectOutcome(app.SecItemCopyMatching(genp(svc(value, viaAc), 'existing', { [kSecReturnAttributes]: true })), errSecInteractionNotAllowed, 'attributes only');
            }
          });

          it(`${label}: Add — "If you attempt to add a keychain item whose key material is unavailable, SecItemAdd fails with errSecInteractionNotAllowed" (${want})`, () => {
            const outcome = app.SecItemAdd(genpWithData(svc(value, viaAc), 'new', 'fresh', protectionAttrs(value, viaAc)));
            expectOutcome(outcome, available ? errSecSuccess : errSecInteractionNotAllowed);
          });

          it(`${label}: Add of a duplicate — "Locked class key → errSecInteractionNotAllowed (-25308), even for duplicate adds" (${available ? 'errSecDuplicateItem' : want})`, () => {
            const outcome = app.SecItemAdd(genpWithData(svc(value, viaAc), 'existing', 'dup', protectionAttrs(value, viaAc)));
            expectOutcome(outcome, available ? errSecDuplicateItem : errSecInteractionNotAllowed);
          });

          it(`${label}: Update — "If you attempt to update a keychain item whose key material is unavailable, SecItemUpdate fails with errSecInteractionNotAllowed" (${want})`, () => {
            const status = app.SecItemUpdate(genp(svc(value, viaAc), 'existing'), { [kSecAttrLabel]: 'updated', [kSecValueData]: utf8('changed') });
            expectStatus(status, available ? errSecSuccess : errSecInteractionNotAllowed);
          });

          it(`${label}: Delete — "Deleting a keychain item, using SecItemDelete, doesn't require its key material, and thus a delete will succeed when the item is otherwise unavailable"`, () => {
            expectStatus(app.SecItemDelete(genp(svc(value, viaAc))), errSecSuccess);
          });
        }
      }

      it('after unlocking, every item deleted in this state is really gone, and adds refused in this state stored nothing', () => {
        ensureUnlocked(tk);
        app = tk.client();
        for (const { value } of CLASSES) {
          for (const viaAc of [false, true]) {
            expectOutcome(app.SecItemCopyMatching(genp(svc(value, viaAc))), errSecItemNotFound, `${value} ${viaAc ? 'accc' : 'pdmn'}`);
          }
        }
      });
    });
  }
});

describe('changing the protection class (reference §4.7: "kSecAttrAccessible is an ordinary (non-PK) attribute and can be updated too")', () => {
  let tk: TempKeychain;
  let app: Client;
  before(() => {
    tk = new TempKeychain(PASSCODE);
    app = tk.client();
  });
  after(() => tk.cleanup());

  it('SecItemUpdate from kSecAttrAccessibleWhenUnlocked to kSecAttrAccessibleAlways makes the item readable while locked', () => {
    ensureUnlocked(tk);
    const s = unique('ak2dk');
    ok(app.SecItemAdd(genpWithData(s, 'a', 'now-always')));
    expectStatus(app.SecItemUpdate(genp(s, 'a'), { [kSecAttrAccessible]: kSecAttrAccessibleAlways }), errSecSuccess);
    const attrs = dict(ok(app.SecItemCopyMatching(genp(s, 'a', { [kSecReturnAttributes]: true }))));
    assert.equal(attrs[kSecAttrAccessible], kSecAttrAccessibleAlways);
    expectStatus(tk.kc.lock(), errSecSuccess);
    sameBytes(ok(app.SecItemCopyMatching(genp(s, 'a', { [kSecReturnData]: true }))), 'now-always');
  });

  it('SecItemUpdate from kSecAttrAccessibleAlways to kSecAttrAccessibleWhenUnlocked makes it unreadable while locked (and delete still works)', () => {
    ensureUnlocked(tk);
    const s = unique('dk2ak');
    ok(app.SecItemAdd(genpWithData(s, 'a', 'p', { [kSecAttrAccessible]: kSecAttrAccessibleAlways })));
    expectStatus(app.SecItemUpdate(genp(s, 'a'), { [kSecAttrAccessible]: kSecAttrAccessibleWhenUnlocked }), errSecSuccess);
    expectStatus(tk.kc.lock(), errSecSuccess);
    expectOutcome(app.SecItemCopyMatching(genp(s, 'a', { [kSecReturnData]: true })), errSecInteractionNotAllowed);
    expectStatus(app.SecItemDelete(genp(s, 'a')), errSecSuccess);
    ensureUnlocked(tk);
    expectOutcome(app.SecItemCopyMatching(genp(s, 'a')), errSecItemNotFound);
  });

  it('"kSecAttrAccessControl can be changed by SecItemUpdate": an access control carrying AfterFirstUnlock re-protects the item', () => {
    ensureUnlocked(tk);
    const s = unique('accc-upd');
    ok(app.SecItemAdd(genpWithData(s, 'a', 'via-accc')));
    expectStatus(app.SecItemUpdate(genp(s, 'a'), { [kSecAttrAccessControl]: accessControl(kSecAttrAccessibleAfterFirstUnlock) }), errSecSuccess);
    const attrs = dict(ok(app.SecItemCopyMatching(genp(s, 'a', { [kSecReturnAttributes]: true }))));
    assert.equal(attrs[kSecAttrAccessible], kSecAttrAccessibleAfterFirstUnlock);
    expectStatus(tk.kc.lock(), errSecSuccess);
    sameBytes(ok(app.SecItemCopyMatching(genp(s, 'a', { [kSecReturnData]: true }))), 'via-accc');
  });

  it('"embed the access level within a SecAccessControl object and apply that using the kSecAttrAccessControl attribute": the item reports that kSecAttrAccessible', () => {
    ensureUnlocked(tk);
    const s = unique('accc-add');
    const d = dict(ok(app.SecItemAdd(genpWithData(s, 'a', 'p', { [kSecAttrAccessControl]: accessControl(kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly), [kSecReturnAttributes]: true }))));
    assert.equal(d[kSecAttrAccessible], kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly);
  });

  it('"If both are given and the resulting access-control objects differ → errSecItemIllegalQuery (-50)"; an invalid protection → errSecParam', () => {
    ensureUnlocked(tk);
    const s = unique('conflict');
    expectOutcome(
      app.SecItemAdd(genpWithData(s, 'a', 'p', { [kSecAttrAccessible]: kSecAttrAccessibleWhenUnlocked, [kSecAttrAccessControl]: accessControl(kSecAttrAccessibleAlways) })),
      errSecParam,
      'conflicting pdmn and accc',
    );
    expectOutcome(app.SecItemAdd(genpWithData(s, 'a', 'p', { [kSecAttrAccessible]: 'zz' })), errSecParam, 'unknown kSecAttrAccessible value');
    expectOutcome(app.SecItemAdd(genpWithData(s, 'a', 'p', { [kSecAttrAccessControl]: 'string' })), errSecParam, '"Add/Delete {..., accc: "string"}" → Param (§7 #52)');
    expectStatus(app.SecItemDelete(genp(s, 'a', { [kSecAttrAccessControl]: 'string' })), errSecParam, 'delete with a string accc');
    expectOutcome(app.SecItemCopyMatching(genp(s, 'a')), errSecItemNotFound, 'nothing stored');
    const bad = SecAccessControlCreateWithFlags('zz' as Protection, 0);
    assert.equal(bad.accessControl, undefined, '"Any other value → SecAccessControlSetProtection fails with errSecParam"');
    assert.ok(bad.error !== undefined, 'an error is reported');
  });

  it('a bulk update over a WhenUnlocked and an Always item while locked fails with errSecInteractionNotAllowed and changes neither (atomic)', () => {
    ensureUnlocked(tk);
    const s = unique('mixed');
    ok(app.SecItemAdd(genpWithData(s, 'locked-one', 'p1', { [kSecAttrAccessible]: kSecAttrAccessibleWhenUnlocked, [kSecAttrLabel]: 'before' })));
    ok(app.SecItemAdd(genpWithData(s, 'always-one', 'p2', { [kSecAttrAccessible]: kSecAttrAccessibleAlways, [kSecAttrLabel]: 'before' })));
    expectStatus(tk.kc.lock(), errSecSuccess);
    expectStatus(app.SecItemUpdate(genp(s), { [kSecAttrLabel]: 'after' }), errSecInteractionNotAllowed);
    ensureUnlocked(tk);
    const all = array(ok(app.SecItemCopyMatching(genp(s, undefined, { [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnAttributes]: true }))));
    assert.equal(all.length, 2);
    for (const d of all) assert.equal(dict(d)[kSecAttrLabel], 'before', `${String(dict(d)[kSecAttrAccount])} unchanged`);
  });
});

describe('passcode set, change, removal, wrong passcode and restart', () => {
  let tk: TempKeychain;
  let app: Client;
  const NEXT = 'second passcode 5678';
  const THIRD = 'third 9999';
  const s = unique('passcode');
  before(() => {
    tk = new TempKeychain(PASSCODE);
    app = tk.client();
    ok(app.SecItemAdd(genpWithData(s, 'ak', 'ak-secret')));
    ok(app.SecItemAdd(genpWithData(s, 'ck', 'ck-secret', { [kSecAttrAccessible]: kSecAttrAccessibleAfterFirstUnlock })));
    ok(app.SecItemAdd(genpWithData(s, 'dk', 'dk-secret', { [kSecAttrAccessible]: kSecAttrAccessibleAlways })));
    ok(app.SecItemAdd(genpWithData(s, 'akpu', 'akpu-secret', { [kSecAttrAccessible]: kSecAttrAccessibleWhenPasscodeSetThisDeviceOnly })));
  });
  after(() => tk.cleanup());

  const read = (acct: string): { status: number; result?: unknown } => app.SecItemCopyMatching(genp(s, acct, { [kSecReturnData]: true }));

  it('lock() drops WhenUnlocked keys; "wrong passcode gives errSecAuthFailed" from unlock and the keychain stays locked', () => {
    expectStatus(tk.kc.lock(), errSecSuccess);
    assert.equal(tk.kc.lockState, 'locked');
    expectStatus(tk.kc.unlock('not the passcode'), errSecAuthFailed);
    assert.equal(tk.kc.lockState, 'locked');
    expectOutcome(read('ak'), errSecInteractionNotAllowed);
    sameBytes(ok(read('ck')), 'ck-secret');
    expectStatus(tk.kc.unlock(PASSCODE), errSecSuccess);
    assert.equal(tk.kc.lockState, 'unlocked');
    sameBytes(ok(read('ak')), 'ak-secret');
  });

  it('setPasscode with a wrong current passcode → errSecAuthFailed and the passcode is unchanged', () => {
    expectStatus(tk.kc.setPasscode('wrong', NEXT), errSecAuthFailed);
    expectStatus(tk.kc.lock(), errSecSuccess);
    expectStatus(tk.kc.unlock(NEXT), errSecAuthFailed, 'the proposed passcode was not set');
    expectStatus(tk.kc.unlock(PASSCODE), errSecSuccess);
  });

  it('changing the passcode keeps every item; afterwards only the new passcode unlocks', () => {
    expectStatus(tk.kc.setPasscode(PASSCODE, NEXT), errSecSuccess);
    assert.equal(tk.kc.hasPasscode, true);
    expectStatus(tk.kc.lock(), errSecSuccess);
    expectStatus(tk.kc.unlock(PASSCODE), errSecAuthFailed, 'old passcode');
    expectStatus(tk.kc.unlock(NEXT), errSecSuccess, 'new passcode');
    for (const acct of ['ak', 'ck', 'dk', 'akpu']) sameBytes(ok(read(acct)), `${acct}-secret`, acct);
  });

  it('"closing and opening again is a restart: before first unlock": AfterFirstUnlock unavailable until the first unlock, Always available', () => {
    tk.reopen();
    app = tk.client();
    assert.equal(tk.kc.lockState, 'beforeFirstUnlock');
    assert.equal(tk.kc.hasPasscode, true);
    expectOutcome(read('ck'), errSecInteractionNotAllowed, '"It\'s possible that your app might end up running before first unlock"');
    expectOutcome(read('ak'), errSecInteractionNotAllowed);
    sameBytes(ok(read('dk')), 'dk-secret');
    expectStatus(tk.kc.unlock('wrong'), errSecAuthFailed);
    assert.equal(tk.kc.lockState, 'beforeFirstUnlock');
    expectStatus(tk.kc.unlock(NEXT), errSecSuccess);
    assert.equal(tk.kc.lockState, 'unlocked');
    expectStatus(tk.kc.lock(), errSecSuccess);
    assert.equal(tk.kc.lockState, 'locked');
    sameBytes(ok(read('ck')), 'ck-secret', '"remains available until the device restarts"');
    expectStatus(tk.kc.unlock(NEXT), errSecSuccess);
  });

  it('openKeychain on an existing keychain with a wrong passcode throws SecError(errSecAuthFailed); the right one opens it unlocked', () => {
    tk.kc.close();
    assert.throws(
      () => openKeychain({ path: tk.path, passcode: 'definitely wrong' }),
      (e: unknown) => e instanceof SecError && e.status === errSecAuthFailed,
    );
    tk.kc = openKeychain({ path: tk.path, passcode: NEXT });
    app = tk.client();
    assert.equal(tk.kc.lockState, 'unlocked');
    sameBytes(ok(read('ak')), 'ak-secret');
  });

  it('"removing it destroys WhenPasscodeSet items": akpu copy → errSecItemNotFound, akpu add → errSecNotAvailable, the other items survive and the keychain is always unlocked', () => {
    expectStatus(tk.kc.setPasscode('wrong', null), errSecAuthFailed, 'removal needs the current passcode');
    expectStatus(tk.kc.setPasscode(NEXT, null), errSecSuccess);
    assert.equal(tk.kc.hasPasscode, false);
    assert.equal(tk.kc.lockState, 'unlocked');
    expectOutcome(read('akpu'), errSecItemNotFound, '"akpu after passcode removal: CopyMatching → errSecItemNotFound"');
    expectOutcome(
      app.SecItemAdd(genpWithData(s, 'akpu2', 'x', { [kSecAttrAccessible]: kSecAttrAccessibleWhenPasscodeSetThisDeviceOnly })),
      errSecNotAvailable,
      '"Add → errSecNotAvailable (-25291)"',
    );
    for (const acct of ['ak', 'ck', 'dk']) sameBytes(ok(read(acct)), `${acct}-secret`, acct);
    tk.kc.lock();
    assert.equal(tk.kc.lockState, 'unlocked', '"No passcode set: always unlocked"');
    tk.reopen();
    app = tk.client();
    assert.equal(tk.kc.lockState, 'unlocked', 'a restart without a passcode is unlocked');
    sameBytes(ok(read('ak')), 'ak-secret');
    expectOutcome(read('akpu'), errSecItemNotFound);
  });

  it('"(passcode set again) Add" of a WhenPasscodeSet item → "ok" (§7 #49)', () => {
    expectStatus(tk.kc.setPasscode(null, THIRD), errSecSuccess);
    assert.equal(tk.kc.hasPasscode, true);
    ok(app.SecItemAdd(genpWithData(s, 'akpu3', 'back', { [kSecAttrAccessible]: kSecAttrAccessibleWhenPasscodeSetThisDeviceOnly })));
    sameBytes(ok(read('akpu3')), 'back');
    expectOutcome(read('akpu'), errSecItemNotFound, 'the destroyed item does not come back');
    expectStatus(tk.kc.lock(), errSecSuccess);
    expectOutcome(read('akpu3'), errSecInteractionNotAllowed);
    expectStatus(tk.kc.unlock(THIRD), errSecSuccess);
    sameBytes(ok(read('ak')), 'ak-secret');
  });
});

describe('a keychain without a passcode', () => {
  let tk: TempKeychain;
  before(() => {
    tk = new TempKeychain();
  });
  after(() => tk.cleanup());

  it('"No passcode set: always unlocked, and WhenPasscodeSet items cannot be added" (errSecNotAvailable)', () => {
    assert.equal(tk.kc.hasPasscode, false);
    assert.equal(tk.kc.lockState, 'unlocked');
    const app = tk.client();
    const s = unique('nopass');
    expectOutcome(
      app.SecItemAdd(genpWithData(s, 'a', 'p', { [kSecAttrAccessible]: kSecAttrAccessibleWhenPasscodeSetThisDeviceOnly })),
      errSecNotAvailable,
    );
    expectOutcome(app.SecItemCopyMatching(genp(s, 'a')), errSecItemNotFound);
    ok(app.SecItemAdd(genpWithData(s, 'b', 'p')));
    tk.reopen();
    assert.equal(tk.kc.lockState, 'unlocked');
    sameBytes(ok(tk.client().SecItemCopyMatching(genp(s, 'b', { [kSecReturnData]: true }))), 'p');
  });
});
