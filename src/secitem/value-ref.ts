/**
 * kSecValueRef in add and query dictionaries (seed "Value Type
 * Subtleties"): the system infers the class and attributes from the object.
 * As Apple's client does (SecItemAttributesPrepare), the object's
 * dictionary is merged into the caller's, the caller's keys winning, and a
 * certificate added without a label is labelled with its subject summary.
 * The same preparation puts a kSecAttrIssuer given as a full DER Name into
 * its stored (normalized content) form, in every dictionary.
 * Identities are not items; secitem/identity.ts splits them first.
 * @module
 */
import { SecError, errSecNoSuchAttr, errSecParam } from '../status.js';
import type { SecDictionary } from '../types.js';
import type { ObjectRegistry } from './object-refs.js';
import { canonicalIssuer } from '../objects/certificate.js';

/**
 * The dictionary as the client library hands it on (SecItemAttributesPrepare):
 * its kSecValueRef replaced by what the object implies, and a kSecAttrIssuer
 * given as a full DER Name normalized to the stored form (§4.5 step 1, §5.1).
 * Unchanged otherwise.
 */
export function expandValueRef(dict: SecDictionary, forQuery: boolean, objects: ObjectRegistry): SecDictionary {
  if (typeof dict !== 'object' || dict === null) return dict;
  const expanded = Object.hasOwn(dict, 'v_Ref') ? withObjectAttributes(dict, forQuery, objects) : dict;
  return withCanonicalIssuer(expanded);
}

/**
 * kSecAttrIssuer as Apple's client prepares every dictionary it sends (add,
 * query and update alike, whatever the class): a value that decodes as a
 * SEQUENCE is a full Name and becomes its normalized content; other data
 * (already content) is used unchanged; a value that is not data is
 * errSecParam (CFCastWithError to CFData).
 */
export function withCanonicalIssuer(dict: SecDictionary): SecDictionary {
  if (typeof dict !== 'object' || dict === null || !Object.hasOwn(dict, 'issr')) return dict;
  const issuer = dict['issr'];
  if (!(issuer instanceof Uint8Array)) throw new SecError(errSecParam, 'kSecAttrIssuer (issr) must be data');
  const normalized = canonicalIssuer(issuer);
  return normalized === issuer ? dict : { ...dict, issr: normalized };
}

function withObjectAttributes(dict: SecDictionary, forQuery: boolean, objects: ObjectRegistry): SecDictionary {
  const ref = dict['v_Ref'];
  const kind = objects.kindOf(ref);
  if (kind === undefined) throw new SecError(errSecParam, 'kSecValueRef (v_Ref) must be a SecCertificate, SecKey or SecIdentity');
  const merged: Record<string, unknown> = { class: kind.className, ...kind.dictionaryOf(ref, forQuery) };
  for (const key of Object.keys(dict)) if (key !== 'v_Ref') merged[key] = dict[key];
  return merged;
}

/** SecItemUpdate's second dictionary cannot name an object (seed: "not supported in an update dictionary"). */
export function refuseValueRefInUpdate(dict: SecDictionary): void {
  if (typeof dict === 'object' && dict !== null && Object.hasOwn(dict, 'v_Ref')) {
    // Apple's server takes every key of the update dictionary as an attribute (reference §4.4).
    throw new SecError(errSecNoSuchAttr, 'kSecValueRef (v_Ref) is not supported in an update dictionary: name the item in the query and the new attribute values here');
  }
}
