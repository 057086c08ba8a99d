/**
 * The Secret Service provider's attribute index (attribute-index.ts): what
 * a search answers, that it is rebuilt whenever the keychain's change
 * counter moved (never answering from an older pass), that a failed pass
 * is not kept, and the change counter itself on a real keychain file.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openKeychain } from '../../src/index.js';
import { AttributeIndex, type IndexedItem } from '../../src/daemon/secret-service/attribute-index.js';
import { openChangeCounter, type ChangeCounter } from '../../src/daemon/secret-service/keychain-changes.js';

function fakeCounter(): ChangeCounter & { bump(): void } {
  let v = 1;
  return { version: () => v, bump: () => void v++, close: () => {} };
}

const items: IndexedItem[] = [
  { id: 'a', attributes: { service: 'mail', user: 'alice' } },
  { id: 'b', attributes: { service: 'mail', user: 'bob' } },
  { id: 'c', attributes: { service: 'web', user: 'alice', 'xdg:schema': 'org.example' } },
  { id: 'd', attributes: {} },
];

describe('Secret Service attribute index', () => {
  it('answers subsets of attribute pairs, and everything for an empty query, in keychain order', () => {
    const index = new AttributeIndex(fakeCounter());
    const load = () => items;
    assert.deepEqual(index.search('g', { service: 'mail' }, load), ['a', 'b']);
    assert.deepEqual(index.search('g', { user: 'alice' }, load), ['a', 'c']);
    assert.deepEqual(index.search('g', { user: 'alice', service: 'web' }, load), ['c']);
    assert.deepEqual(index.search('g', { user: 'alice', service: 'nope' }, load), []);
    assert.deepEqual(index.search('g', { nope: 'mail' }, load), []);
    assert.deepEqual(index.search('g', {}, load), ['a', 'b', 'c', 'd']);
    // a pair is a pair: no name/value boundary confusion
    assert.deepEqual(index.search('g', { servicem: 'ail' }, load), []);
  });

  it('passes over the items once while the counter stays, again after any change; scopes are apart', () => {
    const counter = fakeCounter();
    const index = new AttributeIndex(counter);
    let passes = 0;
    let current = items;
    const load = () => {
      passes++;
      return current;
    };
    index.search('g', { service: 'mail' }, load);
    index.search('g', { user: 'bob' }, load);
    index.search('g', {}, load);
    assert.equal(passes, 1);
    current = [...items, { id: 'e', attributes: { service: 'mail' } }];
    // not yet visible: nothing was committed as far as the counter knows
    assert.deepEqual(index.search('g', { service: 'mail' }, load), ['a', 'b']);
    counter.bump();
    assert.deepEqual(index.search('g', { service: 'mail' }, load), ['a', 'b', 'e']);
    assert.equal(passes, 2);
    assert.deepEqual(index.search('other', { service: 'mail' }, () => []), []);
    assert.deepEqual(index.search('g', { service: 'mail' }, load), ['a', 'b', 'e']);
    index.clear();
    index.search('g', {}, load);
    assert.equal(passes, 3);
  });

  it('keeps nothing from a pass that failed, and without a counter passes over the items for every search', () => {
    const index = new AttributeIndex(fakeCounter());
    assert.throws(() => index.search('g', {}, () => {
      throw new Error('the keychain could not be searched');
    }), /could not be searched/);
    assert.deepEqual(index.search('g', { user: 'bob' }, () => items), ['b']);
    const uncounted = new AttributeIndex(undefined);
    let passes = 0;
    const load = () => {
      passes++;
      return items;
    };
    uncounted.search('g', {}, load);
    uncounted.search('g', {}, load);
    assert.equal(passes, 2);
    const broken = new AttributeIndex({ version: () => { throw new Error('gone'); }, close: () => {} });
    broken.search('g', {}, load);
    broken.search('g', {}, load);
    assert.equal(passes, 4);
  });

  it("the change counter moves with every commit to the keychain file (this process's connection or another), and not for reads", () => {
    const dir = mkdtempSync(join(tmpdir(), 'secitem-ss-index-'));
    try {
      const path = join(dir, 'kc.keychain-db');
      const keychain = openKeychain({ path });
      const counter = openChangeCounter(path);
      assert.ok(counter);
      const client = keychain.client({ applicationIdentifier: 'test.app', keychainAccessGroups: ['test.app'] });
      const v0 = counter.version();
      assert.equal(client.SecItemAdd({ class: 'genp', svce: 's', acct: 'a', v_Data: Buffer.from('x') }).status, 0);
      const v1 = counter.version();
      assert.notEqual(v1, v0);
      assert.equal(client.SecItemCopyMatching({ class: 'genp', svce: 's', r_Data: true }).status, 0);
      assert.equal(counter.version(), v1);
      const other = openKeychain({ path }); // a second connection, as another process would have
      assert.equal(other.client({ applicationIdentifier: 'test.app', keychainAccessGroups: ['test.app'] }).SecItemDelete({ class: 'genp', svce: 's' }), 0);
      other.close();
      assert.notEqual(counter.version(), v1);
      counter.close();
      keychain.close();
      assert.equal(openChangeCounter(join(dir, 'missing')), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
