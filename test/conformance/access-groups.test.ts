/**
 * Access groups from entitlements (seed "SecItem: Pitfalls and Best
 * Practices" — Lost Keychain Items, Transfer Items Between Keychain Access
 * Groups; "App ID Prefix Change and Keychain Access"; reference §4.9,
 * §7 #66–#69, #75), and atomicity of failing bulk updates.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  kSecClass,
  kSecClassGenericPassword,
  kSecAttrAccount,
  kSecAttrAccessGroup,
  kSecAttrService,
  kSecAttrLabel,
  kSecAttrModificationDate,
  kSecUseDataProtectionKeychain,
  kSecValueData,
  kSecReturnData,
  kSecReturnAttributes,
  kSecMatchLimit,
  kSecMatchLimitAll,
  errSecSuccess,
  errSecItemNotFound,
  errSecDuplicateItem,
  errSecMissingEntitlement,
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
  array,
  sameBytes,
  date,
} from '../helpers.js';

const TEAM = 'SKMME9E2Y8';
const WAFFLE = `${TEAM}.com.example.waffle-varnisher`;
const GROUP_A = `${TEAM}.groupA`;
const GROUP_B = `${TEAM}.groupB`;

let tk: TempKeychain;

before(() => {
  tk = new TempKeychain();
});
after(() => tk.cleanup());

function groupsOf(c: Client, query: Dict): string[] {
  const outcome = c.SecItemCopyMatching({ ...query, [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnAttributes]: true });
  if (outcome.status === errSecItemNotFound) return [];
  expectStatus(outcome.status, errSecSuccess, 'listing query');
  return array(outcome.result).map((d) => String(dict(d)[kSecAttrAccessGroup])).sort();
}

describe('Lost Keychain Items: the SKMME9E2Y8.com.example.waffle-varnisher example', () => {
  it('"keychain-access-groups entitlement set to [ SKMME9E2Y8.groupA, SKMME9E2Y8.groupB ]. That makes its keychain access group list [ SKMME9E2Y8.groupA, SKMME9E2Y8.groupB, SKMME9E2Y8.com.example.waffle-varnisher ]"', () => {
    const v1 = tk.client(WAFFLE, [GROUP_A, GROUP_B]);
    assert.deepEqual([...v1.accessGroups], [GROUP_A, GROUP_B, WAFFLE]);
  });

  it('"keychain-access-groups, then the application identifier, then the application groups" (App ID Prefix Change: the list "is built from three entitlements")', () => {
    const c = tk.client(WAFFLE, [GROUP_A, GROUP_B], ['group.com.example.waffles']);
    assert.deepEqual([...c.accessGroups], [GROUP_A, GROUP_B, WAFFLE, 'group.com.example.waffles']);
    const plain = tk.client(WAFFLE);
    assert.deepEqual([...plain.accessGroups], [WAFFLE]);
  });

  it('"If this app creates a new keychain item without specifying kSecAttrAccessGroup, the system places the item into SKMME9E2Y8.groupA"; "If version 2 of your app removes SKMME9E2Y8.groupA ... it\'ll no longer be able to see the keychain items created by version 1"', () => {
    const s = unique('waffle');
    const v1 = tk.client(WAFFLE, [GROUP_A, GROUP_B]);
    const attrs = dict(ok(v1.SecItemAdd(genpWithData(s, 'user', 'syrup', { [kSecReturnAttributes]: true }))));
    assert.equal(attrs[kSecAttrAccessGroup], GROUP_A);
    assert.deepEqual(groupsOf(v1, genp(s)), [GROUP_A]);

    const v2 = tk.client(WAFFLE, [GROUP_B]);
    expectOutcome(v2.SecItemCopyMatching(genp(s, 'user', { [kSecReturnData]: true })), errSecItemNotFound, 'v2 copy');
    expectStatus(v2.SecItemUpdate(genp(s, 'user'), { [kSecValueData]: utf8('x') }), errSecItemNotFound, 'v2 update');
    expectStatus(v2.SecItemDelete(genp(s, 'user')), errSecItemNotFound, 'v2 delete');
    // v2's own default group is now groupB: adding the same account there is not a duplicate.
    const v2attrs = dict(ok(v2.SecItemAdd(genpWithData(s, 'user', 'v2', { [kSecReturnAttributes]: true }))));
    assert.equal(v2attrs[kSecAttrAccessGroup], GROUP_B);
    // Version 1's item is untouched.
    sameBytes(ok(v1.SecItemCopyMatching(genp(s, 'user', { [kSecAttrAccessGroup]: GROUP_A, [kSecReturnData]: true }))), 'syrup');
  });

  it('"Keychain access groups from the first two bullets depend on the App ID prefix. If that changes, you lose access"; "your app retains access to AGI keychain access groups across an App ID prefix change"', () => {
    const s = unique('prefix');
    const oldApp = tk.client(`${TEAM}.com.example.mover`, undefined, ['group.com.example.mover']);
    ok(oldApp.SecItemAdd(genpWithData(s, 'in-appid', 'appid-secret')));
    ok(oldApp.SecItemAdd(genpWithData(s, 'in-agi', 'agi-secret', { [kSecAttrAccessGroup]: 'group.com.example.mover' })));
    assert.deepEqual(groupsOf(oldApp, genp(s)), ['group.com.example.mover', `${TEAM}.com.example.mover`].sort());

    const newApp = tk.client('NEWTEAM123.com.example.mover', undefined, ['group.com.example.mover']);
    expectOutcome(newApp.SecItemCopyMatching(genp(s, 'in-appid')), errSecItemNotFound, 'App ID group lost');
    sameBytes(ok(newApp.SecItemCopyMatching(genp(s, 'in-agi', { [kSecReturnData]: true }))), 'agi-secret', 'AGI group kept');
  });
});

describe('explicit access groups (reference §4.9, §7 #67–#69)', () => {
  it('"explicit un-entitled group → errSecMissingEntitlement (-34018)" for add, copy, update query, update attributes and delete', () => {
    const s = unique('noent');
    const app = tk.client(`${TEAM}.com.example.noent`);
    ok(app.SecItemAdd(genpWithData(s, 'a', 'p')));
    const foreign = 'com.apple.test.myaccessgroup';
    expectOutcome(app.SecItemAdd(genpWithData(s, 'b', 'p', { [kSecAttrAccessGroup]: foreign })), errSecMissingEntitlement, 'add');
    expectOutcome(app.SecItemCopyMatching(genp(s, 'a', { [kSecAttrAccessGroup]: foreign })), errSecMissingEntitlement, 'copy');
    expectStatus(app.SecItemUpdate(genp(s, 'a', { [kSecAttrAccessGroup]: foreign }), { [kSecAttrLabel]: 'x' }), errSecMissingEntitlement, 'update query');
    expectStatus(app.SecItemUpdate(genp(s, 'a'), { [kSecAttrAccessGroup]: foreign }), errSecMissingEntitlement, 'update attributes (new group)');
    expectStatus(app.SecItemDelete(genp(s, 'a', { [kSecAttrAccessGroup]: foreign })), errSecMissingEntitlement, 'delete');
    // Nothing moved, nothing added.
    assert.deepEqual(groupsOf(app, genp(s)), [`${TEAM}.com.example.noent`]);
  });

  it('an explicit entitled group places the item there; a query naming a group sees only that group; a query without one "search[es] all of the client\'s groups"', () => {
    const s = unique('explicit');
    const app = tk.client(WAFFLE, [GROUP_A, GROUP_B]);
    ok(app.SecItemAdd(genpWithData(s, 'a', 'in-b', { [kSecAttrAccessGroup]: GROUP_B })));
    ok(app.SecItemAdd(genpWithData(s, 'b', 'in-app', { [kSecAttrAccessGroup]: WAFFLE })));
    ok(app.SecItemAdd(genpWithData(s, 'c', 'in-a')));
    expectOutcome(app.SecItemCopyMatching(genp(s, 'a', { [kSecAttrAccessGroup]: GROUP_A })), errSecItemNotFound);
    sameBytes(ok(app.SecItemCopyMatching(genp(s, 'a', { [kSecAttrAccessGroup]: GROUP_B, [kSecReturnData]: true }))), 'in-b');
    assert.deepEqual(groupsOf(app, genp(s)), [GROUP_A, GROUP_B, WAFFLE].sort());
  });

  it('"CopyMatching/Update/Delete without explicit agrp only see items in the caller\'s groups; items elsewhere are simply not found": another app never sees an item', () => {
    const s = unique('private');
    const owner = tk.client(`${TEAM}.com.example.owner`);
    ok(owner.SecItemAdd(genpWithData(s, 'a', 'owner-secret')));
    const snoop = tk.client('ZZZZZZZZZZ.com.example.snoop');
    expectOutcome(snoop.SecItemCopyMatching(genp(s, undefined, { [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnData]: true })), errSecItemNotFound, 'copy by service');
    const everything = snoop.SecItemCopyMatching({ [kSecClass]: kSecClassGenericPassword, [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnAttributes]: true });
    if (everything.status === errSecSuccess) {
      for (const d of array(everything.result)) assert.notEqual(dict(d)[kSecAttrService], s, 'the snoop listed the owner\'s item');
    } else {
      expectStatus(everything.status, errSecItemNotFound);
    }
    expectStatus(snoop.SecItemUpdate(genp(s), { [kSecValueData]: utf8('pwned') }), errSecItemNotFound, 'update');
    expectStatus(snoop.SecItemDelete(genp(s)), errSecItemNotFound, 'delete');
    ok(snoop.SecItemAdd(genpWithData(s, 'a', 'snoop-own')), 'same account and service in the snoop\'s own group is a different item');
    sameBytes(ok(owner.SecItemCopyMatching(genp(s, 'a', { [kSecReturnData]: true }))), 'owner-secret');
  });
});

describe('Transfer Items Between Keychain Access Groups', () => {
  const OLD = `${TEAM}.oldGroup`;
  const NEW = `${TEAM}.newGroup`;
  const OTHER = `${TEAM}.otherGroup`;

  function setup(): { app: Client; svce: string } {
    const app = tk.client(`${TEAM}.com.example.transfer`, [OLD, NEW, OTHER]);
    const svce = unique('MyService');
    for (const acct of ['u1', 'u2', 'u3']) ok(app.SecItemAdd(genpWithData(svce, acct, `pw-${acct}`, { [kSecAttrAccessGroup]: OLD })));
    ok(app.SecItemAdd(genpWithData(`${svce}-unrelated`, 'u1', 'unrelated', { [kSecAttrAccessGroup]: OLD })));
    ok(app.SecItemAdd(genpWithData(svce, 'u9', 'elsewhere', { [kSecAttrAccessGroup]: OTHER })));
    return { app, svce };
  }

  it('"to move all the generic password items for a particular service between oldGroup and newGroup" one SecItemUpdate suffices: "all the selected items will move as one"', () => {
    const { app, svce } = setup();
    expectStatus(
      app.SecItemUpdate(
        { [kSecClass]: kSecClassGenericPassword, [kSecUseDataProtectionKeychain]: true, [kSecAttrAccessGroup]: OLD, [kSecAttrService]: svce },
        { [kSecAttrAccessGroup]: NEW },
      ),
      errSecSuccess,
    );
    expectOutcome(app.SecItemCopyMatching(genp(svce, undefined, { [kSecAttrAccessGroup]: OLD })), errSecItemNotFound, 'nothing left in the old group');
    const moved = array(ok(app.SecItemCopyMatching(genp(svce, undefined, { [kSecAttrAccessGroup]: NEW, [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnAttributes]: true, [kSecReturnData]: true }))));
    assert.equal(moved.length, 3);
    for (const m of moved) {
      const d = dict(m);
      sameBytes(d[kSecValueData], `pw-${String(d[kSecAttrAccount])}`, 'secrets move with their items');
    }
    assert.deepEqual(groupsOf(app, genp(`${svce}-unrelated`)), [OLD], '"your query dictionary matches more than you intended" — here it did not');
    assert.deepEqual(groupsOf(app, genp(svce, 'u9')), [OTHER]);
  });

  it('"The call will either fail or all the selected items will move as one": one collision in the new group → errSecDuplicateItem and nothing moves', () => {
    const { app, svce } = setup();
    ok(app.SecItemAdd(genpWithData(svce, 'u2', 'already-new', { [kSecAttrAccessGroup]: NEW })));
    expectStatus(app.SecItemUpdate(genp(svce, undefined, { [kSecAttrAccessGroup]: OLD }), { [kSecAttrAccessGroup]: NEW }), errSecDuplicateItem);
    assert.deepEqual(groupsOf(app, genp(svce, undefined, { [kSecAttrAccessGroup]: OLD })), [OLD, OLD, OLD]);
    assert.deepEqual(groupsOf(app, genp(svce, undefined, { [kSecAttrAccessGroup]: NEW })), [NEW]);
    sameBytes(ok(app.SecItemCopyMatching(genp(svce, 'u2', { [kSecAttrAccessGroup]: NEW, [kSecReturnData]: true }))), 'already-new');
  });

  it('"Update(query, {agrp: G2})" where the caller lacks G2 → "MissingEntitlement", and nothing moves (§7 #69)', () => {
    const { app, svce } = setup();
    expectStatus(app.SecItemUpdate(genp(svce, undefined, { [kSecAttrAccessGroup]: OLD }), { [kSecAttrAccessGroup]: `${TEAM}.notMine` }), errSecMissingEntitlement);
    assert.deepEqual(groupsOf(app, genp(svce, undefined, { [kSecAttrAccessGroup]: OLD })), [OLD, OLD, OLD]);
  });

  it('"Release a version of your app that moves keychain items from other keychain access groups to an AGI keychain access group": after the move the new App ID prefix still sees them (§7 #75)', () => {
    const svce = unique('agi-move');
    const agi = 'group.com.example.transfer';
    const v1 = tk.client(`${TEAM}.com.example.transferapp`, [`${TEAM}.shared`], [agi]);
    ok(v1.SecItemAdd(genpWithData(svce, 'a', 'one')));
    ok(v1.SecItemAdd(genpWithData(svce, 'b', 'two', { [kSecAttrAccessGroup]: `${TEAM}.com.example.transferapp` })));
    expectStatus(v1.SecItemUpdate(genp(svce), { [kSecAttrAccessGroup]: agi }), errSecSuccess);
    const transferred = tk.client('OTHERTEAM1.com.example.transferapp', undefined, [agi]);
    const found = array(ok(transferred.SecItemCopyMatching(genp(svce, undefined, { [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnData]: true }))));
    assert.equal(found.length, 2);
  });
});

describe('atomicity of a failing bulk update (reference §4.7)', () => {
  it('"an update that would create a duplicate fails with errSecDuplicateItem and changes nothing": a bulk update making three items identical changes none of them', () => {
    const app = tk.client(`${TEAM}.com.example.atomic`);
    const svce = unique('atomic');
    for (const acct of ['a1', 'a2', 'a3']) ok(app.SecItemAdd(genpWithData(svce, acct, `pw-${acct}`, { [kSecAttrLabel]: 'before' })));
    const before = array(ok(app.SecItemCopyMatching(genp(svce, undefined, { [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnAttributes]: true }))));
    const mdats = new Map(before.map((d) => [String(dict(d)[kSecAttrAccount]), date(dict(d)[kSecAttrModificationDate]).getTime()]));
    expectStatus(app.SecItemUpdate(genp(svce), { [kSecAttrAccount]: 'same', [kSecAttrLabel]: 'after' }), errSecDuplicateItem);
    for (const acct of ['a1', 'a2', 'a3']) {
      const d = dict(ok(app.SecItemCopyMatching(genp(svce, acct, { [kSecReturnAttributes]: true, [kSecReturnData]: true })), acct));
      assert.equal(d[kSecAttrLabel], 'before', `${acct} label unchanged`);
      sameBytes(d[kSecValueData], `pw-${acct}`);
      assert.equal(date(d[kSecAttrModificationDate]).getTime(), mdats.get(acct), `${acct} mdat unchanged`);
    }
    expectOutcome(app.SecItemCopyMatching(genp(svce, 'same')), errSecItemNotFound);
  });

  it('an update whose new primary key collides with one existing item fails for the whole batch (§7 #18)', () => {
    const app = tk.client(`${TEAM}.com.example.atomic2`);
    const svce = unique('atomic2');
    ok(app.SecItemAdd(genpWithData(svce, 'x', 'x', { [kSecAttrLabel]: 'move' })));
    ok(app.SecItemAdd(genpWithData(svce, 'y', 'y', { [kSecAttrLabel]: 'move' })));
    ok(app.SecItemAdd(genpWithData(`${svce}-target`, 'y', 'target')));
    expectStatus(app.SecItemUpdate(genp(svce, undefined, { [kSecAttrLabel]: 'move' }), { [kSecAttrService]: `${svce}-target` }), errSecDuplicateItem);
    expectStatus(app.SecItemCopyMatching(genp(svce, 'x')).status, errSecSuccess, 'x did not move');
    expectStatus(app.SecItemCopyMatching(genp(svce, 'y')).status, errSecSuccess, 'y did not move');
    sameBytes(ok(app.SecItemCopyMatching(genp(`${svce}-target`, 'y', { [kSecReturnData]: true }))), 'target');
    expectOutcome(app.SecItemCopyMatching(genp(`${svce}-target`, 'x')), errSecItemNotFound, 'x not in the target');
  });
});
