/**
 * CryptoKit's SecureEnclave.P256 keys (seed 003) on the software enclave.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createECDH, createHash, verify } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { p256 } from '@noble/curves/nist.js';
import { tempDir } from '../helpers.js';
import { SoftwareEnclave } from '../../src/enclave/software-enclave.js';
import { secureEnclaveFor, secureEnclaveKeySecKey, SecureEnclaveSigningPrivateKey } from '../../src/enclave/cryptokit.js';
import { p256PublicKeyObject } from '../../src/enclave/enclave-sec-key.js';
import { LAContext } from '../../src/access/la-context.js';
import { SecAccessControlCreateWithFlags } from '../../src/secitem/access-control.js';
import { kSecAccessControlPrivateKeyUsage, kSecAccessControlUserPresence } from '../../src/constants.js';
import {
  SecError,
  errSecDecode,
  errSecInteractionNotAllowed,
  errSecItemNotFound,
  errSecParam,
  errSecUnimplemented,
  errSecUserCanceled,
} from '../../src/status.js';
import type { LockState, SecAccessControl } from '../../src/types.js';
import type { SecKey } from '../../src/objects/key.js';

function device(seed: number, state: LockState = 'unlocked') {
  const d = { enclave: SoftwareEnclave.fromKey(Buffer.alloc(32, seed)), state, lockState: () => d.state };
  return d;
}

function ac(protection: string, flags = 0): SecAccessControl {
  const { accessControl } = SecAccessControlCreateWithFlags(protection, flags);
  assert.ok(accessControl);
  return accessControl;
}

function throwsStatus(fn: () => unknown, status: number): void {
  assert.throws(fn, (e) => e instanceof SecError && e.status === status, `expected SecError ${status}`);
}

describe('CryptoKit SecureEnclave.P256', () => {
  it('the default access control is AfterFirstUnlockThisDeviceOnly: before first unlock the constructor throws errSecInteractionNotAllowed', () => {
    const d = device(1, 'beforeFirstUnlock');
    const se = secureEnclaveFor(d);
    throwsStatus(() => new se.P256.Signing.PrivateKey(), errSecInteractionNotAllowed);
    throwsStatus(() => new se.P256.KeyAgreement.PrivateKey(), errSecInteractionNotAllowed);
    d.state = 'locked'; // after first unlock, even locked
    const key = new se.P256.Signing.PrivateKey();
    assert.deepEqual({ ...key.accessControl }, { kind: 'SecAccessControl', protection: 'cku', flags: 0 });
    assert.equal(key.signature(new Uint8Array([1])).rawRepresentation.length, 64);
  });

  it('created with an Always access control it works before first unlock (the daemon of seed 003)', () => {
    const d = device(2, 'beforeFirstUnlock');
    const se = secureEnclaveFor(d);
    const key = new se.P256.Signing.PrivateKey({ accessControl: ac('dk') });
    const sig = key.signature(Buffer.from('machine identity'));
    assert.ok(verify('sha256', Buffer.from('machine identity'), { key: p256PublicKeyObject(key.publicKey.x963Representation), dsaEncoding: 'der' }, sig.derRepresentation));
    new se.P256.KeyAgreement.PrivateKey({ accessControl: ac('dku') });
  });

  it('a key made after first unlock cannot be used (nor restored) before the next first unlock', () => {
    const d = device(3);
    const se = secureEnclaveFor(d);
    const key = new se.P256.Signing.PrivateKey();
    d.state = 'beforeFirstUnlock'; // a restart
    throwsStatus(() => key.signature(new Uint8Array(1)), errSecInteractionNotAllowed);
    throwsStatus(() => new se.P256.Signing.PrivateKey({ dataRepresentation: key.dataRepresentation }), errSecInteractionNotAllowed);
    const whenUnlocked = ((d.state = 'unlocked'), new se.P256.Signing.PrivateKey({ accessControl: ac('aku') }));
    d.state = 'locked';
    throwsStatus(() => whenUnlocked.signature(new Uint8Array(1)), errSecInteractionNotAllowed);
  });

  it('signature(data) is ECDSA P-256 SHA-256: DER verifies with openssl, raw is r ‖ s of the same signature', () => {
    const se = secureEnclaveFor(device(4));
    const key = new se.P256.Signing.PrivateKey();
    const data = Buffer.from('hello enclave');
    const sig = key.signature(data);
    assert.equal(sig.rawRepresentation.length, 64);
    const parsed = p256.Signature.fromBytes(sig.derRepresentation, 'der');
    assert.deepEqual(Buffer.from(parsed.toBytes('compact')), Buffer.from(sig.rawRepresentation));
    assert.ok(p256.verify(sig.rawRepresentation, createHash('sha256').update(data).digest(), key.publicKey.x963Representation, { prehash: false, lowS: false }));
    const dir = tempDir();
    writeFileSync(join(dir, 'pub.pem'), key.publicKey.pemRepresentation);
    writeFileSync(join(dir, 'sig'), sig.derRepresentation);
    writeFileSync(join(dir, 'msg'), data);
    assert.match(execFileSync('openssl', ['dgst', '-sha256', '-verify', join(dir, 'pub.pem'), '-signature', join(dir, 'sig'), join(dir, 'msg')]).toString(), /Verified OK/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('publicKey: x963 (65 bytes), raw (64), DER SubjectPublicKeyInfo that openssl reads', () => {
    const se = secureEnclaveFor(device(5));
    const { publicKey } = new se.P256.KeyAgreement.PrivateKey();
    assert.equal(publicKey.x963Representation.length, 65);
    assert.equal(publicKey.x963Representation[0], 4);
    assert.deepEqual(publicKey.rawRepresentation, publicKey.x963Representation.slice(1));
    const dir = tempDir();
    writeFileSync(join(dir, 'pub.der'), publicKey.derRepresentation);
    const text = execFileSync('openssl', ['pkey', '-pubin', '-inform', 'DER', '-in', join(dir, 'pub.der'), '-noout', '-text']).toString();
    assert.match(text, /prime256v1|P-256/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('sharedSecretFromKeyAgreement agrees with the peer’s own ECDH', () => {
    const se = secureEnclaveFor(device(6));
    const key = new se.P256.KeyAgreement.PrivateKey();
    const peer = createECDH('prime256v1');
    peer.generateKeys();
    const ours = key.sharedSecretFromKeyAgreement(peer.getPublicKey());
    assert.deepEqual(Buffer.from(ours), peer.computeSecret(Buffer.from(key.publicKey.x963Representation)));
    throwsStatus(() => key.sharedSecretFromKeyAgreement(new Uint8Array(3)), errSecParam);
  });

  it('dataRepresentation restores the key on this device; on another device it is not found', () => {
    const d = device(7);
    const se = secureEnclaveFor(d);
    const key = new se.P256.Signing.PrivateKey({ accessControl: ac('aku', kSecAccessControlPrivateKeyUsage) });
    const restored = new se.P256.Signing.PrivateKey({ dataRepresentation: key.dataRepresentation });
    assert.deepEqual(restored.publicKey.x963Representation, key.publicKey.x963Representation);
    assert.deepEqual({ ...restored.accessControl }, { ...key.accessControl });
    const sig = restored.signature(new Uint8Array([9]));
    assert.ok(verify('sha256', new Uint8Array([9]), { key: p256PublicKeyObject(key.publicKey.x963Representation), dsaEncoding: 'der' }, sig.derRepresentation));
    const elsewhere = secureEnclaveFor(device(8));
    throwsStatus(() => new elsewhere.P256.Signing.PrivateKey({ dataRepresentation: key.dataRepresentation }), errSecItemNotFound);
    const damaged = key.dataRepresentation;
    damaged[damaged.length - 3]! ^= 0x40;
    throwsStatus(() => new se.P256.Signing.PrivateKey({ dataRepresentation: damaged }), errSecDecode);
    throwsStatus(() => new se.P256.Signing.PrivateKey({ dataRepresentation: key.dataRepresentation, accessControl: ac('dk') }), errSecParam);
  });

  it('a key whose access control needs user presence asks through its authenticationContext', () => {
    const se = secureEnclaveFor(device(9));
    const presence = ac('aku', kSecAccessControlPrivateKeyUsage + kSecAccessControlUserPresence);
    throwsStatus(() => new se.P256.Signing.PrivateKey({ accessControl: presence }).signature(new Uint8Array(1)), errSecInteractionNotAllowed);
    let answer = false;
    const reasons: string[] = [];
    const context = new LAContext({ userPresence: (r) => (reasons.push(r), answer) });
    const key = new se.P256.Signing.PrivateKey({ accessControl: presence, authenticationContext: context });
    throwsStatus(() => key.signature(new Uint8Array(1)), errSecUserCanceled);
    answer = true;
    assert.equal(key.signature(new Uint8Array(1)).rawRepresentation.length, 64);
    assert.equal(reasons.length, 2);
    context.interactionNotAllowed = true;
    throwsStatus(() => key.signature(new Uint8Array(1)), errSecInteractionNotAllowed);
    // the same rules when restored from its dataRepresentation
    const restored = new se.P256.KeyAgreement.PrivateKey({ dataRepresentation: key.dataRepresentation });
    throwsStatus(() => restored.sharedSecretFromKeyAgreement(restored.publicKey.x963Representation), errSecInteractionNotAllowed);
  });

  it('the constructor rejects what CryptoKit would not take', () => {
    const se = secureEnclaveFor(device(10));
    throwsStatus(() => new se.P256.Signing.PrivateKey({ accessControl: { kind: 'SecAccessControl', protection: 'zz', flags: 0 } as unknown as SecAccessControl }), errSecParam);
    throwsStatus(() => new se.P256.Signing.PrivateKey({ authenticationContext: {} as LAContext }), errSecParam);
    throwsStatus(() => new se.P256.Signing.PrivateKey({ dataRepresentation: 'x' as unknown as Uint8Array }), errSecParam);
    throwsStatus(() => new se.P256.Signing.PrivateKey({ accessControl: ac('aku', 2 ** 31) }), errSecParam);
  });

  it('createCertificateSigningRequest hands the builder a non-extractable SecKey whose signatures pass the key’s checks', () => {
    const d = device(11);
    const none = secureEnclaveFor(d);
    throwsStatus(() => none.createCertificateSigningRequest(new none.P256.Signing.PrivateKey(), 'CN=x'), errSecUnimplemented);
    let given: SecKey | undefined;
    const se = secureEnclaveFor({
      ...d,
      lockState: () => d.state,
      createCertificateSigningRequest: (k, subject) => {
        given = k;
        return new TextEncoder().encode(`csr for ${String(subject)}`);
      },
    });
    const key = new se.P256.Signing.PrivateKey();
    assert.equal(new TextDecoder().decode(se.createCertificateSigningRequest(key, 'CN=machine')), 'csr for CN=machine');
    assert.ok(given);
    assert.equal(given.privateAccess?.extractable, false);
    assert.equal(given.privateAccess?.tokenID, 'com.apple.setoken');
    assert.equal(given.privateAccess?.use((k) => k.asymmetricKeyType), 'ec');
    throwsStatus(() => se.createCertificateSigningRequest(new none.P256.Signing.PrivateKey(), 'CN=x'), errSecParam);
    throwsStatus(() => se.createCertificateSigningRequest(new se.P256.KeyAgreement.PrivateKey() as unknown as SecureEnclaveSigningPrivateKey, 'CN=x'), errSecParam);
    d.state = 'beforeFirstUnlock';
    throwsStatus(() => secureEnclaveKeySecKey(key).privateAccess!.use(() => 1), errSecInteractionNotAllowed);
  });
});
