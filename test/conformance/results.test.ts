/**
 * kSecMatchLimit defaults and numeric limits, return shapes, and the shape of
 * returned attribute dictionaries (seed "SecItem: Fundamentals" — Outputs;
 * "SecItem: Pitfalls and Best Practices" — Context Matters; reference §4.3,
 * §4.5.6, §4.16, §7 #5–#10, #27–#29, #55, #63).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  kSecClass,
  kSecClassGenericPassword,
  kSecClassInternetPassword,
  kSecAttrAccount,
  kSecAttrService,
  kSecAttrAccessGroup,
  kSecAttrAccessible,
  kSecAttrAccessibleWhenUnlocked,
  kSecAttrSynchronizable,
  kSecAttrCreationDate,
  kSecAttrModificationDate,
  kSecAttrLabel,
  kSecAttrPersistentReference,
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
  errSecSuccess,
  errSecItemNotFound,
} from '../../src/index.js';
import {
  TempKeychain,
  type Client,
  type Dict,
  genp,
  genpWithData,
  inet,
  unique,
  utf8,
  ok,
  expectOutcome,
  expectStatus,
  dict,
  array,
  bytes,
  date,
  sameBytes,
  text,
  APP_ID,
} from '../helpers.js';

let tk: TempKeychain;
let app: Client;

before(() => {
  tk = new TempKeychain();
  app = tk.client();
});
after(() => tk.cleanup());

/** Adds three items under one service (accounts a1..a3) and returns the service. */
function three(): string {
  const svce = unique('three');
  for (const n of [1, 2, 3]) ok(app.SecItemAdd(genpWithData(svce, `a${n}`, `p${n}`)), `add a${n}`);
  return svce;
}

function countAll(query: Dict): number {
  const outcome = app.SecItemCopyMatching({ ...query, [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnAttributes]: true });
  if (outcome.status === errSecItemNotFound) return 0;
  expectStatus(outcome.status, errSecSuccess, 'count query');
  return array(outcome.result).length;
}

describe('Context Matters: kSecMatchLimit defaults', () => {
  it('"In a query and return dictionary its default value is kSecMatchLimitOne ... SecItemCopyMatching returns at most one item"', () => {
    const svce = three();
    const one = ok(app.SecItemCopyMatching(genp(svce, undefined, { [kSecReturnAttributes]: true })));
    const d = dict(one, 'default limit returns a single dictionary, not an array');
    assert.ok(['a1', 'a2', 'a3'].includes(String(d[kSecAttrAccount])));
    const data = ok(app.SecItemCopyMatching(genp(svce, undefined, { [kSecReturnData]: true })));
    assert.ok(['p1', 'p2', 'p3'].includes(text(data)));
  });

  it('"In a pure query dictionary its default value is kSecMatchLimitAll ... SecItemDelete will delete all items that match your query"', () => {
    const svce = three();
    const other = unique('bystander');
    ok(app.SecItemAdd(genpWithData(other, 'a1', 'keep')));
    expectStatus(app.SecItemDelete(genp(svce)), errSecSuccess);
    assert.equal(countAll(genp(svce)), 0, 'all three deleted');
    assert.equal(countAll(genp(other)), 1, 'a non-matching item survives');
    expectStatus(app.SecItemDelete(genp(svce)), errSecItemNotFound, 'deleting again finds nothing');
  });

  it('"SecItemUpdate ... default limit unlimited": an update without kSecMatchLimit changes every matching item (reference §4.3, §4.7)', () => {
    const svce = three();
    expectStatus(app.SecItemUpdate(genp(svce), { [kSecAttrLabel]: 'bulk' }), errSecSuccess);
    assert.equal(countAll(genp(svce, undefined, { [kSecAttrLabel]: 'bulk' })), 3);
    expectStatus(app.SecItemUpdate(genp(unique('none')), { [kSecAttrLabel]: 'x' }), errSecItemNotFound, 'no match → not found');
  });
});

describe('numeric match limits (reference §4.3)', () => {
  it('"any other limit → a CFArray": kSecMatchLimit 2 over three matches gives an array of two', () => {
    const svce = three();
    const two = array(ok(app.SecItemCopyMatching(genp(svce, undefined, { [kSecMatchLimit]: 2, [kSecReturnData]: true }))));
    assert.equal(two.length, 2);
    for (const d of two) assert.ok(['p1', 'p2', 'p3'].includes(text(d)));
  });

  it('"CFNumber 0 produces LIMIT 0 → errSecItemNotFound"', () => {
    const svce = three();
    const outcome = app.SecItemCopyMatching(genp(svce, undefined, { [kSecMatchLimit]: 0, [kSecReturnData]: true }));
    expectOutcome(outcome, errSecItemNotFound);
    assert.equal(outcome.result, undefined);
  });

  it('"limit == 1 (kSecMatchLimitOne or number 1) → a single object"', () => {
    const svce = three();
    bytes(ok(app.SecItemCopyMatching(genp(svce, undefined, { [kSecMatchLimit]: 1, [kSecReturnData]: true }))));
    bytes(ok(app.SecItemCopyMatching(genp(svce, undefined, { [kSecMatchLimit]: kSecMatchLimitOne, [kSecReturnData]: true }))));
  });

  it('a limit above the number of matches returns all of them; kSecMatchLimitAll returns all', () => {
    const svce = three();
    assert.equal(array(ok(app.SecItemCopyMatching(genp(svce, undefined, { [kSecMatchLimit]: 10, [kSecReturnData]: true })))).length, 3);
    assert.equal(array(ok(app.SecItemCopyMatching(genp(svce, undefined, { [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnData]: true })))).length, 3);
  });

  it('"No match → errSecItemNotFound (-25300) (never an empty array)"', () => {
    const outcome = app.SecItemCopyMatching(genp(unique('nothing'), undefined, { [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnAttributes]: true }));
    expectOutcome(outcome, errSecItemNotFound);
    assert.equal(outcome.result, undefined);
  });
});

describe('Outputs: return shapes', () => {
  it('"For kSecReturnData you get back the keychain item\'s data": a single r_Data gives a Uint8Array', () => {
    const s = unique('rd');
    ok(app.SecItemAdd(genpWithData(s, 'a', 'opendoor')));
    const r = ok(app.SecItemCopyMatching(genp(s, 'a', { [kSecReturnData]: true })));
    sameBytes(r, 'opendoor');
  });

  it('"For kSecReturnPersistentRef you get back a data value that holds the persistent reference": 20 bytes, "4-byte class code + 16-byte UUID"', () => {
    const s = unique('rp');
    ok(app.SecItemAdd(genpWithData(s, 'a', 'p')));
    const pref = bytes(ok(app.SecItemCopyMatching(genp(s, 'a', { [kSecReturnPersistentRef]: true }))));
    assert.equal(pref.length, 20);
    assert.equal(Buffer.from(pref.subarray(0, 4)).toString('latin1'), 'genp');
    const srvr = `${s}.example.com`;
    ok(app.SecItemAdd(inet(srvr, 'a', { [kSecValueData]: utf8('p') })));
    const ipref = bytes(ok(app.SecItemCopyMatching(inet(srvr, 'a', { [kSecReturnPersistentRef]: true }))));
    assert.equal(ipref.length, 20);
    assert.equal(Buffer.from(ipref.subarray(0, 4)).toString('latin1'), 'inet');
  });

  it('"If you supply ... kSecReturnAttributes, you get back a dictionary" without v_Data, with acct, svce, agrp, pdmn, sync (number), cdat, mdat (Date)', () => {
    const s = unique('ra');
    ok(app.SecItemAdd(genpWithData(s, 'acct-ra', 'secret')));
    const d = dict(ok(app.SecItemCopyMatching(genp(s, 'acct-ra', { [kSecReturnAttributes]: true }))));
    assert.equal(d[kSecAttrAccount], 'acct-ra');
    assert.equal(d[kSecAttrService], s);
    assert.equal(d[kSecAttrAccessGroup], APP_ID);
    assert.equal(d[kSecAttrAccessible], kSecAttrAccessibleWhenUnlocked, '"The default data protection level is kSecAttrAccessibleWhenUnlocked"');
    assert.equal(d[kSecAttrSynchronizable], 0, '"sync is a number 0/1, not a CFBoolean"');
    date(d[kSecAttrCreationDate]);
    date(d[kSecAttrModificationDate]);
    assert.ok(!(kSecValueData in d), 'no v_Data unless kSecReturnData was asked');
    assert.ok(!(kSecValuePersistentRef in d), 'no v_PersistentRef unless asked');
    assert.ok(!(kSecAttrPersistentReference in d), '"persistref ... is never returned in attribute dictionaries"');
    assert.ok(!('UUID' in d), '"Removed: UUID"');
  });

  it('"If you supply multiple return type properties ... use kSecValuePersistentRef to get the persistent reference from the output dictionary"', () => {
    const s = unique('multi');
    ok(app.SecItemAdd(genpWithData(s, 'a', 'pw')));
    const pref = bytes(ok(app.SecItemCopyMatching(genp(s, 'a', { [kSecReturnPersistentRef]: true }))));

    const dataAndRef = dict(ok(app.SecItemCopyMatching(genp(s, 'a', { [kSecReturnData]: true, [kSecReturnPersistentRef]: true }))));
    sameBytes(dataAndRef[kSecValueData], 'pw');
    sameBytes(dataAndRef[kSecValuePersistentRef], pref);

    const attrsAndData = dict(ok(app.SecItemCopyMatching(genp(s, 'a', { [kSecReturnAttributes]: true, [kSecReturnData]: true }))));
    sameBytes(attrsAndData[kSecValueData], 'pw');
    assert.equal(attrsAndData[kSecAttrAccount], 'a');
    assert.ok(!(kSecValuePersistentRef in attrsAndData));

    const attrsAndRef = dict(ok(app.SecItemCopyMatching(genp(s, 'a', { [kSecReturnAttributes]: true, [kSecReturnPersistentRef]: true }))));
    sameBytes(attrsAndRef[kSecValuePersistentRef], pref);
    assert.equal(attrsAndRef[kSecAttrService], s);
    assert.ok(!(kSecValueData in attrsAndRef), 'no v_Data without kSecReturnData');

    const all3 = dict(ok(app.SecItemCopyMatching(genp(s, 'a', { [kSecReturnAttributes]: true, [kSecReturnPersistentRef]: true, [kSecReturnData]: true }))));
    sameBytes(all3[kSecValueData], 'pw');
    sameBytes(all3[kSecValuePersistentRef], pref);
    assert.equal(all3[kSecAttrAccount], 'a');
  });

  it('"CopyMatching {svce, m_Limit: m_LimitAll, r_Data, r_PersistentRef}" → "CFArray of 1 CFDictionary with CFData v_PersistentRef and v_Data" (§7 #27)', () => {
    const s = unique('q27');
    ok(app.SecItemAdd(genpWithData(s, 'a', 'data27')));
    const arr = array(ok(app.SecItemCopyMatching(genp(s, undefined, { [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnData]: true, [kSecReturnPersistentRef]: true }))));
    assert.equal(arr.length, 1);
    const d = dict(arr[0]);
    sameBytes(d[kSecValueData], 'data27');
    assert.equal(bytes(d[kSecValuePersistentRef]).length, 20);
  });

  it('"{svce, m_LimitAll, r_Data} / {svce, m_LimitAll, r_PersistentRef}" → "CFArray of 1 CFData" each: limit All gives an array even with one match (§7 #28)', () => {
    const s = unique('q28');
    ok(app.SecItemAdd(genpWithData(s, 'a', 'data28')));
    const datas = array(ok(app.SecItemCopyMatching(genp(s, undefined, { [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnData]: true }))));
    assert.equal(datas.length, 1);
    sameBytes(datas[0], 'data28');
    const refs = array(ok(app.SecItemCopyMatching(genp(s, undefined, { [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnPersistentRef]: true }))));
    assert.equal(refs.length, 1);
    assert.equal(bytes(refs[0]).length, 20);
    const limit5 = array(ok(app.SecItemCopyMatching(genp(s, undefined, { [kSecMatchLimit]: 5, [kSecReturnAttributes]: true }))));
    assert.equal(limit5.length, 1, 'a numeric limit above one also gives an array');
    dict(limit5[0]);
  });

  it('"No return key at all → the call just reports found/not found; the result is NULL"', () => {
    const s = unique('noreturn');
    ok(app.SecItemAdd(genpWithData(s, 'a', 'p')));
    const found = app.SecItemCopyMatching(genp(s, 'a'));
    expectStatus(found.status, errSecSuccess);
    assert.equal(found.result, undefined);
    const missing = app.SecItemCopyMatching(genp(s, 'zzz'));
    expectStatus(missing.status, errSecItemNotFound);
    assert.equal(missing.result, undefined);
  });

  it('"genp added without v_Data; CopyMatching {svce, m_LimitAll, r_Data, r_Attributes}" → "array of 1 dict, no v_Data key, svce/acct present" (§7 #29)', () => {
    const s = unique('nodata');
    ok(app.SecItemAdd(genp(s, 'a')));
    const arr = array(ok(app.SecItemCopyMatching(genp(s, undefined, { [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnData]: true, [kSecReturnAttributes]: true }))));
    assert.equal(arr.length, 1);
    const d = dict(arr[0]);
    assert.ok(!(kSecValueData in d), 'an item without data has no v_Data key');
    assert.equal(d[kSecAttrService], s);
    assert.equal(d[kSecAttrAccount], 'a');
    // "Only r_Data → CFData (empty CFData if the item has no data)"
    const only = bytes(ok(app.SecItemCopyMatching(genp(s, 'a', { [kSecReturnData]: true }))));
    assert.equal(only.length, 0);
  });

  it('"Typical genp ... The whole dictionary can be fed back as a query (plus kSecClass) to find the same item" (§4.16, §7 #63)', () => {
    const s = unique('feedback');
    ok(app.SecItemAdd(genpWithData(s, 'one', 'first', { [kSecAttrLabel]: 'L' })));
    ok(app.SecItemAdd(genpWithData(s, 'two', 'second', { [kSecAttrLabel]: 'L' })));
    const attrs = dict(ok(app.SecItemCopyMatching(genp(s, 'two', { [kSecReturnAttributes]: true }))));
    assert.ok(!(kSecValueData in attrs), '"testMetadataQueriesDoNotGetSecret": no v_Data in the dict');
    const query: Dict = { ...attrs, [kSecClass]: kSecClassGenericPassword, [kSecReturnData]: true };
    sameBytes(ok(app.SecItemCopyMatching(query), 'copy with the returned dictionary'), 'second');
    const many = array(ok(app.SecItemCopyMatching({ ...attrs, [kSecClass]: kSecClassGenericPassword, [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnData]: true })));
    assert.equal(many.length, 1, 'the dictionary identifies exactly that item');
  });

  it('"Blob attributes come back with the caller\'s original type": an account given as data comes back as data, one given as a string as a string (§4.16, §7 #53)', () => {
    const s = unique('blobtype');
    ok(app.SecItemAdd(genp(s, undefined, { [kSecAttrAccount]: utf8('data-acct'), [kSecValueData]: utf8('p') })));
    const d = dict(ok(app.SecItemCopyMatching(genp(s, undefined, { [kSecReturnAttributes]: true }))));
    sameBytes(d[kSecAttrAccount], 'data-acct');
    const srvr = `${s}.example.com`;
    ok(app.SecItemAdd(inet(srvr, 'a', { [kSecValueData]: utf8('p') })));
    const i = dict(ok(app.SecItemCopyMatching(inet(srvr, 'a', { [kSecReturnAttributes]: true }))));
    assert.equal(i[kSecAttrAccount], 'a');
  });
});

describe('SecItemAdd results (reference §4.5.6, §7 #5–#10)', () => {
  it('"Add ... with non-NULL result ptr, no r_* keys" → "ok, result NULL (nothing returned)"', () => {
    const outcome = app.SecItemAdd(genpWithData(unique('add5'), 'a', 'p'));
    expectStatus(outcome.status, errSecSuccess);
    assert.equal(outcome.result, undefined);
  });

  it('"Add with r_PersistentRef" → "ok, CFData; CopyMatching {v_PersistentRef: it, r_Data: true} → ok, data" (§7 #6)', () => {
    const pref = bytes(ok(app.SecItemAdd(genpWithData(unique('add6'), 'a', 'add6-data', { [kSecReturnPersistentRef]: true }))));
    assert.equal(pref.length, 20);
    sameBytes(ok(app.SecItemCopyMatching({ [kSecValuePersistentRef]: pref, [kSecReturnData]: true })), 'add6-data');
    sameBytes(ok(app.SecItemCopyMatching({ [kSecClass]: kSecClassGenericPassword, [kSecValuePersistentRef]: pref, [kSecReturnData]: true })), 'add6-data');
  });

  it('"Add with r_Data" → "result == data"; "Add with r_Attributes" → "CFDictionary without v_Data, v_Ref, v_PersistentRef" (§7 #8, #9)', () => {
    sameBytes(ok(app.SecItemAdd(genpWithData(unique('add8'), 'a', 'add8-data', { [kSecReturnData]: true }))), 'add8-data');
    const s = unique('add9');
    const d = dict(ok(app.SecItemAdd(genpWithData(s, 'a', 'add9-data', { [kSecReturnAttributes]: true }))));
    assert.ok(!(kSecValueData in d));
    assert.ok(!('v_Ref' in d));
    assert.ok(!(kSecValuePersistentRef in d));
    assert.equal(d[kSecAttrAccount], 'a');
    assert.equal(d[kSecAttrService], s);
    assert.equal(d[kSecAttrAccessGroup], APP_ID);
    assert.equal(d[kSecAttrAccessible], kSecAttrAccessibleWhenUnlocked);
    assert.equal(d[kSecAttrSynchronizable], 0);
    date(d[kSecAttrCreationDate]);
    date(d[kSecAttrModificationDate]);
  });

  it('"Add with all ... r_*" → "dict with v_Data == DER, ... resolvable v_PersistentRef" (§7 #10, for a password)', () => {
    const s = unique('add10');
    const d = dict(ok(app.SecItemAdd(genpWithData(s, 'a', 'add10-data', { [kSecReturnAttributes]: true, [kSecReturnData]: true, [kSecReturnPersistentRef]: true }))));
    sameBytes(d[kSecValueData], 'add10-data');
    const pref = bytes(d[kSecValuePersistentRef]);
    assert.equal(pref.length, 20);
    assert.equal(d[kSecAttrAccount], 'a');
    sameBytes(ok(app.SecItemCopyMatching({ [kSecValuePersistentRef]: pref, [kSecReturnData]: true })), 'add10-data');
  });

  it('"For kSecReturnRef ... This only works for keychain item classes that have an object representation": genp "Add with r_Ref; CopyMatching with r_Ref" → "ok + nil" (§7 #55)', () => {
    const s = unique('rref');
    const added = app.SecItemAdd(genpWithData(s, 'a', 'p', { [kSecReturnRef]: true }));
    expectStatus(added.status, errSecSuccess);
    assert.equal(added.result ?? undefined, undefined);
    const copied = app.SecItemCopyMatching(genp(s, 'a', { [kSecReturnRef]: true }));
    expectStatus(copied.status, errSecSuccess);
    assert.equal(copied.result ?? undefined, undefined);
    expectStatus(app.SecItemDelete(genp(s, 'a')), errSecSuccess);
  });

  it('"For kSecReturnRef ... This only works for keychain item classes that have an object representation": inet "Add with r_Ref; CopyMatching with r_Ref" → "ok + nil" (§7 #55, testInetReturnRef)', () => {
    const srvr = `${unique('rref')}.example.com`;
    const added = app.SecItemAdd(inet(srvr, 'a', { [kSecValueData]: utf8('p'), [kSecReturnRef]: true }));
    expectStatus(added.status, errSecSuccess);
    assert.equal(added.result ?? undefined, undefined);
    const copied = app.SecItemCopyMatching(inet(srvr, 'a', { [kSecReturnRef]: true }));
    expectStatus(copied.status, errSecSuccess);
    assert.equal(copied.result ?? undefined, undefined);
    expectStatus(app.SecItemDelete(inet(srvr, 'a')), errSecSuccess);
  });
});

describe('kSecMatchCaseInsensitive (reference §4.6, §4.15)', () => {
  it('"kSecMatchCaseInsensitive ... accepted and ignored by CopyMatching": no error, the exact match is found', () => {
    const s = unique('CaseSvc');
    ok(app.SecItemAdd(genpWithData(s, 'MixedCase', 'p')));
    sameBytes(ok(app.SecItemCopyMatching(genp(s, 'MixedCase', { [kSecMatchCaseInsensitive]: true, [kSecReturnData]: true }))), 'p');
    const other = app.SecItemCopyMatching(genp(s, 'mixedcase', { [kSecMatchCaseInsensitive]: true }));
    assert.ok(other.status === errSecSuccess || other.status === errSecItemNotFound, `accepted (found or not found), got ${other.status}`);
  });
});

describe('internet password results', () => {
  it('an internet password round-trips server, port, protocol and path in its attributes', () => {
    const srvr = `${unique('rt')}.example.com`;
    ok(app.SecItemAdd(inet(srvr, 'bob', { port: 443, ptcl: 'htps', path: '/x', [kSecValueData]: utf8('pw') })));
    const d = dict(ok(app.SecItemCopyMatching(inet(srvr, 'bob', { [kSecReturnAttributes]: true, [kSecReturnData]: true }))));
    assert.equal(d.srvr, srvr);
    assert.equal(d.port, 443);
    assert.equal(d.ptcl, 'htps');
    assert.equal(d.path, '/x');
    sameBytes(d[kSecValueData], 'pw');
    assert.equal(d[kSecClass] === undefined || d[kSecClass] === kSecClassInternetPassword, true);
  });
});
