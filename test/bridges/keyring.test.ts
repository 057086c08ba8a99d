/**
 * secitem/keyring against @napi-rs/keyring 2.x: its own test suite
 * (__test__/index.spec.ts) and its index.d.ts / src/*.rs behaviour: Entry
 * (synchronous) and AsyncEntry, withTarget, get/set/delete of passwords and
 * secrets, findCredentials and findCredentialsAsync, the napi-rs argument
 * errors, AbortSignal, many Promises at once.
 */
import { home } from './env.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

  it('a signal aborted before the task starts rejects it with AbortError', async () => {
    const abortError = (e: Error & { code?: string }) => e.constructor === Error && e.message === 'AbortError' && e.code === 'Cancelled' && e.name === 'AbortError';
    const entry = new AsyncEntry(testService, testUser);
    // Aborted right after the call, as napi-rs's documentation does it: the queued work is cancelled.
    const controller = new AbortController();
    const pending = [entry.setPassword('x', controller.signal), entry.setSecret(testSecret, controller.signal), entry.getPassword(controller.signal),
      entry.getSecret(controller.signal), entry.deleteCredential(controller.signal), entry.deletePassword(controller.signal),
      findCredentialsAsync(testService, undefined, controller.signal)];
    controller.abort();
    for (const p of pending) await assert.rejects(p, abortError);
    // Aborted already.
    const signal = AbortSignal.abort();
    for (const p of [entry.getPassword(signal), entry.setPassword('x', signal), entry.deleteCredential(signal), findCredentialsAsync(testService, null, signal)]) {
      await assert.rejects(p, abortError);
    }
    assert.equal(await entry.getPassword(), null, 'nothing ran');
    // Aborted once the task has run: nothing to cancel.
    const late = new AbortController();
    assert.equal(await entry.setPassword('kept', late.signal), null);
    late.abort();
    assert.equal(await entry.getPassword(), 'kept');
    assert.equal(await entry.deleteCredential(), true);
  });

  it('100 Promises at once all resolve correctly', async () => {
    const entries = Array.from({ length: 100 }, (_, i) => new AsyncEntry('keyring concurrency', `user ${i}`));
    assert.deepEqual(await Promise.all(entries.map((e, i) => e.setPassword(`pw ${i}`))), entries.map(() => null));
    assert.deepEqual(await Promise.all(entries.map((e) => e.getPassword())), entries.map((_, i) => `pw ${i}`));
    assert.equal((await findCredentialsAsync('keyring concurrency')).length, 100);
    assert.ok((await Promise.all(entries.map((e) => e.deleteCredential()))).every((d) => d === true));
  });
});

describe('what is stored and read', () => {
  it('getPassword is null for a secret that is not UTF-8 (keyring-core\'s BadEncoding); getSecret and findCredentials still read it', async () => {
    const entry = new Entry(testService, 'binary');
    entry.setSecret(new Uint8Array([0x61, 0xff, 0x62]));
    assert.equal(entry.getPassword(), null);
    assert.equal(await new AsyncEntry(testService, 'binary').getPassword(), null);
    assert.deepEqual(entry.getSecret(), [0x61, 0xff, 0x62]);
    assert.deepEqual(findCredentials(testService).find((c) => c.account === 'binary'), { account: 'binary', password: 'a\ufffdb' });
    // A lone surrogate is stored as napi stores it (U+FFFD); a leading BOM is kept.
    entry.setPassword('\ufeffbom \ud800');
    assert.equal(entry.getPassword(), '\ufeffbom \ufffd');
    assert.deepEqual(entry.getSecret(), [0xef, 0xbb, 0xbf, 0x62, 0x6f, 0x6d, 0x20, 0xef, 0xbf, 0xbd]);
    assert.equal(entry.deleteCredential(), true);
  });

  it('the target User is macOS\'s login keychain: the default one', () => {
    Entry.withTarget('User', testService, 'user target').setPassword('in login');
    assert.equal(new Entry(testService, 'user target').getPassword(), 'in login');
    assert.deepEqual(findCredentials(testService, 'user').filter((c) => c.account === 'user target'), [{ account: 'user target', password: 'in login' }]);
    assert.equal(AsyncEntry.withTarget('USER', testService, 'user target').constructor, AsyncEntry);
    assert.equal(new Entry(testService, 'user target').deleteCredential(), true);
  });

  it('reading a target nothing was written to makes no keychain', async () => {
    const file = join(home, 'data', 'secitem', 'never-written.keychain-db');
    const entry = Entry.withTarget('never-written', testService, testUser);
    assert.equal(entry.getPassword(), null);
    assert.equal(entry.getSecret(), null);
    assert.equal(entry.deleteCredential(), false);
    assert.deepEqual(findCredentials(testService, 'never-written'), []);
    assert.deepEqual(await findCredentialsAsync(testService, 'never-written'), []);
    assert.equal(await AsyncEntry.withTarget('never-written', testService, testUser).getPassword(), null);
    assert.equal(existsSync(file), false);
  });

  it('a keychain failure: thrown (rejected) by the setters as keyring-core\'s error through anyhow, null or false from the others', async () => {
    // A keychain with a password, whose password this process does not have: locked.
    const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'bin.js');
    const made = spawnSync(process.execPath, [cli, 'create-keychain', '-p', 'pw', 'locked'], { env: process.env, encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    const message = 'Platform secure storage failure: User interaction is not allowed.\n\nCaused by:\n    User interaction is not allowed.';
    const failed = (e: Error & { code?: string }) => e.constructor === Error && e.code === 'GenericFailure' && e.message === message;
    const entry = Entry.withTarget('locked', testService, testUser);
    assert.throws(() => entry.setPassword('secret never shown'), failed);
    assert.throws(() => entry.setSecret(testSecret), failed);
    assert.equal(entry.getPassword(), null);
    assert.equal(entry.deleteCredential(), false);
    const asyncEntry = AsyncEntry.withTarget('locked', testService, testUser);
    await assert.rejects(asyncEntry.setPassword('secret never shown'), failed);
    assert.equal(await asyncEntry.getSecret(), null);
    assert.equal(await asyncEntry.deletePassword(), false);
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
    // keyring-node builds napi-rs with napi3 only: no BigInt ValueType.
    stringExpected(() => Entry.withTarget(loose(5n), testService, testUser), 'Unknown');
    stringExpected(() => new Entry(testService, loose(Symbol('s'))), 'Symbol');
    stringExpected(() => new Entry(testService, loose(new String('boxed'))), 'Object "boxed"');
    stringExpected(() => AsyncEntry.withTarget(testTarget, loose(function named() {}), testUser), 'function named(..) ');
    stringExpected(() => new Entry(testService, testUser).setPassword(loose(7)), 'Number 7 ');
    stringExpected(() => void new AsyncEntry(testService, testUser).setPassword(loose([1])), 'Object [1]');
    stringExpected(() => findCredentials(loose(1)), 'Number 1 ');
    stringExpected(() => findCredentials(testService, loose(2)), 'Number 2 ');
    stringExpected(() => void findCredentialsAsync(loose(undefined)), 'Undefined');
  });

  const invalidArg = (fn: () => unknown, message: string) =>
    assert.throws(fn, (e: Error & { code?: string }) => e.constructor === Error && e.code === 'InvalidArg' && e.message === message);

  it('a secret that is not a Uint8Array: napi-rs\'s messages, its unexpanded `$name` included', () => {
    const entry = new Entry(testService, testUser);
    invalidArg(() => entry.setSecret('text' as unknown as Uint8Array), 'Get TypedArray info failed');
    invalidArg(() => void new AsyncEntry(testService, testUser).setSecret([1, 2] as unknown as Uint8Array), 'Get TypedArray info failed');
    invalidArg(() => entry.setSecret(new DataView(new ArrayBuffer(2)) as unknown as Uint8Array), 'Get TypedArray info failed');
    invalidArg(() => entry.setSecret(new ArrayBuffer(2) as unknown as Uint8Array), 'Get TypedArray info failed');
    invalidArg(() => entry.setSecret(new Int8Array(2) as unknown as Uint8Array), 'Expected $name, got 0');
    invalidArg(() => entry.setSecret(new Uint8ClampedArray(2) as unknown as Uint8Array), 'Expected $name, got 2');
    invalidArg(() => void new AsyncEntry(testService, testUser).setSecret(new Float64Array(1) as unknown as Uint8Array), 'Expected $name, got 8');
    assert.equal(entry.getPassword(), null, 'nothing was stored');
  });

  it('a signal that is not an object cannot be wrapped; an object that is no AbortSignal never aborts', async () => {
    const entry = new AsyncEntry(testService, testUser);
    invalidArg(() => void entry.getPassword('soon' as unknown as AbortSignal), 'Wrap AbortSignal failed');
    invalidArg(() => void findCredentialsAsync(testService, null, 1 as unknown as AbortSignal), 'Wrap AbortSignal failed');
    assert.equal(await entry.getPassword({ aborted: true } as unknown as AbortSignal), null);
  });

  it('the store refuses an empty service or username (macOS) or target (Secret Service), synchronously, after the conversions', () => {
    const refused = (fn: () => unknown, attribute: string) =>
      assert.throws(fn, (e: Error & { code?: string }) =>
        e.constructor === Error && e.code === 'GenericFailure' && e.message === `Attribute ${attribute} is invalid: cannot be empty`);
    refused(() => new Entry('', testUser), 'service');
    refused(() => new Entry(testService, ''), 'user');
    refused(() => new AsyncEntry('', ''), 'service');
    refused(() => Entry.withTarget('', testService, testUser), 'target');
    refused(() => AsyncEntry.withTarget('', '', ''), 'target');
    refused(() => Entry.withTarget(testTarget, testService, ''), 'user');
    stringExpected(() => new Entry('', loose(1)), 'Number 1 ');
    stringExpected(() => Entry.withTarget('', testService, loose(null)), 'Null');
    // The target refused does not stay behind for the next entry.
    const after = new Entry(testService, 'after refusal');
    after.setPassword('in default');
    assert.ok(findCredentials(testService).some((c) => c.account === 'after refusal'));
    assert.equal(after.deleteCredential(), true);
  });
});
