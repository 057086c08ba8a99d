/**
 * secitem/keytar against keytar's own spec (atom/node-keytar spec/keytar-spec.js)
 * and its documented behaviour: every function, the argument checks of
 * lib/keytar.js and src/main.cc (class, message, thrown synchronously),
 * empty and non-ASCII values, many Promises at once, and the items it makes
 * (generic passwords of the default keychain, as the CLI sees them).
 */
import { defaultKeychain } from './env.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, it } from 'node:test';
import * as keytar from '../../src/bridges/keytar.js';
import { Entry } from '../../src/bridges/keyring.js';
import { openKeychain, kSecClass, kSecClassGenericPassword, kSecAttrService, kSecMatchLimit, kSecMatchLimitAll, kSecReturnAttributes, kSecReturnData } from '../../src/index.js';

const service = 'keytar tests';
const service2 = 'other tests';
const account = 'buster';
const password = 'secret';
const account2 = 'buster2';
const password2 = 'secret2';
const unicode = { service: 'se®vi\u00C7e', account: 'shi\u0191\u2020ke\u00A5', password: 'p\u00E5ssw\u00D8®\u2202' };

const object = {
  toString() {
    throw new Error('Whoops! Time to seg fault');
  },
};
const loose = keytar as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;

afterEach(async () => {
  for (const [s, a] of [[service, account], [service, account2], [service2, account], [unicode.service, unicode.account], [unicode.service, account2]] as const) {
    await keytar.deletePassword(s, a);
  }
});

describe('setPassword / getPassword', () => {
  it('sets and yields the password for the service and account', async () => {
    assert.equal(await keytar.setPassword(service, account, password), undefined);
    assert.equal(await keytar.getPassword(service, account), password);
    await keytar.setPassword(service, account, password2);
    assert.equal(await keytar.getPassword(service, account), password2);
  });

  it('yields null when the password was not found', async () => {
    assert.equal(await keytar.getPassword(service, account), null);
  });

  it('handles unicode strings everywhere', async () => {
    await keytar.setPassword(unicode.service, unicode.account, unicode.password);
    assert.equal(await keytar.getPassword(unicode.service, unicode.account), unicode.password);
  });

  it('keeps characters outside the BMP, newlines and NUL', async () => {
    const odd = '𝄞 emoji 😀\nline\u0000nul';
    await keytar.setPassword(service, account, odd);
    assert.equal(await keytar.getPassword(service, account), odd);
  });

  it('stores a generic password in the default keychain: svce, acct, UTF-8 data', async () => {
    await keytar.setPassword(unicode.service, unicode.account, unicode.password);
    assert.ok(existsSync(defaultKeychain));
    const kc = openKeychain({ path: defaultKeychain });
    try {
      const r = kc.client({ applicationIdentifier: 'test', keychainAccessGroups: ['*'] }).SecItemCopyMatching({
        [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: unicode.service, [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnAttributes]: true, [kSecReturnData]: true,
      });
      assert.equal(r.status, 0);
      const [item] = r.result as Record<string, unknown>[];
      assert.equal(item!['acct'], unicode.account);
      assert.deepEqual(Buffer.from(item!['v_Data'] as Uint8Array), Buffer.from(unicode.password, 'utf8'));
    } finally {
      kc.close();
    }
  });
});

describe('what keytar reads back', () => {
  it('keeps a leading BOM and reads bytes that are not UTF-8 with U+FFFD, as napi strings do', async () => {
    await keytar.setPassword(service, account, '\ufeffwith bom');
    assert.equal(await keytar.getPassword(service, account), '\ufeffwith bom');
    assert.deepEqual(await keytar.findCredentials(service), [{ account, password: '\ufeffwith bom' }]);
    new Entry(service, account).setSecret(new Uint8Array([0x61, 0xc3, 0x28]));
    assert.equal(await keytar.getPassword(service, account), 'a\ufffd(');
    assert.equal(await keytar.findPassword(service), 'a\ufffd(');
  });

  it('a keychain failure rejects with a plain Error carrying the status\'s message only', async () => {
    const cli = (...args: string[]) => {
      const r = spawnSync(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'bin.js'), ...args], { env: process.env, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    };
    // The default keychain: one with a password this process does not have, so locked.
    cli('create-keychain', '-p', 'pw', 'keytar-locked');
    cli('default-keychain', '-s', 'keytar-locked');
    try {
      await assert.rejects(keytar.setPassword(service, account, 'never shown'), (e: Error) =>
        e.constructor === Error && e.message === 'User interaction is not allowed.' && Object.keys(e).length === 0);
    } finally {
      cli('default-keychain', '-s', defaultKeychain);
    }
  });
});

describe('deletePassword', () => {
  it('yields true when the password was deleted', async () => {
    await keytar.setPassword(service, account, password);
    assert.equal(await keytar.deletePassword(service, account), true);
    assert.equal(await keytar.getPassword(service, account), null);
  });

  it("yields false when the password didn't exist", async () => {
    assert.equal(await keytar.deletePassword(service, account), false);
  });
});

describe('findPassword', () => {
  it('yields a password for the service', async () => {
    await keytar.setPassword(service, account, password);
    await keytar.setPassword(service, account2, password2);
    assert.ok([password, password2].includes((await keytar.findPassword(service))!));
  });

  it('yields null when no password can be found', async () => {
    assert.equal(await keytar.findPassword(service), null);
  });
});

describe('findCredentials', () => {
  const byAccount = (a: { account: string }, b: { account: string }) => a.account.localeCompare(b.account);

  it('yields an array of the credentials', async () => {
    await keytar.setPassword(service, account, password);
    await keytar.setPassword(service, account2, password2);
    await keytar.setPassword(service2, account, password);
    const found = (await keytar.findCredentials(service)).sort(byAccount);
    assert.deepEqual(found, [{ account, password }, { account: account2, password: password2 }]);
  });

  it('returns an empty array when no credentials are found', async () => {
    assert.deepEqual(await keytar.findCredentials(service), []);
  });

  it('handles unicode strings everywhere', async () => {
    await keytar.setPassword(unicode.service, unicode.account, unicode.password);
    await keytar.setPassword(unicode.service, account2, password2);
    const found = (await keytar.findCredentials(unicode.service)).sort(byAccount);
    assert.deepEqual(found, [{ account: account2, password: password2 }, { account: unicode.account, password: unicode.password }]);
  });
});

describe('argument checks (thrown synchronously, before any Promise)', () => {
  it('a missing or empty argument: Error("<Name> is required.")', () => {
    const required = (fn: () => unknown, message: string) => assert.throws(fn, (e: unknown) => e instanceof Error && e.constructor === Error && e.message === message);
    required(() => keytar.getPassword('', account), 'Service is required.');
    required(() => keytar.getPassword(service, ''), 'Account is required.');
    required(() => loose['getPassword']!(undefined, account), 'Service is required.');
    required(() => loose['getPassword']!(service, null), 'Account is required.');
    required(() => keytar.setPassword(service, account, ''), 'Password is required.');
    required(() => loose['setPassword']!(service, account), 'Password is required.');
    required(() => loose['setPassword']!(0, account, password), 'Service is required.');
    required(() => loose['setPassword']!([], account, password), 'Service is required.');
    required(() => keytar.deletePassword(service, ''), 'Account is required.');
    required(() => keytar.findPassword(''), 'Service is required.');
    required(() => keytar.findCredentials(''), 'Service is required.');
    // Each required argument is checked before any type.
    required(() => loose['setPassword']!(object, account, ''), 'Password is required.');
  });

  it('a non-string argument: TypeError("Parameter \'<name>\' must be a string")', () => {
    const typeError = (fn: () => unknown, message: string) => assert.throws(fn, (e: unknown) => e instanceof TypeError && e.message === message);
    typeError(() => loose['setPassword']!(object, account, password), "Parameter 'service' must be a string");
    typeError(() => loose['setPassword']!(service, object, password), "Parameter 'username' must be a string");
    typeError(() => loose['setPassword']!(service, account, object), "Parameter 'password' must be a string");
    typeError(() => loose['getPassword']!(object, account), "Parameter 'service' must be a string");
    typeError(() => loose['getPassword']!(service, object), "Parameter 'username' must be a string");
    typeError(() => loose['deletePassword']!(object, account), "Parameter 'service' must be a string");
    typeError(() => loose['deletePassword']!(service, object), "Parameter 'username' must be a string");
    typeError(() => loose['findPassword']!(object), "Parameter 'service' must be a string");
    typeError(() => loose['findCredentials']!(object), "Parameter 'service' must be a string");
    typeError(() => loose['getPassword']!(42, account), "Parameter 'service' must be a string");
    typeError(() => loose['getPassword']!(['s'], account), "Parameter 'service' must be a string");
    typeError(() => loose['setPassword']!(service, account, new String('x')), "Parameter 'password' must be a string");
  });
});

describe('concurrency', () => {
  it('100 Promises at once all resolve correctly', async () => {
    const n = 100;
    const s = 'keytar concurrency';
    await Promise.all(Array.from({ length: n }, (_, i) => keytar.setPassword(s, `account ${i}`, `password ${i} é`)));
    const got = await Promise.all(Array.from({ length: n }, (_, i) => keytar.getPassword(s, `account ${i}`)));
    assert.deepEqual(got, Array.from({ length: n }, (_, i) => `password ${i} é`));
    // Sets, gets, finds and deletes of the same account interleaved.
    const mixed = await Promise.all([
      ...Array.from({ length: n }, (_, i) => keytar.setPassword(s, 'shared', `v${i}`)),
      keytar.findCredentials(s),
    ]);
    assert.equal((mixed[n] as unknown[]).length, n + 1);
    assert.equal(await keytar.getPassword(s, 'shared'), `v${n - 1}`);
    const deleted = await Promise.all(Array.from({ length: n }, (_, i) => keytar.deletePassword(s, `account ${i}`)));
    assert.ok(deleted.every((d) => d === true));
    assert.deepEqual(await keytar.findCredentials(s), [{ account: 'shared', password: `v${n - 1}` }]);
    assert.equal(await keytar.deletePassword(s, 'shared'), true);
  });
});
