/**
 * Every failing call keeps its OSStatus and makes its reason reachable:
 * `error` in SecItemAdd / SecItemCopyMatching results, SecCopyLastError for
 * the calls that answer a bare OSStatus, and secCall's thrown SecError. The
 * reason names the offending key and never holds a secret.
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import {
  SecCopyLastError,
  SecError,
  secCall,
  errSecDuplicateItem,
  errSecItemNotFound,
  errSecMissingEntitlement,
  errSecNoSuchAttr,
  errSecParam,
  errSecSuccess,
  kSecClass,
  kSecClassGenericPassword,
  kSecAttrService,
  kSecMatchLimit,
  kSecValueData,
} from '../../src/index.js';
import { TempKeychain, utf8, type Client } from '../helpers.js';

describe('reasons users can read', () => {
  let tk: TempKeychain;
  let app: Client;
  beforeEach(() => {
    tk = new TempKeychain();
    app = tk.client();
  });
  afterEach(() => tk.cleanup());

  it('SecItemAdd with kSecValueData not data answers errSecParam with an `error` whose reason names kSecValueData', () => {
    const r = app.SecItemAdd({ [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 's', [kSecValueData]: 'a secret string' });
    assert.equal(r.status, errSecParam);
    assert.ok(r.error instanceof SecError);
    assert.equal(r.error.status, errSecParam);
    assert.match(r.error.detail ?? '', /kSecValueData \(v_Data\) must be data/);
    assert.ok(!r.error.message.includes('a secret string'), 'the value is never quoted');
  });

  it('secCall throws the call\'s own SecError: its detail is defined and names the key', () => {
    assert.throws(
      () => secCall(() => app.SecItemCopyMatching({ [kSecClass]: kSecClassGenericPassword, [kSecMatchLimit]: 1e300 })),
      (e: unknown) => e instanceof SecError && e.status === errSecParam && /kSecMatchLimit \(m_Limit\)/.test(e.detail ?? ''),
    );
  });

  it('kSecMatchLimit out of range (1e300, 2^53, -2, 1.5) is errSecParam, not an I/O error', () => {
    for (const limit of [1e300, 2 ** 53, -2, 1.5, Number.NaN]) {
      assert.equal(app.SecItemCopyMatching({ [kSecClass]: kSecClassGenericPassword, [kSecMatchLimit]: limit }).status, errSecParam, String(limit));
    }
  });

  it('SecItemUpdate and SecItemDelete answer a bare OSStatus; SecCopyLastError(status) gives its reason, and secCall throws it', () => {
    const status = app.SecItemUpdate({ [kSecClass]: kSecClassGenericPassword }, { nope: 1 });
    assert.equal(status, errSecNoSuchAttr);
    assert.match(SecCopyLastError(errSecNoSuchAttr)?.detail ?? '', /"nope"/);
    assert.equal(SecCopyLastError(errSecParam), undefined, 'only for the status it was recorded with');
    assert.throws(
      () => secCall(() => app.SecItemDelete({ [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'absent' })),
      (e: unknown) => e instanceof SecError && e.status === errSecItemNotFound && (e.detail ?? '').length > 0,
    );
  });

  it('a call that succeeds clears the last reason', () => {
    app.SecItemDelete({ [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'absent' });
    assert.ok(SecCopyLastError() !== undefined);
    assert.equal(app.SecItemAdd({ [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'here', [kSecValueData]: utf8('x') }).status, errSecSuccess);
    assert.equal(SecCopyLastError(), undefined);
  });

  it('errSecDuplicateItem names the attributes of the uniqueness constraint', () => {
    const item = { [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'dup', [kSecValueData]: utf8('x') };
    app.SecItemAdd(item);
    const r = app.SecItemAdd(item);
    assert.equal(r.status, errSecDuplicateItem);
    assert.match(r.error?.detail ?? '', /kSecAttrAccount \(acct\).*kSecAttrService \(svce\)/);
  });

  it('errSecMissingEntitlement names the access group the caller may not use', () => {
    const r = app.SecItemAdd({ [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'g', agrp: 'OTHER.group' });
    assert.equal(r.status, errSecMissingEntitlement);
    assert.match(r.error?.message ?? '', /OTHER\.group/);
  });

  it('an unknown attribute for the class is errSecNoSuchAttr naming the class and the key', () => {
    const r = app.SecItemAdd({ [kSecClass]: kSecClassGenericPassword, srvr: 'host' });
    assert.equal(r.status, errSecNoSuchAttr);
    assert.match(r.error?.detail ?? '', /kSecClassGenericPassword \(genp\) items have no attribute kSecAttrServer \(srvr\)/);
  });
});
