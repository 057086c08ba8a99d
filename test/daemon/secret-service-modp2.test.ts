/**
 * The dh-ietf1024 session's key agreement (modp2.ts, OpenSSL through
 * node:crypto) against the textbook arithmetic in BigInt and against node's
 * DiffieHellman group API, and its refusal of public values outside the
 * group.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createDiffieHellmanGroup, randomBytes } from 'node:crypto';
import { MODP2_BYTES, modp2KeyPair, modp2KeyPairAsync, modp2PeerKey, modp2SharedSecret } from '../../src/daemon/secret-service/modp2.js';
import { aesDecode, aesEncode, DH_AES, dhAesKey, openTransferSession } from '../../src/daemon/secret-service/session.js';

const P = BigInt(
  '0xFFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF',
);
function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}
const toBig = (bytes: Uint8Array) => (bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`));
const toBytes = (n: bigint, length = MODP2_BYTES) => Buffer.from(n.toString(16).padStart(length * 2, '0'), 'hex');
/** Big-endian bytes with no leading zero, as a client may send a public value. */
const minimal = (n: bigint) => {
  const hex = n.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
};

describe('modp2 key agreement (node:crypto KeyObjects)', () => {
  it('agrees with the BigInt arithmetic for random peers, short and high-bit public values included', () => {
    const ours = modp2KeyPair();
    assert.equal(ours.publicKey.length, MODP2_BYTES);
    const y = toBig(ours.publicKey);
    assert.ok(y > 1n && y < P - 1n);
    for (let i = 0; i < 8; i++) {
      const x = toBig(randomBytes(i < 4 ? 128 : 20)) % (P - 2n) + 1n;
      const peer = modPow(2n, x, P);
      const expected = toBytes(modPow(y, x, P));
      assert.deepEqual(modp2SharedSecret(ours.privateKey, toBytes(peer)), expected);
      assert.deepEqual(modp2SharedSecret(ours.privateKey, minimal(peer)), expected);
    }
  });

  it('known values: y = 2 gives our own public value, y = 4 its square, y = p − 2 gives ± our public value', () => {
    const ours = modp2KeyPair();
    const pub = toBig(ours.publicKey);
    assert.deepEqual(modp2SharedSecret(ours.privateKey, Buffer.from([2])), ours.publicKey);
    assert.deepEqual(modp2SharedSecret(ours.privateKey, Buffer.from([0, 0, 4])), toBytes((pub * pub) % P));
    // (p − 2)^x = (−2)^x = ±2^x: the high-bit INTEGER case with a known answer
    const minus2 = modp2SharedSecret(ours.privateKey, toBytes(P - 2n));
    assert.ok(toBig(minus2) === pub || toBig(minus2) === P - pub);
  });

  it("agrees with node's DiffieHellman group object in both directions (key pairs made on the spot and in the thread pool)", async () => {
    for (const ours of [modp2KeyPair(), await modp2KeyPairAsync()]) {
      const theirs = createDiffieHellmanGroup('modp2');
      const theirPublic = theirs.generateKeys();
      const a = modp2SharedSecret(ours.privateKey, theirPublic);
      const b = theirs.computeSecret(ours.publicKey);
      assert.deepEqual(a, toBytes(toBig(b)));
      assert.deepEqual(dhAesKey(a), dhAesKey(b));
    }
  });

  it('refuses 0, 1, p − 1, p and larger, empty and over-long values', () => {
    for (const bad of [Buffer.from([0]), Buffer.from([1]), Buffer.from([0, 1]), toBytes(P - 1n), toBytes(P), Buffer.alloc(MODP2_BYTES, 0xff)]) {
      assert.throws(() => modp2PeerKey(bad), /not in the group/);
    }
    assert.throws(() => modp2PeerKey(Buffer.alloc(0)), /not in the group/);
    assert.throws(() => modp2PeerKey(Buffer.concat([Buffer.from([1]), toBytes(5n)])), /longer than the modp2 group/);
  });

  it("takes a public value with leading zero bytes, as Java's BigInteger.toByteArray() sends one with the high bit set", () => {
    const ours = modp2KeyPair();
    const x = toBig(randomBytes(128)) % (P - 2n) + 1n;
    const expected = toBytes(modPow(toBig(ours.publicKey), x, P));
    const peer = toBytes(modPow(2n, x, P));
    assert.deepEqual(modp2SharedSecret(ours.privateKey, Buffer.concat([Buffer.from([0]), peer])), expected);
    assert.deepEqual(modp2SharedSecret(ours.privateKey, Buffer.concat([Buffer.alloc(40), peer])), expected);
  });

  it('a dh session carries a secret both ways (the client side in BigInt)', () => {
    const x = toBig(randomBytes(128)) % (P - 2n) + 1n;
    const opened = openTransferSession(DH_AES, toBytes(modPow(2n, x, P)));
    assert.ok(opened && Buffer.isBuffer(opened.output));
    const key = dhAesKey(toBytes(modPow(toBig(opened.output), x, P)));
    const secret = Buffer.from('sent over the bus');
    const sent = opened.session.encode(secret);
    assert.deepEqual(aesDecode(key, sent.parameters, sent.value), secret);
    const back = aesEncode(key, secret);
    assert.deepEqual(opened.session.decode(back.parameters, back.value), secret);
    assert.throws(() => openTransferSession(DH_AES, 'not bytes'), /not a byte array/);
  });
});
