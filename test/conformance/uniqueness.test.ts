/**
 * Uniqueness constraints, attributes a class lacks, class resolution and
 * value types (seed "SecItem: Pitfalls and Best Practices" — Queries and
 * Uniqueness Constraints, Erroneous Attributes; reference §1.2, §1.5, §4.1,
 * §4.2, §7 #13–#18, #54, #62, #72).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  kSecClass,
  kSecClassGenericPassword,
  kSecClassInternetPassword,
  kSecAttrAccount,
  kSecAttrService,
  kSecAttrGeneric,
  kSecAttrApplicationTag,
  kSecAttrAccessible,
  kSecAttrAccessibleAfterFirstUnlock,
  kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
  kSecAttrAccessGroup,
  kSecAttrLabel,
  kSecAttrServer,
  kSecAttrPort,
  kSecAttrProtocol,
  kSecAttrPath,
  kSecAttrSecurityDomain,
  kSecAttrAuthenticationType,
  kSecAttrCreationDate,
  kSecAttrSHA1,
  kSecAttrSyncViewHint,
  kSecAttrTokenID,
  kSecValueData,
  kSecReturnData,
  kSecReturnAttributes,
  kSecMatchLimit,
  kSecMatchLimitOne,
  kSecMatchLimitAll,
  errSecSuccess,
  errSecDuplicateItem,
  errSecItemNotFound,
  errSecNoSuchAttr,
  errSecNoSuchClass,
  errSecParam,
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
  sameBytes,
  array,
  APP_ID,
} from '../helpers.js';

let tk: TempKeychain;
let app: Client;

before(() => {
  tk = new TempKeychain();
  app = tk.client();
});
after(() => tk.cleanup());

describe('Queries and Uniqueness Constraints (seed pitfall)', () => {
  it('"the SecItemCopyMatching calls will return errSecItemNotFound" when kSecAttrGeneric differs, "the add will fail with errSecDuplicateItem even though the value of the generic attribute is different"', () => {
    const svce = unique('AYS');
    ok(app.SecItemAdd(genpWithData(svce, 'mrgumby', 'firstpassword', { [kSecAttrGeneric]: utf8('SomethingElse') })), 'initial add');
    const query = genp(svce, 'mrgumby', { [kSecAttrGeneric]: utf8('SecItemHints') });
    expectOutcome(app.SecItemCopyMatching(query), errSecItemNotFound, 'copy with a different kSecAttrGeneric');
    const add = { ...query, [kSecValueData]: utf8('opendoor') };
    expectOutcome(app.SecItemAdd(add), errSecDuplicateItem, 'add after "not found"');
    // The original item is untouched.
    const data = ok(app.SecItemCopyMatching(genp(svce, 'mrgumby', { [kSecReturnData]: true })));
    sameBytes(data, 'firstpassword');
  });

  it('"for a generic password item ... only the service and account attributes are included in the uniqueness constraint": a different account or service is a different item', () => {
    const svce = unique('AYS');
    ok(app.SecItemAdd(genpWithData(svce, 'a', 'p1')));
    ok(app.SecItemAdd(genpWithData(svce, 'b', 'p2')), 'same service, other account');
    ok(app.SecItemAdd(genpWithData(`${svce}-other`, 'a', 'p3')), 'same account, other service');
    expectOutcome(app.SecItemAdd(genpWithData(svce, 'a', 'p4')), errSecDuplicateItem);
  });

  it('"if you try to add item A where all of its attributes are the same as item B, the add fails with errSecDuplicateItem" (reference §7 #72)', () => {
    const svce = unique('delete-me');
    ok(app.SecItemAdd(genpWithData(svce, 'delete-me', 'x', { [kSecAttrAccessible]: kSecAttrAccessibleAfterFirstUnlock })));
    expectOutcome(
      app.SecItemAdd(genpWithData(svce, 'delete-me', 'x', { [kSecAttrAccessible]: kSecAttrAccessibleAfterFirstUnlock })),
      errSecDuplicateItem,
    );
  });

  it('"pdmn, labl, data are not in the key": a different kSecAttrAccessible or kSecAttrLabel still collides (reference §1.5, §7 #62)', () => {
    const svce = unique('pk');
    ok(app.SecItemAdd(genpWithData(svce, 'X', 'one', { [kSecAttrAccessible]: kSecAttrAccessibleAfterFirstUnlock, [kSecAttrLabel]: 'L1' })));
    expectOutcome(
      app.SecItemAdd(genpWithData(svce, 'X', 'two', { [kSecAttrAccessible]: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly })),
      errSecDuplicateItem,
      'different pdmn',
    );
    expectOutcome(app.SecItemAdd(genpWithData(svce, 'X', 'two', { [kSecAttrLabel]: 'L2' })), errSecDuplicateItem, 'different label');
  });

  it('"Missing PK attributes default to "" ... so "no account" equals "empty account"" (reference quick rule 2, §1.7)', () => {
    const svce = unique('noacct');
    ok(app.SecItemAdd({ [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: svce, [kSecValueData]: utf8('p') }));
    expectOutcome(app.SecItemAdd(genpWithData(svce, '', 'q')), errSecDuplicateItem);
  });

  it('"NULL in a primary-key column is replaced by the kind\'s default": an item without kSecAttrSyncViewHint or kSecAttrTokenID collides with one whose values are "", and a query for "" finds it (reference §1.2)', () => {
    const svce = unique('nullpk');
    ok(app.SecItemAdd(genpWithData(svce, 'A', 'p')));
    expectOutcome(app.SecItemAdd(genpWithData(svce, 'A', 'q', { [kSecAttrSyncViewHint]: '' })), errSecDuplicateItem, 'vwht ""');
    expectOutcome(app.SecItemAdd(genpWithData(svce, 'A', 'q', { [kSecAttrTokenID]: '' })), errSecDuplicateItem, 'tkid ""');
    ok(app.SecItemAdd(genpWithData(svce, 'A', 'r', { [kSecAttrSyncViewHint]: 'a-view' })));
    const found = ok(app.SecItemCopyMatching(genp(svce, 'A', { [kSecAttrSyncViewHint]: '', [kSecAttrTokenID]: '', [kSecReturnData]: true })));
    sameBytes(found, 'p');
  });

  it('agrp is part of the genp uniqueness constraint "acct, svce, agrp, sync, ...": the same account and service may exist once per access group (reference §1.5)', () => {
    const team = 'SKMME9E2Y8';
    const a = tk.client(`${team}.com.example.uniq`, [`${team}.uniqA`, `${team}.uniqB`]);
    const svce = unique('grp');
    ok(a.SecItemAdd(genpWithData(svce, 'acct', 'in A', { [kSecAttrAccessGroup]: `${team}.uniqA` })));
    ok(a.SecItemAdd(genpWithData(svce, 'acct', 'in B', { [kSecAttrAccessGroup]: `${team}.uniqB` })));
    expectOutcome(a.SecItemAdd(genpWithData(svce, 'acct', 'again A', { [kSecAttrAccessGroup]: `${team}.uniqA` })), errSecDuplicateItem);
    const all = array(ok(a.SecItemCopyMatching(genp(svce, 'acct', { [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnData]: true }))));
    assert.equal(all.length, 2);
  });
});

describe('internet password uniqueness "acct, sdmn, srvr, ptcl, atyp, port, path" (reference §1.5, §7 #13–#18)', () => {
  const base = (srvr: string): Dict =>
    inet(srvr, 'smith', {
      [kSecAttrPort]: 80,
      [kSecAttrProtocol]: 'http',
      [kSecAttrAuthenticationType]: 'dflt',
    });

  it('"Add inet {srvr: members.spamcop.net, acct: smith, port: 80, ptcl: "http", atyp: "dflt", v_Data: "test"}" → ok; "same Add again → DuplicateItem"', () => {
    const srvr = `${unique('members')}.spamcop.net`;
    ok(app.SecItemAdd({ ...base(srvr), [kSecValueData]: utf8('test') }));
    expectOutcome(app.SecItemAdd({ ...base(srvr), [kSecValueData]: utf8('test') }), errSecDuplicateItem);
    expectOutcome(app.SecItemAdd({ ...base(srvr), [kSecValueData]: utf8('other'), [kSecAttrLabel]: 'x' }), errSecDuplicateItem, 'label is not in the key');
  });

  it('port, protocol, path, security domain and authentication type are each part of the inet key (a different value is a different item)', () => {
    const srvr = `${unique('keyparts')}.example.com`;
    ok(app.SecItemAdd({ ...base(srvr), [kSecValueData]: utf8('base') }));
    ok(app.SecItemAdd({ ...base(srvr), [kSecAttrPort]: 8080, [kSecValueData]: utf8('port') }), 'different port');
    ok(app.SecItemAdd({ ...base(srvr), [kSecAttrProtocol]: 'htps', [kSecValueData]: utf8('ptcl') }), 'different protocol');
    ok(app.SecItemAdd({ ...base(srvr), [kSecAttrPath]: '/login', [kSecValueData]: utf8('path') }), 'different path');
    ok(app.SecItemAdd({ ...base(srvr), [kSecAttrSecurityDomain]: 'realm', [kSecValueData]: utf8('sdmn') }), 'different security domain');
    ok(app.SecItemAdd({ ...base(srvr), [kSecAttrAuthenticationType]: 'form', [kSecValueData]: utf8('atyp') }), 'different auth type');
    expectOutcome(app.SecItemAdd({ ...base(srvr), [kSecAttrPath]: '/login', [kSecValueData]: utf8('dup') }), errSecDuplicateItem);
    const all = array(ok(app.SecItemCopyMatching(inet(srvr, 'smith', { [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnData]: true }))));
    assert.equal(all.length, 6);
    const portOnly = ok(app.SecItemCopyMatching({ ...base(srvr), [kSecAttrPort]: 8080, [kSecReturnData]: true }));
    sameBytes(portOnly, 'port');
  });

  it('"CopyMatching with the same attributes (no data)" → ok; "reuse returned dict minus sha1, plus class, r_Data as a query" → data == "test" (§7 #14, #15)', () => {
    const srvr = `${unique('members')}.spamcop.net`;
    ok(app.SecItemAdd({ ...base(srvr), [kSecValueData]: utf8('test') }));
    expectStatus(app.SecItemCopyMatching(base(srvr)).status, errSecSuccess);
    const attrs = dict(ok(app.SecItemCopyMatching({ ...base(srvr), [kSecReturnAttributes]: true, [kSecMatchLimit]: kSecMatchLimitOne })));
    const again: Dict = { ...attrs };
    delete again[kSecAttrSHA1];
    again[kSecClass] = kSecClassInternetPassword;
    again[kSecReturnData] = true;
    sameBytes(ok(app.SecItemCopyMatching(again), 'copy with the returned dictionary'), 'test');
  });

  it('"Update(query, {srvr: www.spamcop.net}); repeat the same Update" → ok then ItemNotFound; "Delete(original query)" → ItemNotFound; re-added original then same Update → DuplicateItem (§7 #16–#18)', () => {
    const tag = unique('spam');
    const oldSrvr = `members.${tag}.net`;
    const newSrvr = `www.${tag}.net`;
    ok(app.SecItemAdd({ ...base(oldSrvr), [kSecValueData]: utf8('test') }));
    expectStatus(app.SecItemUpdate(base(oldSrvr), { [kSecAttrServer]: newSrvr }), errSecSuccess, 'first update');
    expectStatus(app.SecItemUpdate(base(oldSrvr), { [kSecAttrServer]: newSrvr }), errSecItemNotFound, 'repeated update');
    expectStatus(app.SecItemDelete(base(oldSrvr)), errSecItemNotFound, 'delete by the old query');
    ok(app.SecItemAdd({ ...base(oldSrvr), [kSecValueData]: utf8('test') }), 're-add the original');
    expectStatus(app.SecItemUpdate(base(oldSrvr), { [kSecAttrServer]: newSrvr }), errSecDuplicateItem, 'update causing a dupe');
    // Nothing changed by the failing update.
    sameBytes(ok(app.SecItemCopyMatching({ ...base(oldSrvr), [kSecReturnData]: true })), 'test');
  });

  it('"Add genp; Update to acct/svce delete-me2" → ok; "Update again" → ItemNotFound (reference §7 #72)', () => {
    const svce = unique('delete-me');
    ok(app.SecItemAdd(genpWithData(svce, 'delete-me', 'x')));
    expectStatus(app.SecItemUpdate(genp(svce, 'delete-me'), { [kSecAttrService]: `${svce}2`, [kSecAttrAccount]: 'delete-me2' }), errSecSuccess);
    expectStatus(app.SecItemUpdate(genp(svce, 'delete-me'), { [kSecAttrService]: `${svce}2`, [kSecAttrAccount]: 'delete-me2' }), errSecItemNotFound);
    sameBytes(ok(app.SecItemCopyMatching(genp(`${svce}2`, 'delete-me2', { [kSecReturnData]: true }))), 'x');
  });
});

describe('Erroneous Attributes: "the kSecAttrApplicationTag attribute is only supported for key items"', () => {
  for (const [name, make] of [
    ['generic password', (s: string): Dict => genp(s, 'acct')],
    ['internet password', (s: string): Dict => inet(`${s}.example.com`, 'acct')],
  ] as const) {
    it(`${name}: "both calls will fail with errSecNoSuchAttr" — add, copy, update (query and attributes) and delete with kSecAttrApplicationTag`, () => {
      const s = unique('atag');
      const tagged = { ...make(s), [kSecAttrApplicationTag]: utf8('user name') };
      expectOutcome(app.SecItemAdd({ ...tagged, [kSecValueData]: utf8('p') }), errSecNoSuchAttr, 'add');
      // The failed add stored nothing.
      expectOutcome(app.SecItemCopyMatching(make(s)), errSecItemNotFound, 'copy without the tag after the failed add');
      ok(app.SecItemAdd({ ...make(s), [kSecValueData]: utf8('p') }), 'add without the tag');
      expectOutcome(app.SecItemCopyMatching({ ...tagged, [kSecReturnData]: true }), errSecNoSuchAttr, 'copy');
      expectStatus(app.SecItemUpdate(tagged, { [kSecAttrLabel]: 'l' }), errSecNoSuchAttr, 'update query');
      expectStatus(app.SecItemUpdate(make(s), { [kSecAttrApplicationTag]: utf8('t') }), errSecNoSuchAttr, 'update attributes');
      expectStatus(app.SecItemDelete(tagged), errSecNoSuchAttr, 'delete');
      // The item is still there.
      expectStatus(app.SecItemCopyMatching(make(s)).status, errSecSuccess);
    });
  }

  it('"Each keychain item class supports its own specific set of attributes": kSecAttrServer on a generic password and kSecAttrService on an internet password → errSecNoSuchAttr', () => {
    const s = unique('cross');
    expectOutcome(app.SecItemAdd(genpWithData(s, 'a', 'p', { [kSecAttrServer]: 'example.com' })), errSecNoSuchAttr);
    expectOutcome(app.SecItemAdd(inet(`${s}.example.com`, 'a', { [kSecAttrService]: s, [kSecValueData]: utf8('p') })), errSecNoSuchAttr);
    expectOutcome(app.SecItemCopyMatching(genp(s, 'a', { [kSecAttrPort]: 80 })), errSecNoSuchAttr);
  });

  it('"String key of length 4 → attribute ... not found → errSecNoSuchAttr"; other unknown keys → errSecParam (reference §4.1)', () => {
    const s = unique('keys');
    expectOutcome(app.SecItemAdd(genpWithData(s, 'a', 'p', { zzzz: 'x' })), errSecNoSuchAttr, 'unknown 4-char attribute');
    expectOutcome(app.SecItemAdd(genpWithData(s, 'a', 'p', { bogusKey: 'x' })), errSecParam, 'unknown non-attribute key');
    expectOutcome(app.SecItemCopyMatching(genp(s, 'a', { zzzz: 'x' })), errSecNoSuchAttr, 'copy with unknown attribute');
    expectOutcome(app.SecItemAdd(genpWithData(s, 'a', 'p', { persistref: utf8('0123456789abcdef') })), errSecParam, 'persistref');
  });

  it('"Add / CopyMatching / Update(bad query) / Update(bad attrs) / Delete with key clip → Param for all five" (reference §7 #54)', () => {
    const s = unique('clip');
    ok(app.SecItemAdd(genpWithData(s, 'a', 'p')));
    expectOutcome(app.SecItemAdd(genpWithData(`${s}-2`, 'a', 'p', { clip: 1 })), errSecParam, 'add');
    expectOutcome(app.SecItemCopyMatching(genp(s, 'a', { clip: 0 })), errSecParam, 'copy');
    expectStatus(app.SecItemUpdate(genp(s, 'a', { clip: 0 }), { [kSecAttrLabel]: 'l' }), errSecParam, 'update query');
    expectStatus(app.SecItemUpdate(genp(s, 'a'), { clip: 1 }), errSecParam, 'update attributes');
    expectStatus(app.SecItemDelete(genp(s, 'a', { clip: 0 })), errSecParam, 'delete');
  });
});

describe('class resolution and value types (reference §1.2, §4.1, §4.2)', () => {
  it('"No class at all → errSecItemClassMissing (= -50)" in all four calls', () => {
    const s = unique('noclass');
    const noClass = { [kSecAttrService]: s, [kSecAttrAccount]: 'a' };
    expectOutcome(app.SecItemAdd({ ...noClass, [kSecValueData]: utf8('p') }), errSecParam, 'add');
    expectOutcome(app.SecItemCopyMatching(noClass), errSecParam, 'copy');
    expectStatus(app.SecItemUpdate(noClass, { [kSecAttrLabel]: 'l' }), errSecParam, 'update');
    expectStatus(app.SecItemDelete(noClass), errSecParam, 'delete');
  });

  it('"Unknown class string (including apls) → errSecNoSuchClass (-25306)"', () => {
    const s = unique('badclass');
    for (const cls of ['apls', 'nope']) {
      const q = { [kSecClass]: cls, [kSecAttrService]: s };
      expectOutcome(app.SecItemAdd({ ...q, [kSecValueData]: utf8('p') }), errSecNoSuchClass, `add ${cls}`);
      expectOutcome(app.SecItemCopyMatching(q), errSecNoSuchClass, `copy ${cls}`);
      expectStatus(app.SecItemUpdate(q, { [kSecAttrLabel]: 'l' }), errSecNoSuchClass, `update ${cls}`);
      expectStatus(app.SecItemDelete(q), errSecNoSuchClass, `delete ${cls}`);
    }
  });

  it('"Blob ... other (e.g. CFDate) → -50": a Date for kSecAttrAccount → errSecParam', () => {
    const s = unique('types');
    expectOutcome(app.SecItemAdd(genp(s, undefined, { [kSecAttrAccount]: new Date(), [kSecValueData]: utf8('p') })), errSecParam, 'add');
    expectOutcome(app.SecItemCopyMatching(genp(s, undefined, { [kSecAttrAccount]: new Date() })), errSecParam, 'copy');
    expectOutcome(app.SecItemCopyMatching(genp(s, 'a', { [kSecAttrCreationDate]: 'yesterday' })), errSecParam, 'a string for a Date attribute');
  });

  it('"Return keys (r_*): value must be a CFBoolean, else errSecItemInvalidValue (-50) ... an NSNumber @1 ... is rejected"', () => {
    const s = unique('rflag');
    ok(app.SecItemAdd(genpWithData(s, 'a', 'p')));
    expectOutcome(app.SecItemCopyMatching(genp(s, 'a', { [kSecReturnData]: 1 })), errSecParam, 'number 1 for kSecReturnData');
    expectOutcome(app.SecItemCopyMatching(genp(s, 'a', { [kSecReturnAttributes]: 'yes' })), errSecParam, 'string for kSecReturnAttributes');
    expectOutcome(app.SecItemAdd(genpWithData(`${s}-2`, 'a', 'p', { [kSecReturnData]: 1 })), errSecParam, 'number 1 for kSecReturnData in add');
    // "false just clears the bit"
    const outcome = app.SecItemCopyMatching(genp(s, 'a', { [kSecReturnData]: false }));
    expectStatus(outcome.status, errSecSuccess);
    assert.equal(outcome.result, undefined);
  });

  it('"kSecMatchLimit value parsing: CFNumber → that number; m_LimitAll; m_LimitOne; anything else → errSecItemInvalidValue (-50)"', () => {
    const s = unique('limitval');
    ok(app.SecItemAdd(genpWithData(s, 'a', 'p')));
    expectOutcome(app.SecItemCopyMatching(genp(s, 'a', { [kSecMatchLimit]: 'lots' })), errSecParam);
    expectOutcome(app.SecItemCopyMatching(genp(s, 'a', { [kSecMatchLimit]: true })), errSecParam);
  });

  it('"a Buffer is accepted" for data and blob attributes, and a blob attribute given as data matches the same string (reference §1.2 S-flag columns)', () => {
    const s = unique('buf');
    ok(app.SecItemAdd(genp(s, undefined, { [kSecAttrAccount]: Buffer.from('bufacct'), [kSecValueData]: Buffer.from('bufpass') })));
    sameBytes(ok(app.SecItemCopyMatching(genp(s, 'bufacct', { [kSecReturnData]: true }))), 'bufpass');
  });

  it('"Special keys: ... the 4-char key nleg (kSecUseDataProtectionKeychain) ... is silently ignored"', () => {
    const s = unique('nleg');
    ok(app.SecItemAdd(genpWithData(s, 'a', 'p', { nleg: true })));
    sameBytes(ok(app.SecItemCopyMatching(genp(s, 'a', { nleg: true, [kSecReturnData]: true }))), 'p');
    expectStatus(app.SecItemDelete(genp(s, 'a', { nleg: true })), errSecSuccess);
  });

  it('the default group is the client\'s, so an item added by APP_ID carries agrp = application identifier', () => {
    const s = unique('agrp');
    const attrs = dict(ok(app.SecItemAdd(genpWithData(s, 'a', 'p', { [kSecReturnAttributes]: true }))));
    assert.equal(attrs[kSecAttrAccessGroup], APP_ID);
    assert.equal(attrs[kSecClass] === undefined || attrs[kSecClass] === kSecClassGenericPassword, true);
  });
});
