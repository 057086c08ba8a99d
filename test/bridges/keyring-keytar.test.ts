/**
 * secitem/keyring/keytar against @napi-rs/keyring's keytar.js: keytar's
 * five functions over AsyncEntry and findCredentialsAsync, with their
 * results (setPassword resolves null) and napi-rs's argument errors rather
 * than keytar's, on the same items as secitem/keytar.
 */
import './env.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as shim from '../../src/bridges/keyring-keytar.js';
import shimDefault from '../../src/bridges/keyring-keytar.js';
import { findCredentialsAsync } from '../../src/bridges/keyring.js';
import * as keytar from '../../src/bridges/keytar.js';

const service = 'keyring keytar shim';

describe('@napi-rs/keyring/keytar', () => {
  it('sets, gets, finds and deletes, with AsyncEntry\'s results', async () => {
    assert.equal(await shim.getPassword(service, 'a'), null);
    assert.equal(await shim.findPassword(service), null);
    assert.deepEqual(await shim.findCredentials(service), []);
    assert.equal(await shim.setPassword(service, 'a', 'pässword'), null);
    assert.equal(await shim.getPassword(service, 'a'), 'pässword');
    assert.equal(await keytar.getPassword(service, 'a'), 'pässword');
    assert.equal(await shim.findPassword(service), 'pässword');
    assert.deepEqual(await shim.findCredentials(service), [{ account: 'a', password: 'pässword' }]);
    assert.equal(await shim.setPassword(service, 'a', ''), null, 'an empty password is stored, unlike keytar\'s');
    assert.equal(await shim.getPassword(service, 'a'), '');
    assert.equal(await shim.deletePassword(service, 'a'), true);
    assert.equal(await shim.deletePassword(service, 'a'), false);
  });

  it('findCredentials is findCredentialsAsync; the default export holds the five', () => {
    assert.equal(shim.findCredentials, findCredentialsAsync);
    assert.deepEqual(Object.keys(shimDefault).sort(), ['deletePassword', 'findCredentials', 'findPassword', 'getPassword', 'setPassword']);
  });

  it('argument errors are napi-rs\'s: thrown, except by findPassword (an async function), which rejects', async () => {
    const loose = shim as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const stringExpected = (shown: string) => (e: Error & { code?: string }) =>
      e.code === 'StringExpected' && e.message === `Failed to convert JavaScript value \`${shown}\` into rust type \`String\``;
    assert.throws(() => loose['getPassword']!(1, 'a'), stringExpected('Number 1 '));
    assert.throws(() => loose['setPassword']!(service, 'a', undefined), stringExpected('Undefined'));
    assert.throws(() => loose['deletePassword']!(service, null), stringExpected('Null'));
    assert.throws(() => loose['findCredentials']!(false), stringExpected('Boolean false '));
    const pending = loose['findPassword']!(2);
    await assert.rejects(pending, stringExpected('Number 2 '));
    assert.throws(() => shim.getPassword('', 'a'), (e: Error & { code?: string }) => e.code === 'GenericFailure' && e.message === 'Attribute service is invalid: cannot be empty');
  });
});
