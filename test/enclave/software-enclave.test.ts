/**
 * The software enclave: its file's rules, foreign blobs, add-only bindings,
 * that no private key byte is ever written anywhere, and that its
 * signatures and shared secrets agree with OpenSSL.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { createECDH, createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import { tempDir, filesUnder } from '../helpers.js';
import { SoftwareEnclave, SoftwareEnclaveFile, enclavePath } from '../../src/enclave/software-enclave.js';
import { enclaveSecKey, p256SpkiFromX963 } from '../../src/enclave/enclave-sec-key.js';
import { SECURE_ENCLAVE_TOKEN_ID } from '../../src/enclave/enclave.js';
import { SecError, errSecDecode, errSecInvalidKeychain, errSecItemNotFound, errSecParam } from '../../src/status.js';

const binding = { protection: 'aku', flags: 2 ** 30 } as const;

function expectSecError(fn: () => unknown, status: number, match?: RegExp): SecError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof SecError, `expected SecError ${status}, got ${String(caught)}`);
  assert.equal(caught.status, status, caught.message);
  if (match) assert.match(caught.message, match);
  return caught;
}

/** The private scalar, read through the enclave's own use() (test only). */
function scalarOf(enclave: SoftwareEnclave | SoftwareEnclaveFile, wrapped: Uint8Array): Buffer {
  const jwk = enclave.use(wrapped, (k) => k.export({ format: 'jwk' }));
  return Buffer.from(jwk.d!, 'base64url');
}

function pem(x963: Uint8Array): string {
  return createPublicKey({ key: Buffer.from(p256SpkiFromX963(x963)), format: 'der', type: 'spki' }).export({ format: 'pem', type: 'spki' }).toString();
}

describe('enclave file', () => {
  it('is created as a 0600 regular file owned by this user, beside the keychain', () => {
    const dir = tempDir();
    const file = enclavePath(join(dir, 'login.keychain-db'));
    assert.equal(file, join(dir, 'login.keychain-db.enclave'));
    SoftwareEnclave.create(file).close();
    const st = statSync(file);
    assert.ok(st.isFile());
    assert.equal(st.mode & 0o777, 0o600);
    if (process.getuid) assert.equal(st.uid, process.getuid());
    assert.equal(st.size, 32);
    rmSync(dir, { recursive: true, force: true });
  });

  it('create refuses a file already there (a planted enclave file is never adopted)', () => {
    const dir = tempDir();
    const file = join(dir, 'k.enclave');
    writeFileSync(file, Buffer.alloc(32, 7), { mode: 0o600 });
    expectSecError(() => SoftwareEnclave.create(file), errSecInvalidKeychain, /already exists/);
    assert.deepEqual(readFileSync(file), Buffer.alloc(32, 7));
    rmSync(dir, { recursive: true, force: true });
  });

  it('open refuses a file others may read, a symbolic link, a directory, a damaged file', () => {
    const dir = tempDir();
    const file = join(dir, 'k.enclave');
    SoftwareEnclave.create(file).close();
    chmodSync(file, 0o644);
    expectSecError(() => SoftwareEnclave.open(file), errSecInvalidKeychain, /mode 644/);
    chmodSync(file, 0o600);
    SoftwareEnclave.open(file).close();
    const link = join(dir, 'link.enclave');
    symlinkSync(file, link);
    expectSecError(() => SoftwareEnclave.open(link), errSecInvalidKeychain, /symbolic link/);
    const sub = join(dir, 'dir.enclave');
    mkdirSync(sub, { mode: 0o700 });
    expectSecError(() => SoftwareEnclave.open(sub), errSecInvalidKeychain, /not a regular file/);
    const short = join(dir, 'short.enclave');
    writeFileSync(short, Buffer.alloc(31), { mode: 0o600 });
    expectSecError(() => SoftwareEnclave.open(short), errSecInvalidKeychain, /damaged/);
    expectSecError(() => SoftwareEnclave.open(join(dir, 'absent.enclave')), errSecInvalidKeychain, /cannot be read/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('the lazy enclave makes its file with the first key, and never for a use', () => {
    const dir = tempDir();
    const file = join(dir, 'k.enclave');
    const lazy = new SoftwareEnclaveFile(file);
    const other = SoftwareEnclave.fromKey(Buffer.alloc(32, 1)).createKey(binding);
    expectSecError(() => lazy.sign(other.wrapped, Buffer.from('x')), errSecItemNotFound, /no enclave/);
    assert.equal(existsSync(file), false);
    const k = lazy.createKey(binding);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const again = new SoftwareEnclaveFile(file);
    assert.equal(again.sign(k.wrapped, Buffer.from('x')).length > 0, true);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('wrapped enclave keys', () => {
  it('a key from another enclave is not found (errSecItemNotFound), a damaged blob does not decode', () => {
    const a = SoftwareEnclave.fromKey(Buffer.alloc(32, 1));
    const b = SoftwareEnclave.fromKey(Buffer.alloc(32, 2));
    const k = a.createKey(binding);
    expectSecError(() => b.sign(k.wrapped, Buffer.from('m')), errSecItemNotFound, /another device/);
    expectSecError(() => b.deriveSharedSecret(k.wrapped, k.publicKeyX963), errSecItemNotFound);
    expectSecError(() => b.inspect(k.wrapped), errSecItemNotFound);
    const damaged = Uint8Array.from(k.wrapped);
    damaged[damaged.length - 1]! ^= 1;
    expectSecError(() => a.sign(damaged, Buffer.from('m')), errSecDecode);
    expectSecError(() => a.sign(k.wrapped.subarray(0, 40), Buffer.from('m')), errSecDecode);
    expectSecError(() => a.sign(Buffer.from('not a key'), Buffer.from('m')), errSecDecode);
  });

  it('the access control bound into a blob is add-only: editing its flags or class makes it unusable', () => {
    const e = SoftwareEnclave.fromKey(Buffer.alloc(32, 3));
    const k = e.createKey({ protection: 'aku', flags: 2 ** 30 + 1 });
    assert.deepEqual({ ...e.inspect(k.wrapped), publicKeyX963: undefined }, { protection: 'aku', flags: 2 ** 30 + 1, publicKeyX963: undefined });
    // flags sit right after "SEK1" ‖ id (16) ‖ len (1) ‖ "aku"
    const flagsAt = 4 + 16 + 1 + 3;
    const noPresence = Uint8Array.from(k.wrapped);
    Buffer.from(noPresence.buffer).writeUInt32BE(2 ** 30, flagsAt);
    assert.equal(e.inspect(noPresence).flags, 2 ** 30, 'the edit is read back…');
    expectSecError(() => e.sign(noPresence, Buffer.from('m')), errSecDecode, /access control/);
    const always = Uint8Array.from(k.wrapped);
    Buffer.from(always.buffer).write('dku', 4 + 16 + 1, 'latin1');
    expectSecError(() => e.sign(always, Buffer.from('m')), errSecDecode);
  });

  it('createKey checks its binding', () => {
    const e = SoftwareEnclave.fromKey(Buffer.alloc(32, 3));
    expectSecError(() => e.createKey({ protection: 'nope' as 'ak', flags: 0 }), errSecParam);
    expectSecError(() => e.createKey({ protection: 'ak', flags: 3 * 2 ** 2 }), errSecParam);
  });

  it('no private key byte is written: not in the enclave file, not in the blob, not anywhere in the directory', () => {
    const dir = tempDir();
    const file = join(dir, 'login.keychain-db.enclave');
    const e = SoftwareEnclave.create(file);
    const keys = Array.from({ length: 8 }, () => e.createKey(binding));
    for (const [i, k] of keys.entries()) writeFileSync(join(dir, `blob${i}`), k.wrapped);
    const files = filesUnder(dir).map((f) => readFileSync(f));
    for (const k of keys) {
      const d = scalarOf(e, k.wrapped);
      assert.equal(d.length, 32);
      const der = e.use(k.wrapped, (key) => key.export({ format: 'der', type: 'pkcs8' }));
      for (const bytes of files) {
        // any 8-byte window of the scalar would do; check several
        for (let at = 0; at + 8 <= 32; at += 4) assert.equal(bytes.indexOf(d.subarray(at, at + 8)), -1, 'a piece of the private scalar was written');
        assert.equal(bytes.indexOf(der), -1);
      }
      assert.equal(Buffer.from(k.wrapped).indexOf(d.subarray(0, 8)), -1);
    }
    e.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('signatures verify with openssl dgst -sha256 -verify on the public key PEM', () => {
    const dir = tempDir();
    const e = SoftwareEnclave.fromKey(Buffer.alloc(32, 4));
    const k = e.createKey(binding);
    const msg = Buffer.from('the machine identity of seed 003');
    writeFileSync(join(dir, 'pub.pem'), pem(k.publicKeyX963));
    writeFileSync(join(dir, 'msg'), msg);
    writeFileSync(join(dir, 'sig'), e.sign(k.wrapped, msg));
    const out = execFileSync('openssl', ['dgst', '-sha256', '-verify', join(dir, 'pub.pem'), '-signature', join(dir, 'sig'), join(dir, 'msg')]).toString();
    assert.match(out, /Verified OK/);
    // signDigest over SHA-256(msg) is the same kind of signature
    const digest = execFileSync('openssl', ['dgst', '-sha256', '-binary', join(dir, 'msg')]);
    writeFileSync(join(dir, 'sig2'), e.signDigest(k.wrapped, digest));
    assert.match(execFileSync('openssl', ['dgst', '-sha256', '-verify', join(dir, 'pub.pem'), '-signature', join(dir, 'sig2'), join(dir, 'msg')]).toString(), /Verified OK/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('ECDH matches openssl pkeyutl -derive', () => {
    const dir = tempDir();
    const e = SoftwareEnclave.fromKey(Buffer.alloc(32, 5));
    const k = e.createKey(binding);
    const peer = createECDH('prime256v1');
    peer.generateKeys();
    const peerKey = createPublicKey({ key: Buffer.from(p256SpkiFromX963(peer.getPublicKey())), format: 'der', type: 'spki' });
    // openssl needs the peer's private key: build its PEM from the raw scalar
    const d = peer.getPrivateKey();
    const peerPriv = Buffer.concat([Buffer.from('308141020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420', 'hex'), Buffer.alloc(32 - d.length), d]);
    writeFileSync(join(dir, 'peer.der'), peerPriv, { mode: 0o600 });
    writeFileSync(join(dir, 'enclave.pem'), pem(k.publicKeyX963));
    const expected = execFileSync('openssl', ['pkeyutl', '-derive', '-keyform', 'DER', '-inkey', join(dir, 'peer.der'), '-peerkey', join(dir, 'enclave.pem')]);
    const ours = e.deriveSharedSecret(k.wrapped, peer.getPublicKey());
    assert.equal(Buffer.from(ours).toString('hex'), expected.toString('hex'));
    assert.ok(peerKey.asymmetricKeyType === 'ec');
    expectSecError(() => e.deriveSharedSecret(k.wrapped, new Uint8Array(65)), errSecParam);
    const offCurve = Uint8Array.from(peer.getPublicKey());
    offCurve[64]! ^= 1;
    expectSecError(() => e.deriveSharedSecret(k.wrapped, offCurve), errSecParam);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('enclaveSecKey', () => {
  it('is a non-extractable Secure Enclave private key whose use goes through authorize and the enclave', () => {
    const e = SoftwareEnclave.fromKey(Buffer.alloc(32, 6));
    const k = e.createKey(binding);
    let asked = 0;
    const key = enclaveSecKey(e, k.wrapped, { publicKeyX963: k.publicKeyX963, authorize: () => void asked++ });
    const access = key.privateAccess!;
    assert.equal(access.extractable, false);
    assert.equal(access.tokenID, SECURE_ENCLAVE_TOKEN_ID);
    assert.equal(access.use((pk) => pk.asymmetricKeyType), 'ec');
    assert.equal(asked, 1);
    assert.equal(Buffer.from(key.publicKeyObject.export({ format: 'der', type: 'spki' })).toString('hex'), Buffer.from(p256SpkiFromX963(k.publicKeyX963)).toString('hex'));
    const refusing = enclaveSecKey(e, k.wrapped, { publicKeyX963: k.publicKeyX963, authorize: () => { throw new SecError(-25308); } });
    expectSecError(() => refusing.privateAccess!.use(() => 1), -25308);
    const other = e.createKey(binding);
    expectSecError(() => enclaveSecKey(e, k.wrapped, { publicKeyX963: other.publicKeyX963 }), errSecDecode);
    expectSecError(() => enclaveSecKey(SoftwareEnclave.fromKey(Buffer.alloc(32, 9)), k.wrapped, { publicKeyX963: k.publicKeyX963 }), errSecItemNotFound);
  });
});
