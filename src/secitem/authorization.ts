/**
 * Access control enforced on items (issue: "checked when an item's secret
 * is read or a private key is used; attributes stay readable"): the rules
 * live in access/evaluate.ts; this module applies them to items and keys,
 * with the LAContext a call passed as kSecUseAuthenticationContext.
 *
 * An item protected by kSecAccessControlApplicationPassword keeps a
 * verifier of its password (never the password) in its sealed payload,
 * under the internal code `apwv`, which no class declares, so it is never
 * returned, matched or indexed.
 * @module
 */
import { SecError, errSecInteractionNotAllowed, errSecParam } from '../status.js';
import { kSecAccessControlApplicationPassword } from '../constants.js';
import { LAContext, requestApplicationPassword } from '../access/la-context.js';
import { applicationPasswordVerifier, authorize, protectionAvailable, requiresAuthentication, type AccessOperation } from '../access/evaluate.js';
import { wipe } from '../crypto/wipe.js';
import type { EnclaveKeyBinding } from '../enclave/enclave.js';
import { SecKey } from '../objects/key.js';
import { isAccessControl, type AttrValue, type Item } from '../schema/values.js';
import type { ProtectionClass } from '../schema/protection.js';
import type { LockState, SecAccessControl } from '../types.js';
import type { RefOptions } from './object-refs.js';

/** The payload code of an item's application-password verifier. */
export const APPLICATION_PASSWORD_VERIFIER = 'apwv';

const DEFAULT_REASON = 'access a keychain item';

/** The attributes access control reads: an item's (or its key's) access control, protection class and application-password verifier. */
export const AUTHORIZATION_READS: readonly string[] = ['accc', 'pdmn', APPLICATION_PASSWORD_VERIFIER];

export function accessControlOf(attrs: ReadonlyMap<string, AttrValue>): SecAccessControl | undefined {
  const accc = attrs.get('accc');
  return isAccessControl(accc) ? accc : undefined;
}

/** The LAContext a dictionary gave, or undefined; anything else is errSecParam. */
export function contextOf(given: unknown): LAContext | undefined {
  if (given === undefined) return undefined;
  if (!(given instanceof LAContext)) throw new SecError(errSecParam, 'kSecUseAuthenticationContext (u_AuthCtx) must be an LAContext');
  return given;
}

function verifierOf(item: Item): Uint8Array | undefined {
  const v = item.attrs.get(APPLICATION_PASSWORD_VERIFIER);
  return v instanceof Uint8Array ? v : undefined;
}

/**
 * Before an item's secret is returned: whether to return it (false: skip
 * the item, as kSecUseAuthenticationUISkip asks); throws the SecError of a
 * refused authentication.
 */
export function authorizeSecretRead(item: Item, q: { authContext: unknown; authUI: string | undefined; operationPrompt: string | undefined }): boolean {
  const acl = accessControlOf(item.attrs);
  if (!requiresAuthentication(acl, 'readSecret')) return true;
  if (q.authUI === 'skip') return false;
  if (q.authUI === 'fail') throw new SecError(errSecInteractionNotAllowed, 'the item needs authentication and kSecUseAuthenticationUIFail forbids asking');
  authorize(acl, 'readSecret', contextOf(q.authContext), { reason: q.operationPrompt ?? DEFAULT_REASON, applicationPasswordVerifier: verifierOf(item) });
  return true;
}

/**
 * The verifier to store with an item whose access control asks for an
 * application password (from the add's or update's LAContext), or
 * undefined when it asks for none.
 */
export function applicationPasswordFor(acl: SecAccessControl | undefined, authContext: unknown, reason: string | undefined): Uint8Array | undefined {
  if (acl === undefined || ((acl.flags >>> 0) & (kSecAccessControlApplicationPassword >>> 0)) === 0) return undefined;
  const context = contextOf(authContext);
  const outcome = context === undefined ? undefined : requestApplicationPassword(context, reason ?? 'set the item\'s application password');
  if (outcome === undefined || (outcome.kind !== 'credential' && outcome.kind !== 'prompted')) {
    throw new SecError(errSecParam, 'kSecAccessControlApplicationPassword needs the password: set it on the LAContext (setCredential) passed as kSecUseAuthenticationContext');
  }
  const verifier = applicationPasswordVerifier(outcome.password);
  if (outcome.kind === 'prompted') wipe(outcome.password);
  return verifier;
}

/**
 * A key made from an item, whose private half's every use first checks the
 * item's protection class against the lock state and its access control
 * against the context the query gave (a key's use is where Apple asks).
 * An enclave key is checked against the access control bound into it
 * (`bound`) instead: the item's attributes only describe it and can be
 * changed (kSecAttrTokenID removed, kSecAttrAccessible loosened, restored)
 * or copied into another item, as Apple's Secure Enclave enforces its own
 * key's ACL whatever the keychain row says.
 */
export function guardKey(key: SecKey, item: Item, options: RefOptions | undefined, lockState: () => LockState, bound?: EnclaveKeyBinding, operation: AccessOperation = 'sign'): SecKey {
  const inner = key.privateAccess;
  if (inner === undefined) return key;
  const acl = bound === undefined ? accessControlOf(item.attrs) : { kind: 'SecAccessControl' as const, protection: bound.protection, flags: bound.flags };
  const protection = bound === undefined ? (item.attrs.get('pdmn') as ProtectionClass | undefined) : bound.protection;
  // The item is wiped once the lookup has shaped its result: the key keeps a copy of what it checks with.
  const stored = verifierOf(item);
  const verifier = stored === undefined ? undefined : new Uint8Array(stored);
  const context = contextOf(options?.authContext);
  const reason = options?.operationPrompt ?? 'use a private key';
  return SecKey.fromPrivateAccess(() => key.publicKeyObject, {
    use: (fn) => {
      if (protection !== undefined && !protectionAvailable(protection, lockState())) {
        throw new SecError(errSecInteractionNotAllowed, `the keychain is ${lockState() === 'locked' ? 'locked' : 'not yet unlocked'}: a key of protection class ${protection} cannot be used until it is unlocked`);
      }
      if (requiresAuthentication(acl, operation)) authorize(acl, operation, context, { reason, applicationPasswordVerifier: verifier });
      return inner.use(fn);
    },
    extractable: inner.extractable,
    ...(inner.tokenID === undefined ? {} : { tokenID: inner.tokenID }),
  });
}
