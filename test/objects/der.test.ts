/**
 * The DER reader's OBJECT IDENTIFIER text, checked against the arcs openssl
 * and X.660 give: small arcs take the number path, an arc past 2^46 the
 * BigInt path, and malformed content is refused.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DerError, oidToString } from '../../src/objects/der.js';

const oid = (hex: string): string => oidToString(Buffer.from(hex, 'hex'));

describe('oidToString', () => {
  it('reads the OIDs of X.509 and PKCS (first arcs 0, 1 and 2; multi-byte arcs)', () => {
    assert.equal(oid('2a864886f70d010101'), '1.2.840.113549.1.1.1'); // rsaEncryption
    assert.equal(oid('2a8648ce3d0201'), '1.2.840.10045.2.1'); // id-ecPublicKey
    assert.equal(oid('551d0e'), '2.5.29.14'); // subjectKeyIdentifier
    assert.equal(oid('0992268993f22c640119'), '0.9.2342.19200300.100.1.25'); // domainComponent
    assert.equal(oid('8837'), '2.999'); // a first subidentifier past 80
  });

  it('reads an arc larger than 2^53 exactly (the BigInt path)', () => {
    // 2.25.<a UUID as an integer>: X.667 OIDs have 128-bit arcs.
    const uuid = 0x0123456789abcdef0123456789abcdefn;
    const septets: number[] = [];
    for (let v = uuid; v > 0n; v >>= 7n) septets.unshift(Number(v & 0x7fn));
    const bytes = septets.map((s, i) => (i < septets.length - 1 ? s | 0x80 : s));
    assert.equal(oidToString(Uint8Array.from([0x69, ...bytes])), `2.25.${uuid}`);
  });

  it('refuses empty and truncated content', () => {
    assert.throws(() => oid(''), DerError);
    assert.throws(() => oid('2a8648ce'), DerError);
  });
});
