/**
 * What a SecKey is made of, and its byte forms: the key type and size of a
 * KeyObject, the external representations of reference §6.1 (EC
 * `04‖X‖Y[‖K]`, RSA PKCS#1 DER; RSA public also from X.509
 * SubjectPublicKeyInfo), and the public bytes whose SHA-1 is klbl.
 * Importers throw a SecError whose detail says what is wrong with the data,
 * never the data itself.
 * @module
 */
import { createECDH, createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { SecError, errSecParam } from '../status.js';

/** The NIST curves a SecKey can be on, with node's and noble's names for them. */
export interface CurveInfo {
  /** JWK `crv`. */
  readonly jwk: 'P-256' | 'P-384' | 'P-521';
  /** node's asymmetricKeyDetails.namedCurve. */
  readonly nodeName: string;
  /** kSecAttrKeySizeInBits. */
  readonly bits: 256 | 384 | 521;
  /** Field (and scalar) size in bytes: SecKeyGetBlockSize. */
  readonly size: number;
  readonly noble: typeof p256;
}

export const curves: readonly CurveInfo[] = [
  { jwk: 'P-256', nodeName: 'prime256v1', bits: 256, size: 32, noble: p256 },
  { jwk: 'P-384', nodeName: 'secp384r1', bits: 384, size: 48, noble: p384 },
  { jwk: 'P-521', nodeName: 'secp521r1', bits: 521, size: 66, noble: p521 },
];

/** What kind of key a KeyObject is. */
export type KeyShape = { type: 'ec'; curve: CurveInfo } | { type: 'rsa'; bits: number };

/** The shape of a public or private EC/RSA KeyObject; throws for any other key. */
export function shapeOf(key: KeyObject): KeyShape {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec') {
    const curve = curves.find((c) => c.nodeName === details.namedCurve);
    if (curve) return { type: 'ec', curve };
    throw new SecError(errSecParam, `EC curve ${String(details.namedCurve)} is not supported (P-256, P-384 and P-521 are)`);
  }
  if (key.asymmetricKeyType === 'rsa' && typeof details.modulusLength === 'number') {
    return { type: 'rsa', bits: details.modulusLength };
  }
  throw new SecError(errSecParam, `key type ${String(key.asymmetricKeyType)} is not supported (EC and RSA are)`);
}

/** SecKeyGetBlockSize: the EC field size or the RSA modulus size, in bytes. */
export function blockSizeOf(shape: KeyShape): number {
  return shape.type === 'ec' ? shape.curve.size : Math.ceil(shape.bits / 8);
}

/** kSecAttrKeySizeInBits: 256/384/521 for EC, the modulus bit length for RSA. */
export function bitsOf(shape: KeyShape): number {
  return shape.type === 'ec' ? shape.curve.bits : shape.bits;
}

function b64u(s: unknown): Buffer {
  return Buffer.from(String(s), 'base64url');
}

function padTo(bytes: Uint8Array, size: number): Buffer {
  if (bytes.length > size) throw new SecError(errSecParam, `value is ${bytes.length} bytes, more than ${size}`);
  return Buffer.concat([Buffer.alloc(size - bytes.length), bytes]);
}

/**
 * The public key's bytes (SecKeyCopyPublicBytes): EC `04‖X‖Y` (X9.63
 * uncompressed), RSA PKCS#1 RSAPublicKey DER. Also its external representation.
 */
export function publicBytes(publicKey: KeyObject): Uint8Array {
  const shape = shapeOf(publicKey);
  if (shape.type === 'rsa') return new Uint8Array(publicKey.export({ type: 'pkcs1', format: 'der' }));
  const jwk = publicKey.export({ format: 'jwk' });
  const size = shape.curve.size;
  return new Uint8Array(Buffer.concat([Buffer.of(4), padTo(b64u(jwk.x), size), padTo(b64u(jwk.y), size)]));
}

/** The private key's external representation: EC `04‖X‖Y‖K`, RSA PKCS#1 RSAPrivateKey DER. */
export function privateBytes(privateKey: KeyObject): Uint8Array {
  const shape = shapeOf(privateKey);
  if (shape.type === 'rsa') return new Uint8Array(privateKey.export({ type: 'pkcs1', format: 'der' }));
  const jwk = privateKey.export({ format: 'jwk' });
  const size = shape.curve.size;
  return new Uint8Array(
    Buffer.concat([Buffer.of(4), padTo(b64u(jwk.x), size), padTo(b64u(jwk.y), size), padTo(b64u(jwk.d), size)]),
  );
}

/** kSecAttrApplicationLabel: SHA-1 of the public bytes (reference §5.2). */
export function applicationLabel(publicKey: KeyObject): Uint8Array {
  return new Uint8Array(createHash('sha1').update(publicBytes(publicKey)).digest());
}

/** The private EC scalar K, padded to the field size (for noble). */
export function ecScalar(privateKey: KeyObject, curve: CurveInfo): Uint8Array {
  return new Uint8Array(padTo(b64u(privateKey.export({ format: 'jwk' }).d), curve.size));
}

/** The curve of an uncompressed point or `04‖X‖Y‖K` blob of `length` bytes. */
export function curveForLength(length: number, withScalar: boolean): CurveInfo | undefined {
  return curves.find((c) => length === (withScalar ? 3 : 2) * c.size + 1);
}

/** Checks `04‖X‖Y` is a point of `curve` (not the identity); throws a SecError otherwise. */
export function checkPoint(curve: CurveInfo, point: Uint8Array, what: string): void {
  if (point[0] !== 4) throw new SecError(errSecParam, `${what}: not an uncompressed X9.63 point (first byte must be 04)`);
  try {
    curve.noble.Point.fromBytes(point).assertValidity();
  } catch {
    throw new SecError(errSecParam, `${what}: the point is not on ${curve.jwk}`);
  }
}

function ecJwk(curve: CurveInfo, point: Uint8Array): { kty: 'EC'; crv: string; x: string; y: string } {
  const s = curve.size;
  return {
    kty: 'EC',
    crv: curve.jwk,
    x: Buffer.from(point.subarray(1, 1 + s)).toString('base64url'),
    y: Buffer.from(point.subarray(1 + s, 1 + 2 * s)).toString('base64url'),
  };
}

/** An EC public key from `04‖X‖Y`; the curve is chosen by the length (65, 97 or 133 bytes). */
export function importECPublic(data: Uint8Array): KeyObject {
  const what = 'EC public key creation from data failed';
  const curve = curveForLength(data.length, false);
  if (!curve) throw new SecError(errSecParam, `${what}: ${data.length} bytes is no uncompressed P-256, P-384 or P-521 point (65, 97 or 133 bytes)`);
  checkPoint(curve, data, what);
  return createPublicKey({ key: ecJwk(curve, data), format: 'jwk' });
}

/**
 * An EC public key from a point read back from an authenticated keychain
 * item: checked on the curve when the key was first made or imported, so
 * not again here (noble's check costs more than the rest of a lookup).
 */
export function importStoredECPublic(point: Uint8Array): KeyObject {
  const curve = curveForLength(point.length, false);
  if (!curve || point[0] !== 4) throw new SecError(errSecParam, `a stored EC key's point is not an uncompressed P-256, P-384 or P-521 point`);
  return createPublicKey({ key: ecJwk(curve, point), format: 'jwk' });
}

/** An EC private key from `04‖X‖Y‖K` (97, 145 or 199 bytes); K must be in [1, n−1] and match the point. */
export function importECPrivate(data: Uint8Array): KeyObject {
  const what = 'EC private key creation from data failed';
  const curve = curveForLength(data.length, true);
  if (!curve) throw new SecError(errSecParam, `${what}: ${data.length} bytes is no P-256, P-384 or P-521 04‖X‖Y‖K (97, 145 or 199 bytes)`);
  const point = data.subarray(0, 2 * curve.size + 1);
  const scalar = data.subarray(2 * curve.size + 1);
  checkPoint(curve, point, what);
  let derived: Uint8Array;
  try {
    // OpenSSL's point multiplication (some 30 µs) rather than noble's (some 700 µs): keys are read back from items often.
    const ecdh = createECDH(curve.nodeName);
    ecdh.setPrivateKey(Buffer.from(scalar));
    derived = ecdh.getPublicKey();
  } catch {
    throw new SecError(errSecParam, `${what}: the private scalar is out of range for ${curve.jwk}`);
  }
  if (!Buffer.from(derived).equals(Buffer.from(point))) {
    throw new SecError(errSecParam, `${what}: the public point does not belong to the private scalar`);
  }
  return createPrivateKey({ key: { ...ecJwk(curve, point), d: Buffer.from(scalar).toString('base64url') }, format: 'jwk' });
}

/** An RSA public key from PKCS#1 RSAPublicKey DER, or X.509 SubjectPublicKeyInfo DER. */
export function importRSAPublic(data: Uint8Array): KeyObject {
  const key = Buffer.from(data);
  for (const type of ['pkcs1', 'spki'] as const) {
    try {
      const k = createPublicKey({ key, format: 'der', type });
      if (k.asymmetricKeyType === 'rsa') return k;
    } catch {
      // try the next encoding
    }
  }
  throw new SecError(errSecParam, 'RSA public key creation from data failed: the data is neither a PKCS#1 RSAPublicKey nor an RSA SubjectPublicKeyInfo (DER)');
}

/** An RSA private key from PKCS#1 RSAPrivateKey DER. */
export function importRSAPrivate(data: Uint8Array): KeyObject {
  try {
    return createPrivateKey({ key: Buffer.from(data), format: 'der', type: 'pkcs1' });
  } catch {
    throw new SecError(errSecParam, 'RSA private key creation from data failed: the data is not a PKCS#1 RSAPrivateKey (DER)');
  }
}
