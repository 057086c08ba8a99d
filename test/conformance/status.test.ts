/**
 * OSStatus numbers and messages (reference §3) and the secCall helper (seed
 * "SecItem: Pitfalls and Best Practices" — "I use my secCall(…) helpers to
 * simplify error handling").
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  SecCopyErrorMessageString,
  SecError,
  secCall,
  kSecClass,
  kSecClassGenericPassword,
  kSecReturnData,
  kSecReturnAttributes,
  kSecMatchLimit,
  kSecMatchLimitAll,
  kSecAttrAccount,
  kSecAttrLabel,
  errSecSuccess,
  errSecUnimplemented,
  errSecParam,
  errSecAllocate,
  errSecUserCanceled,
  errSecInternalComponent,
  errSecNotAvailable,
  errSecAuthFailed,
  errSecNoSuchKeychain,
  errSecDuplicateItem,
  errSecItemNotFound,
  errSecNoSuchAttr,
  errSecInvalidItemRef,
  errSecNoSuchClass,
  errSecInteractionNotAllowed,
  errSecInvalidOwnerEdit,
  errSecUnsupportedFormat,
  errSecPkcs12VerifyFailure,
  errSecDecode,
  errSecMissingEntitlement,
  errSecRestrictedAPI,
  errSecCSReqFailed,
  errSecInvalidKeychain,
} from '../../src/index.js';
import { TempKeychain, type Client, genp, genpWithData, dict, array, text } from '../helpers.js';

describe('OSStatus codes "with Apple\'s numbers and messages" (reference §3)', () => {
  const table: [string, number, number, string][] = [
    ['errSecSuccess', errSecSuccess, 0, 'No error.'],
    ['errSecUnimplemented', errSecUnimplemented, -4, 'Function or operation not implemented.'],
    ['errSecParam', errSecParam, -50, 'One or more parameters passed to a function were not valid.'],
    ['errSecAllocate', errSecAllocate, -108, 'Failed to allocate memory.'],
    ['errSecUserCanceled', errSecUserCanceled, -128, 'User canceled the operation.'],
    ['errSecNotAvailable', errSecNotAvailable, -25291, 'No keychain is available. You may need to restart your computer.'],
    ['errSecAuthFailed', errSecAuthFailed, -25293, 'The user name or passphrase you entered is not correct.'],
    ['errSecNoSuchKeychain', errSecNoSuchKeychain, -25294, 'The specified keychain could not be found.'],
    ['errSecDuplicateItem', errSecDuplicateItem, -25299, 'The specified item already exists in the keychain.'],
    ['errSecItemNotFound', errSecItemNotFound, -25300, 'The specified item could not be found in the keychain.'],
    ['errSecNoSuchAttr', errSecNoSuchAttr, -25303, 'The specified attribute does not exist.'],
    ['errSecInvalidItemRef', errSecInvalidItemRef, -25304, 'The specified item is no longer valid. It may have been deleted from the keychain.'],
    ['errSecNoSuchClass', errSecNoSuchClass, -25306, 'The specified item does not appear to be a valid keychain item.'],
    ['errSecInteractionNotAllowed', errSecInteractionNotAllowed, -25308, 'User interaction is not allowed.'],
    ['errSecInvalidOwnerEdit', errSecInvalidOwnerEdit, -25244, 'Invalid attempt to change the owner of this item.'],
    ['errSecUnsupportedFormat', errSecUnsupportedFormat, -25256, 'Import/Export format unsupported.'],
    ['errSecPkcs12VerifyFailure', errSecPkcs12VerifyFailure, -25264, 'MAC verification failed during PKCS12 import (wrong password?)'],
    ['errSecDecode', errSecDecode, -26275, 'Unable to decode the provided data.'],
    ['errSecMissingEntitlement', errSecMissingEntitlement, -34018, "A required entitlement isn't present."],
    ['errSecRestrictedAPI', errSecRestrictedAPI, -34020, 'Client is restricted and is not permitted to perform this operation.'],
    ['errSecCSReqFailed', errSecCSReqFailed, -67050, 'code failed to satisfy specified code requirement(s)'],
  ];
  for (const [name, value, number, message] of table) {
    it(`${name} = ${number}: SecCopyErrorMessageString → "${message}"`, () => {
      assert.equal(value, number);
      assert.equal(SecCopyErrorMessageString(value), message);
    });
  }

  it('errSecInternalComponent = -2070 (no trailing comment in SecBase.h; any non-empty message)', () => {
    assert.equal(errSecInternalComponent, -2070);
    assert.ok(SecCopyErrorMessageString(errSecInternalComponent).length > 0);
  });

  it('errSecInvalidKeychain = -25295 (Apple\'s number) has a message', () => {
    assert.equal(errSecInvalidKeychain, -25295);
    assert.ok(SecCopyErrorMessageString(errSecInvalidKeychain).length > 0);
  });
});

describe('secCall "in the spirit of the seed\'s secCall helper"', () => {
  let tk: TempKeychain;
  let app: Client;
  before(() => {
    tk = new TempKeychain();
    app = tk.client();
  });
  after(() => tk.cleanup());

  it('returns the result of a successful call: "let itemDicts = try secCall { SecItemCopyMatching([... kSecMatchLimitAll, kSecReturnAttributes: true ...]) }"', () => {
    secCall(() => app.SecItemAdd(genpWithData('seccall', 'a', 'opendoor')));
    const data = secCall(() => app.SecItemCopyMatching(genp('seccall', 'a', { [kSecReturnData]: true })));
    assert.equal(text(data), 'opendoor');
    const itemDicts = array(secCall(() => app.SecItemCopyMatching({ [kSecClass]: kSecClassGenericPassword, [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnAttributes]: true })));
    assert.ok(itemDicts.some((d) => dict(d)[kSecAttrAccount] === 'a'));
    assert.equal(secCall(() => app.SecItemUpdate(genp('seccall', 'a'), { [kSecAttrLabel]: 'l' })), undefined);
  });

  it('throws SecError whose .status is the OSStatus, with Apple\'s message', () => {
    assert.throws(
      () => secCall(() => app.SecItemCopyMatching(genp('seccall-missing', 'a', { [kSecReturnData]: true }))),
      (e: unknown) => e instanceof SecError && e.status === errSecItemNotFound && e.message.startsWith(SecCopyErrorMessageString(errSecItemNotFound)),
    );
    assert.throws(
      () => secCall(() => app.SecItemAdd(genpWithData('seccall', 'a', 'again'))),
      (e: unknown) => e instanceof SecError && e.status === errSecDuplicateItem,
    );
    assert.throws(
      () => secCall(() => app.SecItemDelete(genp('seccall-missing'))),
      (e: unknown) => e instanceof SecError && e.status === errSecItemNotFound && e instanceof Error,
    );
  });
});

describe('"bad input ... answers a precise status, never an exception from inside"', () => {
  let tk: TempKeychain;
  let app: Client;
  before(() => {
    tk = new TempKeychain();
    app = tk.client();
  });
  after(() => tk.cleanup());

  it('odd dictionaries and values give an OSStatus, not a thrown exception', () => {
    const odd: Record<string, unknown>[] = [
      {},
      { [kSecClass]: 42 },
      { [kSecClass]: null },
      { [kSecClass]: kSecClassGenericPassword, acct: null },
      { [kSecClass]: kSecClassGenericPassword, acct: undefined },
      { [kSecClass]: kSecClassGenericPassword, acct: { nested: true } },
      { [kSecClass]: kSecClassGenericPassword, acct: ['array'] },
      { [kSecClass]: kSecClassGenericPassword, acct: Symbol('s') },
      { [kSecClass]: kSecClassGenericPassword, port: 1 },
      { [kSecClass]: kSecClassGenericPassword, m_Limit: -5 },
      { [kSecClass]: kSecClassGenericPassword, m_Limit: 1.5 },
      { [kSecClass]: kSecClassGenericPassword, v_PersistentRef: new Uint8Array(20) },
      { [kSecClass]: kSecClassGenericPassword, '': 1 },
      { [kSecClass]: kSecClassGenericPassword, x: 1 },
      { [kSecClass]: kSecClassGenericPassword, type: 'not-a-number-string' },
    ];
    for (const d of odd) {
      for (const call of [
        () => app.SecItemAdd(d).status,
        () => app.SecItemCopyMatching(d).status,
        () => app.SecItemUpdate(d, { labl: 'x' }),
        () => app.SecItemUpdate(genp('odd'), d),
        () => app.SecItemDelete(d),
      ]) {
        let status: number | undefined;
        assert.doesNotThrow(() => {
          status = call();
        }, `dictionary ${Object.keys(d).join(',')}`);
        assert.equal(typeof status, 'number');
        assert.notEqual(status, errSecInternalComponent, `dictionary ${Object.keys(d).join(',')}: an internal failure, not a precise status`);
      }
    }
  });
});
