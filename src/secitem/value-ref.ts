/**
 * kSecValueRef in add and query dictionaries (seed "Value Type
 * Subtleties"): the system infers the class and attributes from the object.
 * As Apple's client does (SecItemAttributesPrepare), the object's
 * dictionary is merged into the caller's, the caller's keys winning, and a
 * certificate added without a label is labelled with its subject summary.
 * Identities are not items; secitem/identity.ts splits them first.
 * @module
 */
import { SecError, errSecParam } from '../status.js';
import type { SecDictionary } from '../types.js';
import type { ObjectRegistry } from './object-refs.js';

/** The dictionary with its kSecValueRef replaced by what the object implies (unchanged without one). */
export function expandValueRef(dict: SecDictionary, forQuery: boolean, objects: ObjectRegistry): SecDictionary {
  if (typeof dict !== 'object' || dict === null || !Object.hasOwn(dict, 'v_Ref')) return dict;
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
    throw new SecError(errSecParam, 'kSecValueRef (v_Ref) is not supported in an update dictionary: name the item in the query and the new attribute values here');
  }
}
