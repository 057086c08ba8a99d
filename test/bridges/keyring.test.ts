/**
 * secitem/keyring against @napi-rs/keyring 2.x: its own test suite
 * (__test__/index.spec.ts) and its index.d.ts / src/*.rs behaviour: Entry
 * (synchronous) and AsyncEntry, withTarget, get/set/delete of passwords and
 * secrets, findCredentials and findCredentialsAsync, the napi-rs argument
 * errors, AbortSignal, many Promises at once.
 */
import { home } from './env.js';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AsyncEntry, Entry, findCredentials, findCredentialsAsync } from '../../src/bridges/keyring.js';
import * as keytar from '../../src/bridges/keytar.js';

const testPassword = 'napi.rs';
const testService = 'keyring-node-test-service';
const testUser = 'test-user';
const testSecret = new Uint8Array([0x68, 0x65, 0x6c, 0x6c, 0x6f]);
const testTarget = `keyring-node-test-target:${testUser}@${testService}`;
const loose = (v: unknown) => v as string;

describe('Entry (synchronous)', () => {
  it('creates and gets a password back; findCredentials lists it', () => {
    const entry = new Entry(testService, testUser);
    assert.equal(entry.setPassword(testPassword), undefined);
    assert.equal(entry.getPassword(), testPassword);
    assert.deepEqual(findCredentials(testService), [{ account: testUser, password: testPassword }]);
    assert.equal(entry.deleteCredential(), true);
  });

  it('sets and gets secrets, binary data included, as an Array of numbers', () => {
    const entry = new Entry(testService, testUser);
    entry.setSecret(testSecret);
    assert.deepEqual(entry.getSecret(), [...testSecret]);
    const binary = new Uint8Array([0x00, 0x01, 0x7f, 0x80, 0xff, 0xde, 0xad, 0xbe, 0xef]);
    entry.setSecret(binary);
    assert.deepEqual(new Uint8Array(entry.getSecret()!), binary);
    entry.setSecret(Buffer.from('from a Buffer'));
    assert.equal(entry.getPassword(), 'from a Buffer');
    assert.equal(entry.deletePassword(), true);
  });

  it('answers null for no entry, false for deleting none; empty and non-ASCII values', () => {
    const entry = new Entry(testService, 'nobody');
    assert.equal(entry.getPassword(), null);
    assert.equal(entry.getSecret(), null);
    assert.equal(entry.deleteCredential(), false);
    assert.equal(entry.deletePassword(), false);
    const unicode = new Entry('sérvice ®', 'üser 𝄞');
    unicode.setPassword('');
    assert.equal(unicode.getPassword(), '');
    unicode.setPassword('pässwörd ∂ 😀');
    assert.equal(unicode.getPassword(), 'pässwörd ∂ 😀');
    assert.deepEqual(findCredentials('sérvice ®'), [{ account: 'üser 𝄞', password: 'pässwörd ∂ 😀' }]);
    assert.equal(unicode.deleteCredential(), true);
    assert.deepEqual(findCredentials('sérvice ®'), []);
  });

  it('shares its items with secitem/keytar (both are generic passwords, as on macOS)', async () => {
    await keytar.setPassword(testService, 'shared', 'from keytar');
    const entry = new Entry(testService, 'shared');
    assert.equal(entry.getPassword(), 'from keytar');
    entry.setPassword('from keyring');
    assert.equal(await keytar.getPassword(testService, 'shared'), 'from keyring');
    assert.equal(entry.deleteCredential(), true);
  });

  it('withTarget: the target is a keychain of the keychain directory, apart from the default one', () => {
    const targeted = Entry.withTarget(testTarget, testService, testUser);
    targeted.setPassword(testPassword);
    assert.equal(targeted.getPassword(), testPassword);
    assert.ok(existsSync(join(home, 'data', 'secitem', `${testTarget}.keychain-db`)));
    assert.deepEqual(findCredentials(testService, testTarget), [{ account: testUser, password: testPassword }]);
    assert.equal(new Entry(testService, testUser).getPassword(), null);
    assert.deepEqual(findCredentials(testService), []);
    // 'default' is the default keychain, as Secret Service's alias is the default collection.
    Entry.withTarget('default', testService, testUser).setPassword('in default');
    assert.equal(new Entry(testService, testUser).getPassword(), 'in default');
    assert.equal(targeted.deleteCredential(), true);
    assert.equal(new Entry(testService, testUser).deleteCredential(), true);
  });
});

describe('AsyncEntry', () => {
  it('creates and gets a password back; findCredentialsAsync lists it', async () => {
    const entry = new AsyncEntry(testService, testUser);
    assert.equal(await entry.setPassword(testPassword), null);
    assert.equal(await entry.getPassword(), testPassword);
    assert.deepEqual(await findCredentialsAsync(testService), [{ account: testUser, password: testPassword }]);
    assert.equal(await entry.deleteCredential(), true);
    assert.equal(await entry.deleteCredential(), false);
    assert.equal(await entry.deletePassword(), false);
    assert.equal(await entry.getPassword(), null);
    assert.equal(await entry.getSecret(), null);
  });

  it('sets and gets secrets', async () => {
    const entry = new AsyncEntry(testService, testUser);
    assert.equal(await entry.setSecret(testSecret), null);
    assert.deepEqual(await entry.getSecret(), [...testSecret]);
    assert.equal(await entry.deletePassword(), true);
  });

  it('withTarget', async () => {
    const entry = AsyncEntry.withTarget(testTarget, testService, testUser);
    await entry.setPassword(testPassword);
    assert.equal(await entry.getPassword(), testPassword);
    assert.deepEqual(await findCredentialsAsync(testService, testTarget), [{ account: testUser, password: testPassword }]);
    assert.equal(await entry.deleteCredential(), true);
  });

  it('an aborted signal rejects with AbortError', async () => {
    const signal = AbortSignal.abort();
    const entry = new AsyncEntry(testService, testUser);
    for (const p of [entry.getPassword(signal), entry.setPassword('x', signal), entry.deleteCredential(signal), findCredentialsAsync(testService, null, signal)]) {
      await assert.rejects(p, (e: Error & { code?: string }) => e.message === 'AbortError' && e.code === 'Cancelled');
    }
    assert.equal(await entry.getPassword(), null);
  });

  it('100 Promises at once all resolve correctly', async () => {
    const entries = Array.from({ length: 100 }, (_, i) => new AsyncEntry('keyring concurrency', `user ${i}`));
    assert.deepEqual(await Promise.all(entries.map((e, i) => e.setPassword(`pw ${i}`))), entries.map(() => null));
    assert.deepEqual(await Promise.all(entries.map((e) => e.getPassword())), entries.map((_, i) => `pw ${i}`));
    assert.equal((await findCredentialsAsync('keyring concurrency')).length, 100);
    assert.ok((await Promise.all(entries.map((e) => e.deleteCredential()))).every((d) => d === true));
  });
});

describe('argument errors, as napi-rs throws them (synchronously, also for AsyncEntry)', () => {
  const stringExpected = (fn: () => unknown, shown: string) =>
    assert.throws(fn, (e: Error & { code?: string }) =>
      e.constructor === Error && e.code === 'StringExpected' && e.message === `Failed to convert JavaScript value \`${shown}\` into rust type \`String\``);

  it('a non-string service, username, target or password', () => {
    stringExpected(() => new Entry(loose(1), testUser), 'Number 1 ');
    stringExpected(() => new Entry(testService, loose(undefined)), 'Undefined');
    stringExpected(() => new AsyncEntry(loose(null), testUser), 'Null');
    stringExpected(() => new AsyncEntry(loose({ a: 1 }), testUser), 'Object {"a":1}');
    stringExpected(() => new Entry(loose(true), testUser), 'Boolean true ');
    stringExpected(() => Entry.withTarget(loose(5n), testService, testUser), 'BigInt 5 ');
    stringExpected(() => AsyncEntry.withTarget(testTarget, loose(function named() {}), testUser), 'function named(..) ');
    stringExpected(() => new Entry(testService, testUser).setPassword(loose(7)), 'Number 7 ');
    stringExpected(() => void new AsyncEntry(testService, testUser).setPassword(loose([1])), 'Object [1]');
    stringExpected(() => findCredentials(loose(1)), 'Number 1 ');
    stringExpected(() => findCredentials(testService, loose(2)), 'Number 2 ');
    stringExpected(() => void findCredentialsAsync(loose(undefined)), 'Undefined');
  });

  it('a secret that is not a typed array', () => {
    assert.throws(() => new Entry(testService, testUser).setSecret('text' as unknown as Uint8Array), (e: Error & { code?: string }) => e.code === 'InvalidArg');
    assert.throws(() => void new AsyncEntry(testService, testUser).setSecret([1, 2] as unknown as Uint8Array), (e: Error & { code?: string }) => e.code === 'InvalidArg');
  });
});
