/**
 * The CLI's one door to the engine's certificate, key and identity objects
 * (src/objects/ and the SecCertificate*, SecKey*, SecIdentity* and
 * SecPKCS12Import functions), and the look-ups the certificate commands
 * share: every certificate, private key or identity of a keychain with what
 * the commands print (its DER, attributes, persistent reference).
 * @module
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import {
  SecCertificateCreateWithData,
  SecCertificateCopyData,
  SecIdentityCopyCertificate,
  SecIdentityCopyPrivateKey,
  SecKeyCopyAttributes,
  SecKeyCopyExternalRepresentation,
  SecKeyCreateWithData,
  SecPKCS12Import,
  errSecDecode,
  errSecParam,
  type SecCertificate,
  type SecIdentity,
  type SecKey,
  errSecItemNotFound,
  kSecClass,
  kSecMatchLimit,
  kSecMatchLimitAll,
  kSecReturnAttributes,
  kSecReturnData,
  kSecReturnPersistentRef,
  kSecReturnRef,
  kSecValueData,
  kSecValuePersistentRef,
  kSecValueRef,
  SecError,
} from '../../index.js';
import type { CliClient, KeychainTarget } from '../keychains.js';
import { RemoteIdentity } from '../../daemon/client.js';
import { resultItems } from './results.js';
import type { ItemRecord } from './results.js';

/** SecCertificateCreateWithData: the certificate object of DER bytes, or null when they are not a certificate. */
export function certificateFromDer(der: Uint8Array): unknown {
  try {
    return SecCertificateCreateWithData(der) ?? null;
  } catch (error) {
    if (error instanceof SecError) return null;
    throw error;
  }
}

/** SecCertificateCopyData. */
export function certificateDer(certificate: unknown): Uint8Array {
  return SecCertificateCopyData(certificate as SecCertificate);
}

/** SecIdentityCopyCertificate; an identity of secitemd's (RemoteIdentity) came with its certificate. */
export function identityCertificate(identity: unknown): unknown {
  if (identity instanceof RemoteIdentity && identity.certificate !== undefined) return identity.certificate;
  const r = SecIdentityCopyCertificate(identity as SecIdentity);
  if (r.status !== 0 || r.certificate === undefined) throw new SecError(r.status || errSecItemNotFound);
  return r.certificate;
}

/** SecIdentityCopyPrivateKey. */
export function identityPrivateKey(identity: unknown): unknown {
  const r = SecIdentityCopyPrivateKey(identity as SecIdentity);
  if (r.status !== 0 || r.privateKey === undefined) throw new SecError(r.status || errSecItemNotFound);
  return r.privateKey;
}

/** SecKeyCopyAttributes. */
export function keyAttributes(key: unknown): Record<string, unknown> {
  return SecKeyCopyAttributes(key as SecKey) ?? {};
}

function statusOfError(error: unknown): number {
  if (error instanceof SecError) return error.status;
  const s = (error as { status?: unknown; code?: unknown } | null)?.status ?? (error as { code?: unknown } | null)?.code;
  return typeof s === 'number' ? s : errSecParam;
}

/**
 * A key as a node KeyObject, from SecKeyCopyExternalRepresentation and
 * SecKeyCopyAttributes: RSA keys are PKCS#1, EC keys ANSI X9.63 (04‖X‖Y,
 * then ‖D for a private key).
 * @throws SecError when the key cannot be exported
 */
export function keyObjectOf(key: unknown): KeyObject {
  const r = SecKeyCopyExternalRepresentation(key as SecKey);
  if (r.value === undefined) throw new SecError(statusOfError(r.error));
  const attrs = keyAttributes(key);
  const isPrivate = Number(attrs['kcls']) === 1;
  const isEc = String(attrs['type']) === '73';
  return keyObjectFromExternal(r.value, isEc, isPrivate);
}

/** Apple's external representation of a key as a KeyObject. */
export function keyObjectFromExternal(bytes: Uint8Array, isEc: boolean, isPrivate: boolean): KeyObject {
  const buf = Buffer.from(bytes);
  if (!isEc) {
    return isPrivate
      ? createPrivateKey({ key: buf, format: 'der', type: 'pkcs1' })
      : createPublicKey({ key: buf, format: 'der', type: 'pkcs1' });
  }
  const sizes: Record<number, [string, number]> = { 32: ['P-256', 32], 48: ['P-384', 48], 66: ['P-521', 66] };
  const n = isPrivate ? (buf.length - 1) / 3 : (buf.length - 1) / 2;
  const curve = sizes[n];
  if (curve === undefined || buf[0] !== 4) throw new SecError(errSecDecode);
  const b64 = (b: Buffer): string => b.toString('base64url');
  const jwk = { kty: 'EC', crv: curve[0], x: b64(buf.subarray(1, 1 + n)), y: b64(buf.subarray(1 + n, 1 + 2 * n)) };
  return isPrivate
    ? createPrivateKey({ key: { ...jwk, d: b64(buf.subarray(1 + 2 * n)) }, format: 'jwk' })
    : createPublicKey({ key: jwk, format: 'jwk' });
}

/**
 * SecKeyCreateWithData: a key object from Apple's external representation
 * (kSecAttrKeyType "73" EC or "42" RSA; kSecAttrKeyClass "0" public, "1" private).
 */
export function keyFromExternal(data: Uint8Array, type: '73' | '42', isPrivate: boolean): { key?: unknown; status: number } {
  const r = SecKeyCreateWithData(data, { type, kcls: isPrivate ? '1' : '0' });
  return r.value !== undefined ? { key: r.value, status: 0 } : { status: statusOfError(r.error) };
}

/** What SecPKCS12Import gives for one identity. */
export interface ImportedIdentity {
  readonly identity: unknown;
  readonly chain: readonly unknown[];
  readonly label?: string;
}

/** SecPKCS12Import: the OSStatus and the identities of a PKCS#12 file. */
export function pkcs12Import(data: Uint8Array, passphrase: string): { status: number; items: ImportedIdentity[] } {
  const r = SecPKCS12Import(data, { passphrase });
  return { status: r.status, items: r.items ?? [] };
}

/** The client's SecKeyCreateRandomKey. */
export function createRandomKey(app: CliClient, parameters: Record<string, unknown>): { key?: unknown; status: number } {
  const r = app.SecKeyCreateRandomKey(parameters);
  return r.value !== undefined ? { key: r.value, status: 0 } : { status: statusOfError(r.error) };
}

/** SecItemAdd of an object (kSecValueRef) with extra attributes; the OSStatus. */
export function addRef(app: CliClient, ref: unknown, extra: ItemRecord = {}): number {
  return app.SecItemAdd({ ...extra, [kSecValueRef]: ref }).status;
}

/** An item of a listing: its attributes, data and persistent reference, and the keychain it is in. */
export interface Listed {
  readonly target: KeychainTarget;
  readonly attributes: ItemRecord;
  readonly data: Uint8Array;
  readonly persistentRef: Uint8Array;
}

/** Every item of a class matching `query` in one keychain, with data. */
export function listItems(app: CliClient, target: KeychainTarget, cls: string, query: ItemRecord = {}, withData = true): Listed[] {
  const { status, result } = app.SecItemCopyMatching({
    ...query,
    [kSecClass]: cls,
    [kSecReturnAttributes]: true,
    [kSecReturnPersistentRef]: true,
    ...(withData ? { [kSecReturnData]: true } : {}),
    [kSecMatchLimit]: kSecMatchLimitAll,
  });
  if (status === errSecItemNotFound) return [];
  if (status !== 0) throw new SecError(status);
  return resultItems(result).map((attributes) => ({
    target,
    attributes,
    data: attributes[kSecValueData] instanceof Uint8Array ? (attributes[kSecValueData] as Uint8Array) : new Uint8Array(0),
    persistentRef: attributes[kSecValuePersistentRef] as Uint8Array,
  }));
}

/** An identity of a keychain: the identity object, its certificate's DER and the joined attributes. */
export interface ListedIdentity {
  readonly target: KeychainTarget;
  readonly identity: unknown;
  readonly certificate: Uint8Array;
  readonly attributes: ItemRecord;
  /** With `withKeyData`: the private key's external representation (kSecReturnData of an identity), which an export needs. */
  readonly keyData?: Uint8Array;
}

/**
 * Every identity (kSecClassIdentity) of one keychain. `withKeyData` asks
 * for the private keys' data too (their access control then applies): an
 * export reads the key from it, in this process or through secitemd alike.
 */
export function listIdentities(app: CliClient, target: KeychainTarget, withKeyData = false): ListedIdentity[] {
  const { status, result } = app.SecItemCopyMatching({
    [kSecClass]: 'idnt',
    [kSecReturnAttributes]: true,
    [kSecReturnRef]: true,
    ...(withKeyData ? { [kSecReturnData]: true } : {}),
    [kSecMatchLimit]: kSecMatchLimitAll,
  });
  if (status === errSecItemNotFound) return [];
  if (status !== 0) throw new SecError(status);
  return resultItems(result).map((attributes) => {
    const identity = attributes[kSecValueRef];
    const keyData = attributes[kSecValueData];
    return { target, identity, certificate: certificateDer(identityCertificate(identity)), attributes, ...(keyData instanceof Uint8Array ? { keyData } : {}) };
  });
}

/** SecItemDelete of one item by its persistent reference. */
export function deleteByRef(app: CliClient, persistentRef: Uint8Array): number {
  return app.SecItemDelete({ [kSecValuePersistentRef]: persistentRef });
}
