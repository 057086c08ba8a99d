/**
 * Writes a PKCS#12 file the way `openssl pkcs12 -export` (OpenSSL 3) does by
 * default, so that every current reader opens it:
 *
 * - the certificates in a PBES2-encrypted SafeContents (PBKDF2 with
 *   HMAC-SHA256, AES-256-CBC), each private key in a PKCS#8 shrouded key
 *   bag under the same scheme, in a plain-data SafeContents;
 * - each identity's certificate and key carrying the same localKeyId (the
 *   SHA-1 of the certificate) and, when known, a friendlyName;
 * - an HMAC-SHA256 MAC over the authenticated safe, its key derived with
 *   the PKCS#12 KDF (RFC 7292 appendix B) from the BMPString passphrase;
 * - 2048 iterations for every derivation, random salts and IVs.
 *
 * The DER is built with der.ts: the structures are few and fixed.
 * @module
 */
import { createCipheriv, createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { bmpString, explicit, implicitOctets, integer, nullValue, octetString, oid, sequence, setOf } from './der.js';

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSHA256: '1.2.840.113549.2.9',
  aes256CBC: '2.16.840.1.101.3.4.1.42',
  sha256: '2.16.840.1.101.3.4.2.1',
  certBag: '1.2.840.113549.1.12.10.1.3',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
} as const;

/** The default iteration count of `openssl pkcs12 -export`. */
export const PKCS12_ITERATIONS = 2048;

/** One entry of a PKCS#12 file: a certificate (with its private key: an identity), or a key alone. */
export interface Pkcs12Entry {
  /** DER of the certificate; absent for a key without a certificate. */
  readonly certificate?: Uint8Array;
  readonly privateKey?: KeyObject;
  readonly friendlyName?: string;
}

/** RFC 7292 appendix B.2, with SHA-256 (u = 32, v = 64). */
export function pkcs12Kdf(password: Uint8Array, salt: Uint8Array, id: number, iterations: number, length: number): Buffer {
  const u = 32;
  const v = 64;
  const fill = (bytes: Uint8Array): Buffer => {
    if (bytes.length === 0) return Buffer.alloc(0);
    const n = v * Math.ceil(bytes.length / v);
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = bytes[i % bytes.length];
    return out;
  };
  const D = Buffer.alloc(v, id);
  const I = Buffer.concat([fill(salt), fill(password)]);
  const blocks: Buffer[] = [];
  for (let produced = 0; produced < length; produced += u) {
    let A = createHash('sha256').update(D).update(I).digest();
    for (let r = 1; r < iterations; r++) A = createHash('sha256').update(A).digest();
    blocks.push(A);
    const B = fill(A);
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = I[j + k] + B[k] + carry;
        I[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** The passphrase as the PKCS#12 KDF takes it: BMPString bytes with a terminating NUL pair. */
function bmpPassword(passphrase: string): Uint8Array {
  return Buffer.concat([Buffer.from(passphrase, 'utf16le').swap16(), Buffer.alloc(2)]);
}

interface Pbes2 {
  readonly algorithm: Uint8Array;
  readonly ciphertext: Uint8Array;
}

/** PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) encryption of `plain` under the UTF-8 passphrase. */
function pbes2Encrypt(plain: Uint8Array, passphrase: string, iterations: number): Pbes2 {
  const salt = randomBytes(8);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(Buffer.from(passphrase, 'utf8'), salt, iterations, 32, 'sha256');
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
  const algorithm = sequence(
    oid(OID.pbes2),
    sequence(
      sequence(oid(OID.pbkdf2), sequence(octetString(salt), integer(iterations), sequence(oid(OID.hmacWithSHA256), nullValue()))),
      sequence(oid(OID.aes256CBC), octetString(iv)),
    ),
  );
  return { algorithm, ciphertext };
}

function attributes(localKeyId: Uint8Array | undefined, friendlyName: string | undefined): Uint8Array[] {
  const attrs: Uint8Array[] = [];
  if (friendlyName !== undefined) attrs.push(sequence(oid(OID.friendlyName), setOf(bmpString(friendlyName))));
  if (localKeyId !== undefined) attrs.push(sequence(oid(OID.localKeyId), setOf(octetString(localKeyId))));
  return attrs;
}

function safeBag(bagId: string, value: Uint8Array, attrs: Uint8Array[]): Uint8Array {
  return sequence(oid(bagId), explicit(0, value), ...(attrs.length > 0 ? [setOf(...attrs)] : []));
}

/**
 * The PKCS#12 (PFX) DER of `entries`, protected by `passphrase` (may be
 * empty, as openssl's `-passout pass:`).
 */
export function writePkcs12(entries: readonly Pkcs12Entry[], passphrase: string, iterations = PKCS12_ITERATIONS): Uint8Array {
  const certBags: Uint8Array[] = [];
  const keyBags: Uint8Array[] = [];
  for (const [index, entry] of entries.entries()) {
    const paired = entry.certificate !== undefined && entry.privateKey !== undefined;
    // A lone key still needs an id; a certificate without a key gets none, as openssl's chain certificates.
    const localKeyId = paired
      ? createHash('sha1').update(entry.certificate!).digest()
      : entry.privateKey !== undefined
        ? Buffer.from(`Time ${index}`, 'latin1')
        : undefined;
    if (entry.certificate !== undefined) {
      const certBag = sequence(oid(OID.x509Certificate), explicit(0, octetString(entry.certificate)));
      certBags.push(safeBag(OID.certBag, certBag, attributes(paired ? localKeyId : undefined, entry.friendlyName)));
    }
    if (entry.privateKey !== undefined) {
      const pkcs8 = entry.privateKey.export({ format: 'der', type: 'pkcs8' });
      const { algorithm, ciphertext } = pbes2Encrypt(pkcs8, passphrase, iterations);
      keyBags.push(safeBag(OID.shroudedKeyBag, sequence(algorithm, octetString(ciphertext)), attributes(localKeyId, entry.friendlyName)));
    }
  }
  const contents: Uint8Array[] = [];
  if (certBags.length > 0) {
    const { algorithm, ciphertext } = pbes2Encrypt(sequence(...certBags), passphrase, iterations);
    const encryptedData = sequence(integer(0), sequence(oid(OID.data), algorithm, implicitOctets(0, ciphertext)));
    contents.push(sequence(oid(OID.encryptedData), explicit(0, encryptedData)));
  }
  if (keyBags.length > 0) contents.push(sequence(oid(OID.data), explicit(0, octetString(sequence(...keyBags)))));
  const authSafe = sequence(...contents);

  const macSalt = randomBytes(8);
  const macKey = pkcs12Kdf(bmpPassword(passphrase), macSalt, 3, iterations, 32);
  const mac = createHmac('sha256', macKey).update(authSafe).digest();
  const macData = sequence(sequence(sequence(oid(OID.sha256), nullValue()), octetString(mac)), octetString(macSalt), integer(iterations));
  return sequence(integer(3), sequence(oid(OID.data), explicit(0, octetString(authSafe))), macData);
}
