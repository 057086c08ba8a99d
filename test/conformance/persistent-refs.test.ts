/**
 * Persistent references, synchronizable matching, creation and modification
 * dates (seed "SecItem: Pitfalls and Best Practices" — Prefer to Update;
 * "SecItem: Fundamentals" — kSecValuePersistentRef; reference §1.7, §4.7,
 * §4.10, §4.12, §7 #20–#26, #44).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  kSecClass,
  kSecClassGenericPassword,
  kSecClassInternetPassword,
  kSecAttrAccount,
  kSecAttrService,
  kSecAttrServer,
  kSecAttrSynchronizable,
  kSecAttrSynchronizableAny,
  kSecAttrComment,
  kSecAttrLabel,
  kSecAttrCreationDate,
  kSecAttrModificationDate,
  kSecAttrAccessGroup,
  kSecAttrAccessible,
  kSecAttrAccessibleAlways,
  kSecValueData,
  kSecValuePersistentRef,
  kSecReturnData,
  kSecReturnAttributes,
  kSecReturnPersistentRef,
  kSecMatchLimit,
  kSecMatchLimitAll,
  errSecSuccess,
  errSecItemNotFound,
  errSecDuplicateItem,
  errSecParam,
  errSecNoSuchClass,
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
  bytes,
  dict,
  array,
  date,
  sameBytes,
} from '../helpers.js';

let tk: TempKeychain;
let app: Client;

before(() => {
  tk = new TempKeychain();
  app = tk.client();
});
after(() => tk.cleanup());

function addWithRef(d: Dict): Uint8Array {
  const pref = bytes(ok(app.SecItemAdd({ ...d, [kSecReturnPersistentRef]: true }), 'add with r_PersistentRef'));
  assert.equal(pref.length, 20, '"4-byte class code + 16-byte UUID = 20 bytes"');
  return pref;
}

function byRef(pref: Uint8Array, extra: Dict = {}): Dict {
  return { [kSecValuePersistentRef]: pref, ...extra };
}

describe('persistent references (reference §4.12)', () => {
  it('"For query dictionaries, this uniquely identifies the item to operate on": CopyMatching by attributes and by persistent ref give equal dictionaries (§7 #20)', () => {
    const srvr = `${unique('pref')}.example.com`;
    const pref = addWithRef(inet(srvr, 'frtnbf', { [kSecValueData]: utf8('p1') }));
    const byAttrs = dict(ok(app.SecItemCopyMatching(inet(srvr, 'frtnbf', { [kSecReturnAttributes]: true }))));
    const byPref = dict(ok(app.SecItemCopyMatching(byRef(pref, { [kSecReturnAttributes]: true }))));
    assert.deepEqual(byPref, byAttrs);
    sameBytes(ok(app.SecItemCopyMatching(byRef(pref, { [kSecClass]: kSecClassInternetPassword, [kSecReturnData]: true }))), 'p1');
    sameBytes(ok(app.SecItemCopyMatching(inet(srvr, 'frtnbf', { [kSecReturnPersistentRef]: true }))), pref, 'the same ref comes back from a query');
  });

  it('"It preserves persistent references": SecItemUpdate keeps the reference, even when the update changes the account (part of the uniqueness constraint)', () => {
    const s = unique('keep');
    const pref = addWithRef(genpWithData(s, 'before', 'old-pw'));
    expectStatus(app.SecItemUpdate(genp(s, 'before'), { [kSecAttrAccount]: 'after', [kSecValueData]: utf8('new-pw') }), errSecSuccess);
    const again = bytes(ok(app.SecItemCopyMatching(genp(s, 'after', { [kSecReturnPersistentRef]: true }))));
    sameBytes(again, pref, 'same persistent ref after the update');
    const d = dict(ok(app.SecItemCopyMatching(byRef(pref, { [kSecReturnAttributes]: true, [kSecReturnData]: true }))));
    assert.equal(d[kSecAttrAccount], 'after');
    sameBytes(d[kSecValueData], 'new-pw');
  });

  it('"If you delete and then re-add the item, you get a new item with a new persistent reference"; "A deleted item\'s pref → errSecItemNotFound"', () => {
    const s = unique('readd');
    const first = addWithRef(genpWithData(s, 'a', 'p'));
    expectStatus(app.SecItemDelete(genp(s, 'a')), errSecSuccess);
    const gone = app.SecItemCopyMatching(byRef(first, { [kSecReturnData]: true }));
    expectOutcome(gone, errSecItemNotFound, 'deleted item by pref');
    assert.equal(gone.result, undefined, '"result NULL"');
    const second = addWithRef(genpWithData(s, 'a', 'p'));
    assert.ok(!Buffer.from(second).equals(Buffer.from(first)), 'a re-added item gets a new persistent reference');
    expectOutcome(app.SecItemCopyMatching(byRef(first)), errSecItemNotFound, 'the old ref still finds nothing');
    expectStatus(app.SecItemUpdate(byRef(first), { [kSecAttrLabel]: 'x' }), errSecItemNotFound, 'update by the old ref');
    expectStatus(app.SecItemDelete(byRef(first)), errSecItemNotFound, 'delete by the old ref');
  });

  it('"Update({v_PersistentRef: p1}, {srvr: zuigt.com})" → "p1 srvr == zuigt.com; p2 unchanged"; "Delete({v_PersistentRef: p1}); CopyMatching p1; CopyMatching p2" → "ok; ItemNotFound; ok" (§7 #22, #23)', () => {
    const tag = unique('zuigt');
    const p1 = addWithRef(inet(`${tag}.nl`, 'frtnbf', { [kSecValueData]: utf8('one') }));
    const p2 = addWithRef(inet(`${tag}.nl`, 'johndoe', { [kSecValueData]: utf8('two') }));
    expectStatus(app.SecItemUpdate(byRef(p1), { [kSecAttrServer]: `${tag}.com` }), errSecSuccess);
    assert.equal(dict(ok(app.SecItemCopyMatching(byRef(p1, { [kSecReturnAttributes]: true }))))[kSecAttrServer], `${tag}.com`);
    assert.equal(dict(ok(app.SecItemCopyMatching(byRef(p2, { [kSecReturnAttributes]: true }))))[kSecAttrServer], `${tag}.nl`);
    expectStatus(app.SecItemDelete(byRef(p1)), errSecSuccess);
    expectOutcome(app.SecItemCopyMatching(byRef(p1)), errSecItemNotFound);
    expectStatus(app.SecItemCopyMatching(byRef(p2)).status, errSecSuccess);
  });

  it('"useless outside the caller\'s access groups": another app using the persistent ref finds nothing (copy, update, delete)', () => {
    const s = unique('foreign');
    const pref = addWithRef(genpWithData(s, 'a', 'mine'));
    const other = tk.client('ABCDE12345.com.example.other');
    expectOutcome(other.SecItemCopyMatching(byRef(pref, { [kSecReturnData]: true })), errSecItemNotFound, 'copy');
    expectStatus(other.SecItemUpdate(byRef(pref), { [kSecValueData]: utf8('stolen') }), errSecItemNotFound, 'update');
    expectStatus(other.SecItemDelete(byRef(pref)), errSecItemNotFound, 'delete');
    sameBytes(ok(app.SecItemCopyMatching(byRef(pref, { [kSecReturnData]: true }))), 'mine');
  });

  it('"SecItemCopyMatching with a UUID pref plus any other attribute (including sync or agrp) → errSecItemIllegalQuery (-50)"', () => {
    const s = unique('prefattr');
    const pref = addWithRef(genpWithData(s, 'a', 'p'));
    expectOutcome(app.SecItemCopyMatching(byRef(pref, { [kSecAttrAccount]: 'a' })), errSecParam, 'with acct');
    expectOutcome(app.SecItemCopyMatching(byRef(pref, { [kSecAttrSynchronizable]: kSecAttrSynchronizableAny })), errSecParam, 'with sync');
    // "class, nleg, r_* and m_Limit are not attributes and are fine"
    const arr = array(ok(app.SecItemCopyMatching(byRef(pref, { [kSecClass]: kSecClassGenericPassword, [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnData]: true }))));
    assert.equal(arr.length, 1);
  });

  it('"Update/Delete AND the UUID pref with the other attributes": a pref plus a non-matching account finds nothing', () => {
    const s = unique('prefand');
    const pref = addWithRef(genpWithData(s, 'a', 'p'));
    expectStatus(app.SecItemDelete(byRef(pref, { [kSecAttrAccount]: 'someone-else' })), errSecItemNotFound);
    expectStatus(app.SecItemUpdate(byRef(pref, { [kSecAttrAccount]: 'someone-else' }), { [kSecAttrLabel]: 'x' }), errSecItemNotFound);
    expectStatus(app.SecItemDelete(byRef(pref, { [kSecAttrAccount]: 'a' })), errSecSuccess);
  });

  it('"kSecClass and persistent-ref class disagree → errSecNoSuchClass"; "v_PersistentRef must parse (else -50)"', () => {
    const s = unique('prefclass');
    const pref = addWithRef(genpWithData(s, 'a', 'p'));
    expectOutcome(app.SecItemCopyMatching(byRef(pref, { [kSecClass]: kSecClassInternetPassword })), errSecNoSuchClass);
    expectOutcome(app.SecItemCopyMatching({ [kSecValuePersistentRef]: utf8('garbage') }), errSecParam, 'unparsable ref');
    expectOutcome(app.SecItemCopyMatching({ [kSecValuePersistentRef]: 'genp0123456789abcdef' }), errSecParam, 'a string is not a ref');
  });
});

describe('synchronizable items (reference §4.10, §7 #24–#26)', () => {
  it('"A query without kSecAttrSynchronizable never returns synchronizable items"; true or kSecAttrSynchronizableAny finds it', () => {
    const s = unique('sync');
    ok(app.SecItemAdd(genpWithData(s, 'a', 'synced', { [kSecAttrSynchronizable]: true, [kSecAttrLabel]: 'l', [kSecAttrComment]: 'c' })));
    expectOutcome(app.SecItemCopyMatching(genp(s, 'a')), errSecItemNotFound, 'no sync key');
    expectOutcome(app.SecItemCopyMatching(genp(s, 'a', { [kSecAttrSynchronizable]: false })), errSecItemNotFound, 'sync false');
    sameBytes(ok(app.SecItemCopyMatching(genp(s, 'a', { [kSecAttrSynchronizable]: true, [kSecReturnData]: true }))), 'synced');
    sameBytes(ok(app.SecItemCopyMatching(genp(s, 'a', { [kSecAttrSynchronizable]: kSecAttrSynchronizableAny, [kSecReturnData]: true }))), 'synced');
    const d = dict(ok(app.SecItemCopyMatching(genp(s, 'a', { [kSecAttrSynchronizable]: true, [kSecReturnAttributes]: true }))));
    assert.equal(d[kSecAttrSynchronizable], 1, '"sync is a number 0/1"');
  });

  it('"the same acct/svce may exist once with sync=0 and once with sync=1"; syna sees both; update and delete without the key touch only sync=0', () => {
    const s = unique('sync2');
    ok(app.SecItemAdd(genpWithData(s, 'a', 'cloud', { [kSecAttrSynchronizable]: true })));
    ok(app.SecItemAdd(genpWithData(s, 'a', 'local')), 'not a duplicate');
    expectOutcome(app.SecItemAdd(genpWithData(s, 'a', 'again', { [kSecAttrSynchronizable]: true })), errSecDuplicateItem);
    const both = array(ok(app.SecItemCopyMatching(genp(s, 'a', { [kSecAttrSynchronizable]: kSecAttrSynchronizableAny, [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnAttributes]: true }))));
    assert.equal(both.length, 2);
    assert.deepEqual(both.map((x) => dict(x)[kSecAttrSynchronizable]).sort(), [0, 1]);
    const local = dict(ok(app.SecItemCopyMatching(genp(s, 'a', { [kSecReturnAttributes]: true, [kSecReturnData]: true }))));
    assert.equal(local[kSecAttrSynchronizable], 0);
    sameBytes(local[kSecValueData], 'local');
    expectStatus(app.SecItemUpdate(genp(s, 'a'), { [kSecAttrLabel]: 'touched' }), errSecSuccess);
    expectOutcome(app.SecItemCopyMatching(genp(s, 'a', { [kSecAttrSynchronizable]: true, [kSecAttrLabel]: 'touched' })), errSecItemNotFound, 'sync item not updated');
    expectStatus(app.SecItemDelete(genp(s, 'a')), errSecSuccess);
    sameBytes(ok(app.SecItemCopyMatching(genp(s, 'a', { [kSecAttrSynchronizable]: true, [kSecReturnData]: true }))), 'cloud', 'sync item not deleted');
  });

  it('"Update({acct, svce, sync: true}, {icmt: "Updated Comment"}); find with new comment; Delete(that query)" → ok; ok; ok (§7 #26)', () => {
    const s = unique('sync3');
    ok(app.SecItemAdd(genpWithData(s, 'a', 'p', { [kSecAttrSynchronizable]: true, [kSecReturnAttributes]: true })));
    expectStatus(app.SecItemUpdate(genp(s, 'a', { [kSecAttrSynchronizable]: true }), { [kSecAttrComment]: 'Updated Comment' }), errSecSuccess);
    const q = genp(s, 'a', { [kSecAttrSynchronizable]: true, [kSecAttrComment]: 'Updated Comment' });
    expectStatus(app.SecItemCopyMatching(q).status, errSecSuccess);
    expectStatus(app.SecItemDelete(q), errSecSuccess);
    expectOutcome(app.SecItemCopyMatching(genp(s, 'a', { [kSecAttrSynchronizable]: kSecAttrSynchronizableAny })), errSecItemNotFound);
  });

  it('"adding with kSecAttrSynchronizableAny behaves like no sync key (sync default 0)"', () => {
    const s = unique('syncany');
    ok(app.SecItemAdd(genpWithData(s, 'a', 'p', { [kSecAttrSynchronizable]: kSecAttrSynchronizableAny })));
    const d = dict(ok(app.SecItemCopyMatching(genp(s, 'a', { [kSecReturnAttributes]: true }))));
    assert.equal(d[kSecAttrSynchronizable], 0);
  });

  it('"Persistent-ref queries do not get the implicit sync=0": a synchronizable item is found by its persistent ref alone; "genp pdmn: dk ... {acct, sync: syna, r_Attributes, r_PersistentRef, m_LimitAll}" → array of 1 with v_PersistentRef (§7 #44)', () => {
    const s = unique('syncref');
    const pref = addWithRef(genpWithData(s, 'a', 'p', { [kSecAttrSynchronizable]: true, [kSecAttrAccessible]: kSecAttrAccessibleAlways }));
    sameBytes(ok(app.SecItemCopyMatching(byRef(pref, { [kSecReturnData]: true }))), 'p');
    const arr = array(ok(app.SecItemCopyMatching(genp(s, 'a', {
      [kSecAttrSynchronizable]: kSecAttrSynchronizableAny,
      [kSecReturnAttributes]: true,
      [kSecReturnPersistentRef]: true,
      [kSecMatchLimit]: kSecMatchLimitAll,
    }))));
    assert.equal(arr.length, 1);
    sameBytes(dict(arr[0])[kSecValuePersistentRef], pref);
  });
});

describe('creation and modification dates (reference §1.7, §4.7)', () => {
  it('"cdat and mdat are always overwritten with now on add — caller-supplied values are ignored"', () => {
    const s = unique('dates');
    const t0 = Date.now();
    const d = dict(ok(app.SecItemAdd(genpWithData(s, 'a', 'p', { [kSecAttrCreationDate]: new Date(0), [kSecReturnAttributes]: true }))));
    const t1 = Date.now();
    const cdat = date(d[kSecAttrCreationDate]).getTime();
    const mdat = date(d[kSecAttrModificationDate]).getTime();
    assert.ok(cdat >= t0 - 1000 && cdat <= t1 + 1000, `cdat ${cdat} is now (${t0}..${t1})`);
    assert.ok(mdat >= t0 - 1000 && mdat <= t1 + 1000, `mdat ${mdat} is now`);
  });

  it('"mdat is set to now ... and forced to be > the old mdat"; "cdat, persistref and all other attributes are copied from the old item unless overridden"', () => {
    const s = unique('mdat');
    const added = dict(ok(app.SecItemAdd(genpWithData(s, 'a', 'p', { [kSecAttrLabel]: 'keep-me', [kSecReturnAttributes]: true }))));
    const cdat0 = date(added[kSecAttrCreationDate]).getTime();
    const mdat0 = date(added[kSecAttrModificationDate]).getTime();
    expectStatus(app.SecItemUpdate(genp(s, 'a'), { [kSecValueData]: utf8('q') }), errSecSuccess);
    const after1 = dict(ok(app.SecItemCopyMatching(genp(s, 'a', { [kSecReturnAttributes]: true }))));
    const mdat1 = date(after1[kSecAttrModificationDate]).getTime();
    assert.equal(date(after1[kSecAttrCreationDate]).getTime(), cdat0, 'cdat stays');
    assert.ok(mdat1 > mdat0, `mdat advances (${mdat0} → ${mdat1})`);
    assert.equal(after1[kSecAttrLabel], 'keep-me', 'other attributes are kept');
    expectStatus(app.SecItemUpdate(genp(s, 'a'), { [kSecAttrComment]: 'c' }), errSecSuccess);
    const after2 = dict(ok(app.SecItemCopyMatching(genp(s, 'a', { [kSecReturnAttributes]: true }))));
    assert.ok(date(after2[kSecAttrModificationDate]).getTime() > mdat1, 'mdat advances again');
    assert.equal(date(after2[kSecAttrCreationDate]).getTime(), cdat0);
    assert.equal(after2[kSecAttrService], s);
    assert.equal(typeof after2[kSecAttrAccessGroup], 'string');
  });
});
