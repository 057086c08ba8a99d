/**
 * What `import` reads from a file that is not PKCS#12: certificates and
 * keys, as PEM blocks or one DER object, and the external representation
 * the engine's SecKeyCreateWithData takes for each key (EC `04‖X‖Y[‖K]`,
 * RSA PKCS#1). Pure node:crypto; nothing here touches a keychain.
 *
 * PEM labels: CERTIFICATE (also X509 / TRUSTED CERTIFICATE), PRIVATE KEY
 * (PKCS#8), ENCRYPTED PRIVATE KEY (PKCS#8 under the passphrase), EC PRIVATE
 * KEY (SEC 1), RSA PRIVATE KEY (PKCS#1), PUBLIC KEY (SubjectPublicKeyInfo),
 * RSA PUBLIC KEY (PKCS#1). Other blocks (parameters, CSRs) are skipped.
 * DER is guessed: a certificate, then PKCS#8, then SubjectPublicKeyInfo,
 * then SEC 1, PKCS#1 private and PKCS#1 public, then encrypted PKCS#8.
 * @module
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { isPem, pemBlocks } from './pem.js';
import { tryCertificateFacts } from './x509.js';

/** One object of an import file. */
export type Material =
  | { readonly kind: 'cert'; readonly der: Uint8Array }
  | { readonly kind: 'key'; readonly key: KeyObject; readonly isPrivate: boolean; readonly encoding: KeyEncoding };

/** How a key was written. */
export type KeyEncoding = 'pkcs8' | 'encrypted-pkcs8' | 'sec1' | 'pkcs1' | 'spki';

/** Why a file could not be read: undecodable data, or a key that needs the passphrase it was not given (or a wrong one). */
export class MaterialError extends Error {
  constructor(readonly reason: 'decode' | 'passphrase' | 'unsupported', message: string) {
    super(message);
  }
}

type Decoder = (der: Buffer, passphrase: string | undefined) => Material;

const privateKey = (type: 'pkcs8' | 'sec1' | 'pkcs1', encoding: KeyEncoding): Decoder => (der) => ({
  kind: 'key',
  key: createPrivateKey({ key: der, format: 'der', type }),
  isPrivate: true,
  encoding,
});

const publicKey = (type: 'spki' | 'pkcs1'): Decoder => (der) => ({
  kind: 'key',
  key: createPublicKey({ key: der, format: 'der', type }),
  isPrivate: false,
  encoding: type,
});

const certificate: Decoder = (der) => {
  if (tryCertificateFacts(der) === undefined) throw new MaterialError('decode', 'not a certificate');
  return { kind: 'cert', der: new Uint8Array(der) };
};

const encryptedPkcs8: Decoder = (der, passphrase) => {
  if (passphrase === undefined) throw new MaterialError('passphrase', 'an encrypted private key needs the passphrase (-P)');
  try {
    return { kind: 'key', key: createPrivateKey({ key: der, format: 'der', type: 'pkcs8', passphrase }), isPrivate: true, encoding: 'encrypted-pkcs8' };
  } catch {
    throw new MaterialError('passphrase', 'the passphrase does not decrypt the private key');
  }
};

const PEM_DECODERS: Readonly<Record<string, Decoder>> = {
  CERTIFICATE: certificate,
  'X509 CERTIFICATE': certificate,
  'TRUSTED CERTIFICATE': certificate,
  'PRIVATE KEY': privateKey('pkcs8', 'pkcs8'),
  'ENCRYPTED PRIVATE KEY': encryptedPkcs8,
  'EC PRIVATE KEY': privateKey('sec1', 'sec1'),
  'RSA PRIVATE KEY': privateKey('pkcs1', 'pkcs1'),
  'PUBLIC KEY': publicKey('spki'),
  'RSA PUBLIC KEY': publicKey('pkcs1'),
};

/** The DER guesses, in order. */
const DER_GUESSES: readonly Decoder[] = [
  certificate,
  privateKey('pkcs8', 'pkcs8'),
  publicKey('spki'),
  privateKey('sec1', 'sec1'),
  privateKey('pkcs1', 'pkcs1'),
  publicKey('pkcs1'),
];

function decodeOne(decoder: Decoder, der: Uint8Array, passphrase: string | undefined): Material {
  try {
    return decoder(Buffer.from(der), passphrase);
  } catch (error) {
    if (error instanceof MaterialError) throw error;
    throw new MaterialError('decode', 'the data does not decode');
  }
}

/** Whether a material may be read under the -f format (undefined: any). */
export function formatAllows(format: string | undefined, m: Material): boolean {
  switch (format) {
    case undefined:
    case 'pemseq':
      return true;
    case 'x509':
      return m.kind === 'cert';
    case 'pkcs8':
      return m.kind === 'key' && (m.encoding === 'pkcs8' || m.encoding === 'encrypted-pkcs8');
    case 'openssl':
      return m.kind === 'key';
    default:
      return false;
  }
}

/** Whether a material is of the -t type (undefined and agg: any). */
export function typeAllows(type: string | undefined, m: Material): boolean {
  switch (type) {
    case undefined:
    case 'agg':
      return true;
    case 'cert':
      return m.kind === 'cert';
    case 'priv':
      return m.kind === 'key' && m.isPrivate;
    case 'pub':
      return m.kind === 'key' && !m.isPrivate;
    default:
      return false;
  }
}

/**
 * Every certificate and key of a file, in file order. A DER file is one
 * object: the first guess that decodes and that `accepts` (the -f/-t
 * filter) wins. PEM blocks are read by their labels.
 * @throws MaterialError when nothing decodes, or an encrypted key cannot be opened
 */
export function readMaterial(bytes: Uint8Array, passphrase: string | undefined, accepts: (m: Material) => boolean): Material[] {
  if (isPem(bytes)) {
    const out: Material[] = [];
    for (const block of pemBlocks(bytes)) {
      const decoder = PEM_DECODERS[block.label];
      if (decoder !== undefined) out.push(decodeOne(decoder, block.der, passphrase));
    }
    return out;
  }
  for (const guess of [...DER_GUESSES, encryptedPkcs8]) {
    let m: Material;
    try {
      m = decodeOne(guess, bytes, passphrase);
    } catch (error) {
      if (guess === encryptedPkcs8 && error instanceof MaterialError && error.reason === 'passphrase' && passphrase !== undefined) throw error;
      continue;
    }
    if (accepts(m)) return [m];
  }
  return [];
}

/** kSecAttrKeyType of a key the engine takes: "73" (EC), "42" (RSA). */
export type EngineKeyType = '73' | '42';

const FIELD_SIZES: Readonly<Record<string, number>> = { 'P-256': 32, 'P-384': 48, 'P-521': 66 };

function fixed(b64url: string | undefined, size: number): Buffer {
  const b = Buffer.from(b64url ?? '', 'base64url');
  if (b.length > size) throw new MaterialError('decode', 'a key coordinate is longer than its field');
  return Buffer.concat([Buffer.alloc(size - b.length), b]);
}

/**
 * The external representation SecKeyCreateWithData takes (the inverse of
 * ../run/objects.ts keyObjectFromExternal): EC `04‖X‖Y` (+`‖K` for a
 * private key) on P-256, P-384 or P-521; RSA PKCS#1 DER.
 * @throws MaterialError('unsupported') for other algorithms and curves
 */
export function externalRepresentation(key: KeyObject, isPrivate: boolean): { type: EngineKeyType; data: Uint8Array } {
  if (key.asymmetricKeyType === 'rsa') {
    // RSAPrivateKey for a private key, RSAPublicKey for a public one.
    return { type: '42', data: new Uint8Array(key.export({ format: 'der', type: 'pkcs1' })) };
  }
  if (key.asymmetricKeyType === 'ec') {
    const jwk = key.export({ format: 'jwk' });
    const size = FIELD_SIZES[jwk.crv ?? ''];
    if (size === undefined) throw new MaterialError('unsupported', `EC curve ${String(jwk.crv)} is not supported (P-256, P-384, P-521)`);
    const parts = [Buffer.from([4]), fixed(jwk.x, size), fixed(jwk.y, size)];
    if (isPrivate) parts.push(fixed(jwk.d, size));
    return { type: '73', data: new Uint8Array(Buffer.concat(parts)) };
  }
  throw new MaterialError('unsupported', `${String(key.asymmetricKeyType)} keys are not supported (EC and RSA are)`);
}
