/**
 * A keychain client's SecKeyCreateRandomKey: software keys (EC, RSA) and
 * Secure Enclave keys (kSecAttrTokenID = kSecAttrTokenIDSecureEnclave),
 * stored when kSecAttrIsPermanent asks (Apple's SecKey.m add_key: by
 * kSecValueRef, with the half's attribute sub-dictionary). An enclave key
 * is made inside the enclave, bound to its access control; the keychain
 * keeps only the wrapped form (seed "Keys Aren't Stored in the Secure Enclave").
 * @module
 */
import { createPublicKey } from 'node:crypto';
import { SecError, errSecParam } from '../status.js';
import { kSecAccessControlPrivateKeyUsage } from '../constants.js';
import { SECURE_ENCLAVE_TOKEN_ID, type Enclave } from '../enclave/enclave.js';
import { enclaveSecKey } from '../enclave/enclave-sec-key.js';
import { SecKey } from '../objects/key.js';
import { generateKeyPair, parseKeyParameters, SecKeyCopyPublicKey, type SecResult } from '../objects/key-functions.js';
import { isProtectionClass, type ProtectionClass } from '../schema/protection.js';
import { isAccessControl } from '../schema/values.js';
import type { LockState, SecAccessControl, SecDictionary } from '../types.js';
import { add } from './add.js';
import { guardKey } from './authorization.js';
import type { ClientContext, Engine } from './context.js';

/** What the keychain gives key creation: its enclave, and a record of the enclave keys' wrapped forms. */
export interface KeyDevice {
  readonly enclave: Enclave;
  readonly lockState: () => LockState;
  /** Remembers an enclave key's wrapped form (what its item stores). */
  remember(key: SecKey, wrapped: Uint8Array): void;
  /** An enclave key's wrapped form, or undefined for another key. */
  wrappedOf(key: SecKey): Uint8Array | undefined;
}

/** The access control an enclave key is bound to: the one given, else WhenUnlocked with PrivateKeyUsage. */
function enclaveBinding(attrs: Record<string, unknown>): SecAccessControl {
  const given = attrs['accc'];
  if (given !== undefined) {
    if (!isAccessControl(given)) throw new SecError(errSecParam, 'kSecAttrAccessControl (accc) must be a SecAccessControl from SecAccessControlCreateWithFlags');
    return given;
  }
  const pdmn = attrs['pdmn'];
  const protection: ProtectionClass = isProtectionClass(pdmn) ? pdmn : 'ak';
  return Object.freeze({ kind: 'SecAccessControl', protection, flags: kSecAccessControlPrivateKeyUsage });
}

function makeEnclaveKey(device: KeyDevice, type: string, bits: number, attrs: Record<string, unknown>): { key: SecKey; binding: SecAccessControl } {
  if (type !== 'ec' || bits !== 256) {
    throw new SecError(errSecParam, 'Secure Enclave keys are EC P-256 keys: kSecAttrKeyType kSecAttrKeyTypeECSECPrimeRandom, kSecAttrKeySizeInBits 256');
  }
  const binding = enclaveBinding(attrs);
  const { wrapped, publicKeyX963 } = device.enclave.createKey({ protection: binding.protection, flags: binding.flags });
  const key = enclaveSecKey(device.enclave, wrapped, { publicKeyX963 });
  device.remember(key, wrapped);
  return { key, binding };
}

/** Adds one half of a new key pair by reference, with its sub-dictionary's attributes. */
function store(engine: Engine, client: ClientContext, key: SecKey, attrs: Record<string, unknown>): void {
  const dict: Record<string, unknown> = { ...attrs, class: 'keys', v_Ref: key };
  delete dict['perm'];
  dict['perm'] = true;
  add(engine, client, dict);
}

export function createRandomKey(engine: Engine, client: ClientContext, device: KeyDevice, parameters: SecDictionary): SecResult<SecKey> {
  const parsed = parseKeyParameters(parameters);
  if (parsed.error) return parsed;
  const p = parsed.value;
  let key: SecKey;
  let binding: SecAccessControl | undefined;
  if (p.tokenID === undefined) {
    key = SecKey.fromPrivateKeyObject(generateKeyPair(p.type, p.bits).privateKey, (k) => createPublicKey(k));
  } else if (p.tokenID === SECURE_ENCLAVE_TOKEN_ID) {
    ({ key, binding } = makeEnclaveKey(device, p.type, p.bits, p.privateAttributes));
  } else {
    throw new SecError(errSecParam, `kSecAttrTokenID "${p.tokenID}" names no token of this device (kSecAttrTokenIDSecureEnclave is "${SECURE_ENCLAVE_TOKEN_ID}")`);
  }
  const privateAttrs = binding === undefined ? p.privateAttributes : { ...p.privateAttributes, accc: binding };
  if (p.privatePermanent || p.publicPermanent) {
    engine.db.write(() => {
      if (p.privatePermanent) store(engine, client, key, privateAttrs);
      if (p.publicPermanent) store(engine, client, SecKeyCopyPublicKey(key)!, p.publicAttributes);
    });
  }
  // The key in hand is used as one fetched from its item would be: under its access control.
  const accc = privateAttrs['accc'];
  const pdmn = isAccessControl(accc) ? accc.protection : privateAttrs['pdmn'];
  const item = { attrs: new Map<string, never>(), data: undefined };
  if (isAccessControl(accc)) item.attrs.set('accc', accc as never);
  if (isProtectionClass(pdmn)) item.attrs.set('pdmn', pdmn as never);
  const authContext = privateAttrs['u_AuthCtx'] ?? (parameters as Record<string, unknown>)['u_AuthCtx'];
  const guarded = guardKey(key, item, { authContext, operationPrompt: undefined }, device.lockState);
  if (binding !== undefined) device.remember(guarded, device.wrappedOf(key)!);
  return { value: guarded };
}
