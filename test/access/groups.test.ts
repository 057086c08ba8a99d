import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AccessPolicy, accessGroupList } from '../../src/access/groups.js';
import { SecError, errSecMissingEntitlement, errSecParam } from '../../src/status.js';

describe('access groups', () => {
  it('orders keychain-access-groups, then the application identifier, then application groups', () => {
    assert.deepEqual(
      accessGroupList({
        applicationIdentifier: 'SKMME9E2Y8.com.example.waffle-varnisher',
        keychainAccessGroups: ['SKMME9E2Y8.groupA', 'SKMME9E2Y8.groupB'],
        applicationGroups: ['group.com.example'],
      }),
      ['SKMME9E2Y8.groupA', 'SKMME9E2Y8.groupB', 'SKMME9E2Y8.com.example.waffle-varnisher', 'group.com.example'],
    );
  });

  it('moves com.apple.token last and never writes to it', () => {
    const groups = accessGroupList({ applicationIdentifier: 'T.app', keychainAccessGroups: ['com.apple.token', 'T.g'] });
    assert.deepEqual(groups, ['T.g', 'T.app', 'com.apple.token']);
    const policy = new AccessPolicy(groups);
    assert.throws(() => policy.checkWritable('com.apple.token'), (e: unknown) => e instanceof SecError && e.status === errSecMissingEntitlement);
    assert.deepEqual(policy.groupsToSearch(undefined, false), groups);
    assert.deepEqual(policy.groupsToSearch(undefined, true), ['T.g', 'T.app']);
  });

  it('gives a wildcard client every group and adds to its first real group', () => {
    const policy = new AccessPolicy(accessGroupList({ applicationIdentifier: 'cli', keychainAccessGroups: ['*'] }));
    assert.equal(policy.groupsToSearch(undefined, false), undefined);
    assert.equal(policy.groupForAdd(undefined), 'cli');
    assert.equal(policy.groupForAdd('anything'), 'anything');
  });

  it('refuses malformed entitlements with errSecParam', () => {
    assert.throws(() => accessGroupList({ applicationIdentifier: '' }), (e: unknown) => e instanceof SecError && e.status === errSecParam);
    assert.throws(
      () => accessGroupList({ applicationIdentifier: 'a', keychainAccessGroups: [''] }),
      (e: unknown) => e instanceof SecError && e.status === errSecParam,
    );
  });
});
