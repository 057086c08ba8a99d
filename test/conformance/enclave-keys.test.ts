/**
 * Secure Enclave keys: seed 000 "Keys Aren't Stored in the Secure Enclave"
 * and "Add-only Attributes"; seed 003 (CryptoKit SecureEnclave.P256 keys'
 * default AfterFirstUnlockThisDeviceOnly protection, an Always key for a
 * daemon before first unlock, a machine-identity CSR that openssl verifies).
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import {
  openKeychain,
  SecError,
  SecKey,
  SecAccessControlCreateWithFlags,
  SecKeyCreateSignature,
  SecKeyVerifySignature,
  SecKeyCopyPublicKey,
  SecKeyCopyExternalRepresentation,
  kSecKeyAlgorithmECDSASignatureMessageX962SHA256,
  kSecPrivateKeyAttrs,
  kSecClass,
  kSecClassKey,
  kSecAttrKeyType,
  kSecAttrKeyTypeECSECPrimeRandom,
  kSecAttrKeyTypeRSA,
  kSecAttrKeySizeInBits,
  kSecAttrTokenID,
  kSecAttrTokenIDSecureEnclave,
  kSecAttrIsPermanent,
  kSecAttrLabel,
  kSecAttrApplicationTag,
  kSecAttrAccessControl,
  kSecValueData,
  kSecAttrAccessible,
  kSecAttrAccessibleAlways,
  kSecAttrAccessibleAlwaysThisDeviceOnly,
  kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
  kSecAccessControlPrivateKeyUsage,
  kSecAccessControlUserPresence,
  kSecReturnRef,
  kSecReturnAttributes,
  kSecReturnData,
  kSecMatchLimit,
  kSecMatchLimitAll,
  errSecSuccess,
  errSecItemNotFound,
  errSecInteractionNotAllowed,
} from '../../src/index.js';
import { TempKeychain, type Client, type Dict, APP_ID, ok, expectStatus, array, bytes, dict, genp, genpWithData, tempDir, utf8, text } from '../helpers.js';
import { hex } from './identity-material.js';

const cleanups: (() => void)[] = [];
after(() => {
  for (const c of cleanups.reverse()) c();
});
function fresh(passcode?: string): TempKeychain {
  const tk = new TempKeychain(passcode);
  cleanups.push(() => tk.cleanup());
  return tk;
}

const ALG = kSecKeyAlgorithmECDSASignatureMessageX962SHA256;
const tag = (s: string) => utf8(s);

function enclaveKeyParams(t: string, extra: Dict = {}): Dict {
  return {
    [kSecAttrKeyType]: kSecAttrKeyTypeECSECPrimeRandom,
    [kSecAttrKeySizeInBits]: 256,
    [kSecAttrTokenID]: kSecAttrTokenIDSecureEnclave,
    [kSecPrivateKeyAttrs]: { [kSecAttrIsPermanent]: true, [kSecAttrApplicationTag]: tag(t), ...extra },
  };
}

function createEnclaveKey(app: Client, t: string, extra: Dict = {}): SecKey {
  const r = app.SecKeyCreateRandomKey(enclaveKeyParams(t, extra));
  assert.ok(r.value, `SecKeyCreateRandomKey (enclave): ${r.error?.message}`);
  return r.value;
}

function keyQuery(t: string, extra: Dict = {}): Dict {
  return { [kSecClass]: kSecClassKey, [kSecAttrApplicationTag]: tag(t), ...extra };
}

function signs(key: SecKey, data = utf8('to be signed')): boolean {
  const s = SecKeyCreateSignature(key, ALG, data);
  if (!s.value) return false;
  return SecKeyVerifySignature(SecKeyCopyPublicKey(key)!, ALG, data, s.value).value === true;
}

function throwsStatus(fn: () => unknown, status: number, what: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SecError, `${what}: expected a SecError, got ${String(e)}`);
    assert.equal(e.status, status, `${what}: status ${e.status}, want ${status}`);
    return true;
  });
}

// ── seed 000 "Keys Aren't Stored in the Secure Enclave" ──────────────────────

describe('seed 000 "Keys Aren\'t Stored in the Secure Enclave"', () => {
  it('an enclave key is an ordinary keychain item (class keys, tkid com.apple.setoken) whose private key cannot be exported', () => {
    const tk = fresh();
    const app = tk.client();
    const key = createEnclaveKey(app, 'se-item');
    const d = dict(ok(app.SecItemCopyMatching(keyQuery('se-item', { [kSecReturnAttributes]: true }))));
    assert.equal(d[kSecAttrTokenID], kSecAttrTokenIDSecureEnclave);
    assert.ok(existsSync(`${tk.path}.enclave`), 'the enclave file beside the keychain');
    assert.equal(statSync(`${tk.path}.enclave`).mode & 0o777, 0o600, 'enclave file 0600');
    assert.ok(SecKeyCopyExternalRepresentation(key).error, 'the private key cannot be exported');
    const found = ok(app.SecItemCopyMatching(keyQuery('se-item', { [kSecReturnRef]: true })));
    assert.ok(found instanceof SecKey);
    assert.ok(SecKeyCopyExternalRepresentation(found).error, 'nor when found in the keychain');
    assert.ok(signs(found), 'the key found signs');
  });

  it('the key lives in the database as a wrapped key: after a restart the item still signs with this device\'s enclave', () => {
    const tk = fresh();
    const key = createEnclaveKey(tk.client(), 'se-restart');
    const pub = SecKeyCopyExternalRepresentation(SecKeyCopyPublicKey(key)!).value!;
    tk.reopen();
    const found = ok(tk.client().SecItemCopyMatching(keyQuery('se-restart', { [kSecReturnRef]: true })));
    assert.ok(found instanceof SecKey);
    assert.equal(hex(SecKeyCopyExternalRepresentation(SecKeyCopyPublicKey(found)!).value!), hex(pub));
    assert.ok(signs(found));
  });

  it('a keychain copied (database + .devicekey, without .enclave) to another directory: its password items still read, its enclave keys are not found or cannot sign', () => {
    const tk = fresh();
    const app = tk.client();
    ok(app.SecItemAdd(genpWithData('copied-svc', 'acct', 'still-readable')));
    createEnclaveKey(app, 'se-copied');
    tk.kc.close();
    const dir = tempDir();
    cleanups.push(() => execFileSync('rm', ['-rf', dir]));
    const copy = join(dir, 'copy.keychain-db');
    copyFileSync(tk.path, copy);
    copyFileSync(`${tk.path}.devicekey`, `${copy}.devicekey`);
    for (const suffix of ['-wal', '-shm']) if (existsSync(tk.path + suffix)) copyFileSync(tk.path + suffix, copy + suffix);
    const kc2 = openKeychain({ path: copy });
    cleanups.push(() => kc2.close());
    const app2 = kc2.client({ applicationIdentifier: APP_ID });
    assert.equal(text(ok(app2.SecItemCopyMatching(genp('copied-svc', 'acct', { [kSecReturnData]: true })))), 'still-readable');
    const r = app2.SecItemCopyMatching(keyQuery('se-copied', { [kSecReturnRef]: true }));
    if (r.status === errSecSuccess) {
      assert.ok(r.result instanceof SecKey);
      assert.equal(signs(r.result), false, 'an enclave key of another device cannot sign');
    } else {
      expectStatus(r.status, errSecItemNotFound, 'the enclave key');
    }
  });

  it('"How much space does the SE have available to store keys?" is "complete nonsense": the enclave file keeps its size however many keys it protects, and every key is an item of the keychain database', () => {
    const tk = fresh();
    const app = tk.client();
    createEnclaveKey(app, 'se-space-0');
    const size = statSync(`${tk.path}.enclave`).size;
    for (let i = 1; i <= 12; i += 1) createEnclaveKey(app, `se-space-${i}`);
    assert.equal(statSync(`${tk.path}.enclave`).size, size, 'the enclave file did not grow');
    const all = app.SecItemCopyMatching({ [kSecClass]: kSecClassKey, [kSecAttrTokenID]: kSecAttrTokenIDSecureEnclave, [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnRef]: true });
    assert.equal(array(ok(all)).length, 13);
  });

  it('"If you erase the device then the key material needed to use the key is erased and so the key becomes permanently useless": without its enclave file a keychain\'s enclave keys are not found or cannot sign, also once a new enclave has made a key; its password items still read', () => {
    const tk = fresh();
    const app = tk.client();
    ok(app.SecItemAdd(genpWithData('erased-svc', 'acct', 'still-readable')));
    createEnclaveKey(app, 'se-erased');
    tk.kc.close();
    rmSync(`${tk.path}.enclave`);
    const unusable = (c: Client, when: string) => {
      const r = c.SecItemCopyMatching(keyQuery('se-erased', { [kSecReturnRef]: true }));
      if (r.status === errSecSuccess) {
        assert.ok(r.result instanceof SecKey);
        assert.equal(signs(r.result), false, `${when}: a key of the erased enclave signed`);
      } else {
        expectStatus(r.status, errSecItemNotFound, when);
      }
    };
    tk.reopen();
    const again = tk.client();
    unusable(again, 'after the erase');
    assert.equal(text(ok(again.SecItemCopyMatching(genp('erased-svc', 'acct', { [kSecReturnData]: true })))), 'still-readable');
    assert.ok(signs(createEnclaveKey(again, 'se-new')), 'a new enclave makes new keys');
    unusable(again, 'with a new enclave');
  });

  it('SecKeyCreateRandomKey with kSecAttrTokenIDSecureEnclave makes only P-256 keys (RSA is refused, nothing stored)', () => {
    const tk = fresh();
    const app = tk.client();
    const r = app.SecKeyCreateRandomKey({ ...enclaveKeyParams('se-rsa'), [kSecAttrKeyType]: kSecAttrKeyTypeRSA, [kSecAttrKeySizeInBits]: 2048 });
    assert.ok(r.error && !r.value, 'refused');
    assert.equal(app.SecItemCopyMatching({ [kSecClass]: kSecClassKey }).status, errSecItemNotFound);
  });
});

// ── seed 000 "Add-only Attributes" ───────────────────────────────────────────

describe('seed 000 "Add-only Attributes"', () => {
  it('SecItemUpdate of kSecAttrAccessControl on an enclave key fails and changes nothing', () => {
    const tk = fresh();
    const app = tk.client();
    createEnclaveKey(app, 'se-addonly');
    const before = dict(ok(app.SecItemCopyMatching(keyQuery('se-addonly', { [kSecReturnAttributes]: true }))));
    const { accessControl } = SecAccessControlCreateWithFlags(kSecAttrAccessibleAlwaysThisDeviceOnly, kSecAccessControlUserPresence | kSecAccessControlPrivateKeyUsage);
    const status = app.SecItemUpdate(keyQuery('se-addonly'), { [kSecAttrAccessControl]: accessControl });
    assert.notEqual(status, errSecSuccess, '"Calling SecItemUpdate with a new kSecAttrAccessControl won\'t work"');
    const afterAttrs = dict(ok(app.SecItemCopyMatching(keyQuery('se-addonly', { [kSecReturnAttributes]: true }))));
    assert.deepEqual(afterAttrs[kSecAttrAccessControl], before[kSecAttrAccessControl], 'access control unchanged');
    assert.equal(afterAttrs[kSecAttrAccessible], before[kSecAttrAccessible], 'pdmn unchanged');
    // Still usable without any user presence: the binding did not change.
    const found = ok(app.SecItemCopyMatching(keyQuery('se-addonly', { [kSecReturnRef]: true })));
    assert.ok(found instanceof SecKey && signs(found));
  });

  it('SecItemUpdate of kSecAttrAccessible cannot loosen the protection an enclave key is bound to: a WhenUnlocked key updated to Always still does not sign while locked', () => {
    const tk = fresh('1234');
    const app = tk.client();
    createEnclaveKey(app, 'se-pdmn'); // default binding: WhenUnlocked + PrivateKeyUsage
    const before = dict(ok(app.SecItemCopyMatching(keyQuery('se-pdmn', { [kSecReturnAttributes]: true }))));
    const status = app.SecItemUpdate(keyQuery('se-pdmn'), { [kSecAttrAccessible]: kSecAttrAccessibleAlways });
    const afterAttrs = dict(ok(app.SecItemCopyMatching(keyQuery('se-pdmn', { [kSecReturnAttributes]: true }))));
    assert.deepEqual(afterAttrs[kSecAttrAccessControl], before[kSecAttrAccessControl], `access control after an update answering ${status}`);
    expectStatus(tk.kc.lock(), errSecSuccess, 'lock');
    const r = app.SecItemCopyMatching(keyQuery('se-pdmn', { [kSecReturnRef]: true }));
    if (r.status === errSecSuccess) {
      assert.ok(r.result instanceof SecKey);
      assert.equal(signs(r.result), false, 'a WhenUnlocked enclave key signs while the keychain is locked');
    } else {
      expectStatus(r.status, errSecInteractionNotAllowed, 'reading the key while locked');
    }
  });

  it('the access control bound into an enclave key rules its use, not its item\'s attributes: a detour through kSecAttrTokenID (removed, kSecAttrAccessible loosened, restored) does not make a WhenUnlocked key sign while locked', () => {
    const tk = fresh('1234');
    const app = tk.client();
    createEnclaveKey(app, 'se-detour');
    const q = keyQuery('se-detour');
    for (const change of [{ [kSecAttrTokenID]: '' }, { [kSecAttrAccessible]: kSecAttrAccessibleAlways }, { [kSecAttrTokenID]: kSecAttrTokenIDSecureEnclave }]) {
      app.SecItemUpdate(q, change);
    }
    expectStatus(tk.kc.lock(), errSecSuccess, 'lock');
    const r = app.SecItemCopyMatching(keyQuery('se-detour', { [kSecReturnRef]: true }));
    if (r.status === errSecSuccess) {
      assert.ok(r.result instanceof SecKey);
      assert.equal(signs(r.result), false, 'the WhenUnlocked enclave key signed while the keychain is locked');
    } else {
      assert.notEqual(r.status, errSecSuccess);
    }
  });

  it('an enclave key item added again from its stored data (kSecReturnData) with a looser protection still answers to the protection bound into the key', () => {
    const tk = fresh('1234');
    const app = tk.client();
    createEnclaveKey(app, 'se-copy');
    const wrapped = bytes(ok(app.SecItemCopyMatching(keyQuery('se-copy', { [kSecReturnData]: true }))));
    ok(app.SecItemAdd({ [kSecClass]: kSecClassKey, [kSecAttrTokenID]: kSecAttrTokenIDSecureEnclave, [kSecAttrApplicationTag]: tag('se-copy-2'), [kSecAttrAccessible]: kSecAttrAccessibleAlways, [kSecValueData]: wrapped }));
    expectStatus(tk.kc.lock(), errSecSuccess, 'lock');
    const r = app.SecItemCopyMatching(keyQuery('se-copy-2', { [kSecReturnRef]: true }));
    expectStatus(r.status, errSecSuccess, 'an Always item is found while locked');
    assert.ok(r.result instanceof SecKey);
    assert.equal(signs(r.result), false, 'the copy of a WhenUnlocked enclave key signed while the keychain is locked');
  });

  it('a label (not add-only) of an enclave key can be updated', () => {
    const tk = fresh();
    const app = tk.client();
    createEnclaveKey(app, 'se-label');
    expectStatus(app.SecItemUpdate(keyQuery('se-label'), { [kSecAttrLabel]: 'renamed' }), errSecSuccess);
    assert.equal(dict(ok(app.SecItemCopyMatching(keyQuery('se-label', { [kSecReturnAttributes]: true }))))[kSecAttrLabel], 'renamed');
  });
});

// ── seed 003: CryptoKit SecureEnclave.P256 keys ──────────────────────────────

/** A keychain with a passcode, restarted: before first unlock. */
function beforeFirstUnlock(): TempKeychain {
  const tk = fresh('1234');
  tk.reopen();
  assert.equal(tk.kc.lockState, 'beforeFirstUnlock');
  return tk;
}

function verifiesWith(publicKeyDer: Uint8Array, data: Uint8Array, derSignature: Uint8Array): boolean {
  return verify('sha256', data, createPublicKey({ key: Buffer.from(publicKeyDer), format: 'der', type: 'spki' }), derSignature);
}

describe('seed 003: CryptoKit SecureEnclave.P256 keys', () => {
  it('SecureEnclave.P256.Signing.PrivateKey() is AfterFirstUnlockThisDeviceOnly: created before first unlock it fails with errSecInteractionNotAllowed (-25308)', () => {
    const tk = beforeFirstUnlock();
    const se = tk.kc.secureEnclave;
    throwsStatus(() => new se.P256.Signing.PrivateKey(), errSecInteractionNotAllowed, 'Signing');
    throwsStatus(() => new se.P256.KeyAgreement.PrivateKey(), errSecInteractionNotAllowed, 'KeyAgreement');
  });

  it('a CryptoKit key is no keychain item (the daemon of seed 003 avoids the keychain): making one adds no item; the app keeps its dataRepresentation', () => {
    const tk = fresh();
    const app = tk.client();
    const key = new tk.kc.secureEnclave.P256.Signing.PrivateKey();
    const agreement = new tk.kc.secureEnclave.P256.KeyAgreement.PrivateKey();
    assert.equal(agreement.publicKey.x963Representation.length, 65);
    expectStatus(app.SecItemCopyMatching({ [kSecClass]: kSecClassKey }).status, errSecItemNotFound, 'no key item');
    const restored = new tk.kc.secureEnclave.P256.Signing.PrivateKey({ dataRepresentation: key.dataRepresentation });
    assert.equal(hex(restored.publicKey.x963Representation), hex(key.publicKey.x963Representation));
  });

  it('the explicit default (AfterFirstUnlockThisDeviceOnly, no flags) fails the same way before first unlock, and works after the first unlock even when locked again', () => {
    const tk = beforeFirstUnlock();
    const se = tk.kc.secureEnclave;
    const { accessControl } = SecAccessControlCreateWithFlags(kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly, 0);
    throwsStatus(() => new se.P256.Signing.PrivateKey({ accessControl }), errSecInteractionNotAllowed, 'explicit default');
    expectStatus(tk.kc.unlock('1234'), errSecSuccess, 'unlock');
    expectStatus(tk.kc.lock(), errSecSuccess, 'lock');
    const key = new se.P256.Signing.PrivateKey();
    const data = utf8('after first unlock');
    assert.ok(verifiesWith(key.publicKey.derRepresentation, data, key.signature(data).derRepresentation));
  });

  it('"changing kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly to kSecAttrAccessibleAlways": the key is created and signs before first unlock (the daemon of seed 003); so with kSecAttrAccessibleAlwaysThisDeviceOnly', () => {
    for (const protection of [kSecAttrAccessibleAlways, kSecAttrAccessibleAlwaysThisDeviceOnly]) {
      const { accessControl } = SecAccessControlCreateWithFlags(protection, 0);
      const se = beforeFirstUnlock().kc.secureEnclave;
      const key = new se.P256.Signing.PrivateKey({ accessControl });
      const data = utf8('pre-login machine identity');
      assert.ok(verifiesWith(key.publicKey.derRepresentation, data, key.signature(data).derRepresentation), protection);
    }
  });

  it('an AlwaysThisDeviceOnly key signs, and comes back from its dataRepresentation, before first unlock', () => {
    const tk = beforeFirstUnlock();
    const se = tk.kc.secureEnclave;
    const { accessControl } = SecAccessControlCreateWithFlags(kSecAttrAccessibleAlwaysThisDeviceOnly, 0);
    const key = new se.P256.Signing.PrivateKey({ accessControl });
    const data = utf8('pre-login machine identity');
    const sig = key.signature(data);
    assert.equal(sig.rawRepresentation.length, 64);
    assert.ok(verifiesWith(key.publicKey.derRepresentation, data, sig.derRepresentation));
    assert.equal(key.publicKey.x963Representation.length, 65);
    assert.equal(key.publicKey.x963Representation[0], 0x04);
    // The key comes back from its dataRepresentation, still before first unlock.
    const again = new se.P256.Signing.PrivateKey({ dataRepresentation: key.dataRepresentation });
    assert.equal(hex(again.publicKey.x963Representation), hex(key.publicKey.x963Representation));
    assert.ok(verifiesWith(key.publicKey.derRepresentation, data, again.signature(data).derRepresentation));
  });

  it('an AfterFirstUnlockThisDeviceOnly key made earlier cannot be restored or used after a restart until the first unlock', () => {
    const tk = fresh('1234');
    const key = new tk.kc.secureEnclave.P256.Signing.PrivateKey();
    const rep = key.dataRepresentation;
    tk.reopen();
    throwsStatus(() => new tk.kc.secureEnclave.P256.Signing.PrivateKey({ dataRepresentation: rep }), errSecInteractionNotAllowed, 'restore before first unlock');
    expectStatus(tk.kc.unlock('1234'), errSecSuccess);
    const again = new tk.kc.secureEnclave.P256.Signing.PrivateKey({ dataRepresentation: rep });
    assert.equal(hex(again.publicKey.x963Representation), hex(key.publicKey.x963Representation));
  });

  it('a KeyAgreement key made with an Always access control agrees on the same secret as its peer before first unlock', () => {
    const tk = beforeFirstUnlock();
    const se = tk.kc.secureEnclave;
    const { accessControl } = SecAccessControlCreateWithFlags(kSecAttrAccessibleAlwaysThisDeviceOnly, 0);
    const a = new se.P256.KeyAgreement.PrivateKey({ accessControl });
    const b = new se.P256.KeyAgreement.PrivateKey({ accessControl });
    assert.equal(hex(a.sharedSecretFromKeyAgreement(b.publicKey.x963Representation)), hex(b.sharedSecretFromKeyAgreement(a.publicKey.x963Representation)));
  });

  it('a machine-identity CSR (CN=host-42,O=Example) signed by an enclave key verifies with `openssl req -verify` and carries that key', () => {
    const tk = beforeFirstUnlock();
    const se = tk.kc.secureEnclave;
    const { accessControl } = SecAccessControlCreateWithFlags(kSecAttrAccessibleAlwaysThisDeviceOnly, 0);
    const key = new se.P256.Signing.PrivateKey({ accessControl });
    const csr = se.createCertificateSigningRequest(key, 'CN=host-42,O=Example');
    assert.ok(csr instanceof Uint8Array && csr.length > 0);
    const dir = tempDir();
    cleanups.push(() => execFileSync('rm', ['-rf', dir]));
    const file = join(dir, 'host.csr.der');
    writeFileSync(file, csr);
    const r = spawnSync('openssl', ['req', '-inform', 'DER', '-in', file, '-verify', '-noout', '-subject'], { encoding: 'utf8' });
    assert.equal(r.status, 0, `openssl req -verify: ${r.stderr}`);
    assert.match(r.stdout + r.stderr, /verify OK/i);
    assert.match(r.stdout, /CN\s*=\s*host-42/);
    assert.match(r.stdout, /O\s*=\s*Example/);
    const pem = execFileSync('openssl', ['req', '-inform', 'DER', '-in', file, '-noout', '-pubkey'], { encoding: 'utf8' });
    const spki = createPublicKey(pem).export({ format: 'der', type: 'spki' });
    assert.equal(hex(spki), hex(key.publicKey.derRepresentation), 'the CSR holds the enclave key\'s public key');
  });

  it('a CSR of a default (AfterFirstUnlockThisDeviceOnly) key cannot be made before first unlock', () => {
    const tk = fresh('1234');
    const key = new tk.kc.secureEnclave.P256.Signing.PrivateKey();
    tk.reopen();
    const again = (() => {
      try {
        return new tk.kc.secureEnclave.P256.Signing.PrivateKey({ dataRepresentation: key.dataRepresentation });
      } catch {
        return undefined;
      }
    })();
    if (again) throwsStatus(() => tk.kc.secureEnclave.createCertificateSigningRequest(again, 'CN=host-42'), errSecInteractionNotAllowed, 'CSR');
  });
});

