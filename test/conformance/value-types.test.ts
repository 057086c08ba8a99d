/**
 * Which dictionary kind accepts which property group, and the value type
 * properties (seed "SecItem: Fundamentals" — Inputs, Value Type Subtleties;
 * reference §4.4, §7 #19, #51, #64; the deliberate deviation for
 * SecItemAdd with match keys or kSecUseItemList).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  kSecClass,
  kSecClassGenericPassword,
  kSecClassInternetPassword,
  kSecAttrLabel,
  kSecAttrAccount,
  kSecValueData,
  kSecValuePersistentRef,
  kSecReturnData,
  kSecReturnAttributes,
  kSecReturnPersistentRef,
  kSecReturnRef,
  kSecMatchLimit,
  kSecMatchLimitOne,
  kSecMatchLimitAll,
  kSecMatchCaseInsensitive,
  kSecUseItemList,
  errSecSuccess,
  errSecItemNotFound,
  errSecParam,
  errSecNoSuchAttr,
} from '../../src/index.js';
import {
  TempKeychain,
  type Client,
  genp,
  genpWithData,
  unique,
  utf8,
  ok,
  expectOutcome,
  expectStatus,
  bytes,
  sameBytes,
  array,
} from '../helpers.js';

let tk: TempKeychain;
let app: Client;

before(() => {
  tk = new TempKeychain();
  app = tk.client();
});
after(() => tk.cleanup());

function password(svce: string, acct = 'a'): string {
  const outcome = app.SecItemCopyMatching(genp(svce, acct, { [kSecReturnData]: true }));
  expectStatus(outcome.status, errSecSuccess, 'reading the password back');
  return Buffer.from(bytes(outcome.result)).toString('utf8');
}

describe('kSecValueData "semantics vary based on the dictionary type"', () => {
  it('"In an add dictionary, this is the value of the item to add"', () => {
    const s = unique('vd-add');
    ok(app.SecItemAdd(genpWithData(s, 'a', 'stored-value')));
    assert.equal(password(s), 'stored-value');
  });

  it('"This is not supported in a query dictionary": kSecValueData in a query is "ignored for matching (not a WHERE condition)"', () => {
    const s = unique('vd-query');
    ok(app.SecItemAdd(genpWithData(s, 'a', 'real')));
    sameBytes(ok(app.SecItemCopyMatching(genp(s, 'a', { [kSecValueData]: utf8('not-the-password'), [kSecReturnData]: true }))), 'real');
    expectStatus(app.SecItemUpdate(genp(s, 'a', { [kSecValueData]: utf8('also-wrong') }), { [kSecAttrLabel]: 'x' }), errSecSuccess, 'update query');
    expectStatus(app.SecItemDelete(genp(s, 'a', { [kSecValueData]: utf8('wrong-again') })), errSecSuccess, 'delete query');
    expectOutcome(app.SecItemCopyMatching(genp(s, 'a')), errSecItemNotFound);
  });

  it('"In an update dictionary, this is the new value for the item"', () => {
    const s = unique('vd-update');
    ok(app.SecItemAdd(genpWithData(s, 'a', 'old')));
    expectStatus(app.SecItemUpdate(genp(s, 'a'), { [kSecValueData]: utf8('new') }), errSecSuccess);
    assert.equal(password(s), 'new');
  });

  it('"v_Data must be CFData (else -50)": a string kSecValueData in add and update → errSecParam; "Update(query, {v_Data: NULL}) / {v_Data: CFString}" → "Param / Param" (§7 #19)', () => {
    const s = unique('vd-type');
    expectOutcome(app.SecItemAdd(genp(s, 'a', { [kSecValueData]: 'a string password' })), errSecParam, 'add with a string');
    expectOutcome(app.SecItemCopyMatching(genp(s, 'a')), errSecItemNotFound, 'nothing stored');
    ok(app.SecItemAdd(genpWithData(s, 'a', 'dankeen')));
    expectStatus(app.SecItemUpdate(genp(s, 'a'), { [kSecValueData]: utf8('new data') }), errSecSuccess, 'update with data');
    expectStatus(app.SecItemUpdate(genp(s, 'a'), { [kSecValueData]: null }), errSecParam, 'update with null');
    expectStatus(app.SecItemUpdate(genp(s, 'a'), { [kSecValueData]: 'string' }), errSecParam, 'update with a string');
    expectStatus(app.SecItemUpdate(genp(s, 'a'), { [kSecValueData]: 42 }), errSecParam, 'update with a number');
    assert.equal(password(s), 'new data', 'the failing updates changed nothing');
  });
});

describe('kSecValuePersistentRef "is not supported in add and update dictionaries"', () => {
  it('"v_PersistentRef ... in SecItemAdd" → errSecParam (and nothing is stored)', () => {
    const s = unique('pr-add');
    const pref = bytes(ok(app.SecItemAdd(genpWithData(s, 'a', 'p', { [kSecReturnPersistentRef]: true }))));
    const s2 = unique('pr-add2');
    expectOutcome(app.SecItemAdd(genpWithData(s2, 'a', 'p', { [kSecValuePersistentRef]: pref })), errSecParam);
    expectOutcome(app.SecItemCopyMatching(genp(s2, 'a')), errSecItemNotFound);
  });

  it('"every key except v_Data is treated as an attribute, so class, ... v_PersistentRef ... in attributesToUpdate give errSecNoSuchAttr"', () => {
    const s = unique('pr-upd');
    const pref = bytes(ok(app.SecItemAdd(genpWithData(s, 'a', 'p', { [kSecReturnPersistentRef]: true }))));
    expectStatus(app.SecItemUpdate(genp(s, 'a'), { [kSecValuePersistentRef]: pref }), errSecNoSuchAttr, 'v_PersistentRef');
    expectStatus(app.SecItemUpdate(genp(s, 'a'), { [kSecClass]: kSecClassInternetPassword }), errSecNoSuchAttr, '"kSecClass cannot be changed"');
    expectStatus(app.SecItemUpdate(genp(s, 'a'), { [kSecReturnData]: true }), errSecNoSuchAttr, 'r_Data');
    expectStatus(app.SecItemUpdate(genp(s, 'a'), { [kSecMatchLimit]: kSecMatchLimitAll }), errSecNoSuchAttr, 'm_Limit');
    // The item is unchanged and still a generic password.
    assert.equal(password(s), 'p');
  });
});

describe('"The first parameter of SecItemUpdate is a pure query dictionary. It supports all property groups except the return type properties"', () => {
  it('"any r_* return key ... SecItemUpdate (query) ... -50 each" (§4.4, §7 #51)', () => {
    const s = unique('upd-r');
    ok(app.SecItemAdd(genpWithData(s, 'a', 'p')));
    for (const key of [kSecReturnData, kSecReturnAttributes, kSecReturnPersistentRef, kSecReturnRef]) {
      expectStatus(app.SecItemUpdate(genp(s, 'a', { [key]: true }), { [kSecAttrLabel]: 'x' }), errSecParam, key);
    }
  });

  it('"any m_* match key ... SecItemUpdate (query) **-50**": kSecMatchLimit and kSecMatchCaseInsensitive in an update query → errSecParam', () => {
    const s = unique('upd-m');
    ok(app.SecItemAdd(genpWithData(s, 'a', 'p')));
    expectStatus(app.SecItemUpdate(genp(s, 'a', { [kSecMatchLimit]: kSecMatchLimitOne }), { [kSecAttrLabel]: 'x' }), errSecParam, 'limit one');
    expectStatus(app.SecItemUpdate(genp(s, 'a', { [kSecMatchLimit]: kSecMatchLimitAll }), { [kSecAttrLabel]: 'x' }), errSecParam, 'limit all');
    expectStatus(app.SecItemUpdate(genp(s, 'a', { [kSecMatchCaseInsensitive]: true }), { [kSecAttrLabel]: 'x' }), errSecParam, 'case insensitive');
    expectStatus(app.SecItemUpdate(genp(s, 'a', { [kSecUseItemList]: [] }), { [kSecAttrLabel]: 'x' }), errSecParam, 'u_ItemList');
    // Nothing changed.
    expectOutcome(app.SecItemCopyMatching(genp(s, 'a', { [kSecAttrLabel]: 'x' })), errSecItemNotFound);
  });
});

describe('SecItemDelete "Likewise for the only parameter of SecItemDelete"', () => {
  it('"SecItemDelete ... any m_* match key ... -50": kSecMatchLimit (one or all) and kSecMatchCaseInsensitive → errSecParam, nothing deleted', () => {
    const s = unique('del-m');
    ok(app.SecItemAdd(genpWithData(s, 'a', 'p')));
    expectStatus(app.SecItemDelete(genp(s, 'a', { [kSecMatchLimit]: kSecMatchLimitOne })), errSecParam, 'limit one');
    expectStatus(app.SecItemDelete(genp(s, 'a', { [kSecMatchLimit]: kSecMatchLimitAll })), errSecParam, 'limit all');
    expectStatus(app.SecItemDelete(genp(s, 'a', { [kSecMatchLimit]: 5 })), errSecParam, 'limit 5');
    expectStatus(app.SecItemDelete(genp(s, 'a', { [kSecMatchCaseInsensitive]: true })), errSecParam, 'case insensitive');
    assert.equal(password(s), 'p', 'the item survived');
  });

  it('"Delete with r_Data: true in the query" → "ok" — return keys are ignored by SecItemDelete (§4.4, §7 #64)', () => {
    const s = unique('del-r');
    ok(app.SecItemAdd(genpWithData(s, 'a', 'p')));
    expectStatus(app.SecItemDelete(genp(s, 'a', { [kSecReturnData]: true })), errSecSuccess);
    expectOutcome(app.SecItemCopyMatching(genp(s, 'a')), errSecItemNotFound);
  });
});

describe('"The first parameter of SecItemAdd is an add dictionary. It supports all property groups except the search properties"', () => {
  it('a kSecMatch* key or kSecUseItemList in SecItemAdd → errSecParam and nothing is stored ("this keychain never says success for data it did not keep")', () => {
    const cases: [string, Record<string, unknown>][] = [
      ['kSecMatchLimit one', { [kSecMatchLimit]: kSecMatchLimitOne }],
      ['kSecMatchLimit all', { [kSecMatchLimit]: kSecMatchLimitAll }],
      ['kSecMatchCaseInsensitive', { [kSecMatchCaseInsensitive]: true }],
      ['kSecUseItemList', { [kSecUseItemList]: [] }],
    ];
    for (const [what, extra] of cases) {
      const s = unique('add-m');
      expectOutcome(app.SecItemAdd(genpWithData(s, 'a', 'p', extra)), errSecParam, what);
      expectOutcome(app.SecItemCopyMatching(genp(s, 'a')), errSecItemNotFound, `${what}: nothing stored`);
    }
  });

  it('"The first parameter of SecItemCopyMatching is a query and return dictionary. It supports all property groups": attribute, search, return and value keys together', () => {
    const s = unique('all-groups');
    ok(app.SecItemAdd(genpWithData(s, 'a', 'pw')));
    const arr = array(ok(app.SecItemCopyMatching({
      [kSecClass]: kSecClassGenericPassword,
      svce: s,
      [kSecAttrAccount]: 'a',
      [kSecMatchLimit]: kSecMatchLimitAll,
      [kSecReturnData]: true,
      [kSecValueData]: utf8('ignored'),
    })));
    assert.equal(arr.length, 1);
    sameBytes(arr[0], 'pw');
  });

  it('"kSecReturnData is a return type property and it makes no sense to pass it to a SecItemAdd call whose second parameter is nil. ... This specific example will work"', () => {
    const s = unique('reuse');
    const d = genp(s, 'mrgumby', { [kSecReturnData]: true });
    expectOutcome(app.SecItemCopyMatching(d), errSecItemNotFound);
    const add = { ...d, [kSecValueData]: utf8('opendoor') };
    const added = app.SecItemAdd(add);
    expectStatus(added.status, errSecSuccess);
    assert.equal(password(s, 'mrgumby'), 'opendoor');
  });
});
