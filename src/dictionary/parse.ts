/**
 * Classifies every key of a caller's dictionary into its property group
 * (class, attribute, search, return type, value type, use) and checks it
 * against what this dictionary kind accepts, producing a typed plan or a
 * SecError with the OSStatus Apple answers (reference §4.1–4.4).
 *
 * Dictionary kinds (seed "SecItem: Fundamentals", Inputs):
 *   add     SecItemAdd: every group except search
 *   copy    SecItemCopyMatching: every group
 *   update  SecItemUpdate's query: every group except return type
 *   delete  SecItemDelete: every group except return type (ignored, as Apple does)
 * The update dictionary (attributes to change) is parseUpdateAttributes.
 * @module
 */
import { isDate, isProxy, isUint8Array } from 'node:util/types';
import {
  SecError,
  errSecNoSuchAttr,
  errSecNoSuchClass,
  errSecParam,
  errSecUnimplemented,
} from '../status.js';
import { identityClassName, ignoredAttributeKeys, itemClasses, rejectedAttributeKeys } from '../schema/classes.js';
import type { AttrDef, ClassDef } from '../schema/model.js';
import { keyName } from '../schema/names.js';
import { MAX_DATA_BYTES, checkSize, convertValue, copyBytes, isAccessControl, type AttrValue } from '../schema/values.js';
import type { ProtectionClass, SecDictionary } from '../types.js';
import { parsePersistentRef, type PersistentRef } from './persistent-ref.js';

export type DictionaryKind = 'add' | 'copy' | 'update' | 'delete';

export interface ReturnFlags {
  data: boolean;
  attributes: boolean;
  ref: boolean;
  persistentRef: boolean;
}

/** A dictionary after classification: what the call is asked to do. */
export interface ParsedDictionary {
  readonly kind: DictionaryKind;
  readonly cls: ClassDef;
  /** Attribute values given (converted), by code; kSecAttrSynchronizableAny is not among them. */
  readonly attrs: Map<string, AttrValue>;
  /** kSecAttrSynchronizable was given (any value, including Any). */
  readonly syncGiven: boolean;
  /** How many items at most: a count, or 'all'. */
  readonly limit: number | 'all';
  readonly returns: ReturnFlags;
  /** kSecValueData of an add dictionary. */
  readonly data: Uint8Array | undefined;
  readonly persistentRef: PersistentRef | undefined;
  /** kSecMatchHostOrSubdomainOfHost (internet passwords). */
  readonly hostOrSubdomain: string | undefined;
  /** What authenticates reading protected secrets (kSecUseAuthenticationContext, an LAContext), as given. */
  readonly authContext: unknown;
  /** kSecUseAuthenticationUI: 'skip' passes over items that would need authentication. */
  readonly authUI: 'allow' | 'fail' | 'skip' | undefined;
  /** kSecUseOperationPrompt: the reason shown when authentication is asked for. */
  readonly operationPrompt: string | undefined;
}

/** Apple's QUERY_KEY_LIMIT: more pairs than this is an illegal query. */
const KEY_LIMIT = 128;

const returnKeys: Readonly<Record<string, keyof ReturnFlags>> = {
  r_Data: 'data',
  r_Attributes: 'attributes',
  r_Ref: 'ref',
  r_PersistentRef: 'persistentRef',
};

/** Use keys a client may pass; the client library strips or ignores these. */
const acceptedUseKeys: ReadonlySet<string> = new Set(['u_OpPrompt', 'u_CallerName', 'u_NoAuthUI', 'u_AuthCtx']);
const authUIValues: ReadonlySet<string> = new Set(['u_AuthUIA', 'u_AuthUIF', 'u_AuthUIS']);

function fail(status: number, detail: string): never {
  throw new SecError(status, detail);
}

function checkBoolean(key: string, value: unknown): boolean {
  if (typeof value !== 'boolean') fail(errSecParam, `${keyName(key)} must be a boolean`);
  return value;
}

/** kSecValueData: data, copied, then checked against its size limit. */
function valueData(value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) fail(errSecParam, `kSecValueData (v_Data) must be data (a Uint8Array), not ${typeof value}`);
  const copy = copyBytes(value);
  checkSize('kSecValueData (v_Data)', copy.length, MAX_DATA_BYTES);
  return copy;
}

/** The item class a dictionary names, from kSecClass or its persistent reference. */
function resolveClass(dict: SecDictionary, pref: PersistentRef | undefined): ClassDef {
  const named = Object.hasOwn(dict, 'class') ? dict['class'] : undefined;
  if (named !== undefined && typeof named !== 'string') fail(errSecParam, `kSecClass (class) must be a string, not ${typeof named}`);
  if (named !== undefined && pref !== undefined && named !== pref.className) {
    fail(errSecNoSuchClass, 'kSecClass and kSecValuePersistentRef name different classes');
  }
  const name = named ?? pref?.className;
  if (name === undefined) fail(errSecParam, 'kSecClass (class) is missing: every dictionary names its item class');
  // Identities are split into their certificate and key before a dictionary is parsed (secitem/identity.ts).
  if (name === identityClassName) fail(errSecParam, 'kSecClassIdentity names no stored class: use it through the SecItem functions');
  const cls = itemClasses.get(name);
  if (cls === undefined) fail(errSecNoSuchClass, `unknown kSecClass "${name}"`);
  return cls;
}

/** The limit a kSecMatchLimit value asks for: a count is a whole number from 0 to 2^53 - 1 (-1 is all, as Apple's CFIndex). */
function parseLimit(value: unknown): number | 'all' {
  if (value === 'm_LimitOne') return 1;
  if (value === 'm_LimitAll') return 'all';
  if (value === -1) return 'all';
  if (Number.isSafeInteger(value) && (value as number) >= 0) return value as number;
  return fail(errSecParam, `${keyName('m_Limit')} must be kSecMatchLimitOne, kSecMatchLimitAll or a whole number from 0 to 2^53 - 1, not ${shownLimit(value)}`);
}

/** A kSecMatchLimit value as a reason quotes it (any JavaScript value: a bigint or a cycle must not throw here). */
function shownLimit(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'bigint') return `the bigint ${value}n`;
  if (typeof value === 'string') return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
  if (value === null || value === undefined) return String(value);
  return Array.isArray(value) ? 'an array' : `a value of type ${typeof value}`;
}

/** The attribute a key names in `cls`, or undefined for keys to ignore. */
function attributeFor(cls: ClassDef, key: string): AttrDef | undefined {
  if (ignoredAttributeKeys.has(key)) return undefined;
  if (rejectedAttributeKeys.has(key)) fail(errSecParam, `${keyName(key)} is an internal attribute no caller may pass`);
  const attr = cls.byCode.get(key);
  if (attr === undefined) fail(errSecNoSuchAttr, `${keyName(cls.name)} items have no attribute ${keyName(key)}`);
  return attr;
}

/** kSecAttrSynchronizableAny, a query value of the sync attribute rather than a value to convert. */
function isSyncAny(attr: AttrDef, value: unknown): boolean {
  return attr.role === 'sync' && value === 'syna';
}

/**
 * A caller's dictionary read once: its own enumerable keys and their values,
 * in a plain object of our own. Every later step reads this copy, so a getter
 * or a Proxy answers once (nothing changes between a check and its use), and
 * one that throws is the caller's bad input (errSecParam), not a failure
 * inside. Anything but a plain object, or one with too many keys, is passed
 * on as it is, for parseDictionary to refuse.
 */
export function ownDictionary(dict: unknown): SecDictionary {
  if (typeof dict !== 'object' || dict === null || Array.isArray(dict)) return dict as SecDictionary;
  try {
    const keys = Object.keys(dict);
    if (keys.length > KEY_LIMIT) return dict as SecDictionary;
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      const value = (dict as Record<string, unknown>)[key];
      // A Proxy value would answer each later read differently, or throw deep inside.
      if (isProxy(value)) return fail(errSecParam, `the value of ${keyName(key)} is a Proxy; pass the value itself`);
      // So would an object that only passes for data or a Date (its prototype is one): it has neither's contents.
      const passesFor = value instanceof Uint8Array && !isUint8Array(value) ? 'data' : value instanceof Date && !isDate(value) ? 'a Date' : undefined;
      if (passesFor !== undefined) return fail(errSecParam, `the value of ${keyName(key)} is an object whose prototype is ${passesFor}, not ${passesFor} itself`);
      if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      else out[key] = value;
    }
    return out;
  } catch (e) {
    if (e instanceof SecError) throw e;
    return fail(errSecParam, `the dictionary could not be read: reading it threw ${e instanceof Error ? `a ${e.name}` : `a ${typeof e}`} (a getter or a Proxy of the caller's)`);
  }
}

/** Classifies and validates a SecItemAdd / CopyMatching / Update-query / Delete dictionary. */
export function parseDictionary(dict: SecDictionary, kind: DictionaryKind): ParsedDictionary {
  if (typeof dict !== 'object' || dict === null || Array.isArray(dict)) fail(errSecParam, 'the dictionary must be a plain object keyed by kSec constants');
  const keys = Object.keys(dict);
  if (keys.length > KEY_LIMIT) fail(errSecParam, `more than ${KEY_LIMIT} keys`);
  for (const key of keys) if (dict[key] === undefined) fail(errSecParam, `the value of ${keyName(key)} is undefined`);

  const prefValue = Object.hasOwn(dict, 'v_PersistentRef') ? dict['v_PersistentRef'] : undefined;
  let pref: PersistentRef | undefined;
  if (prefValue !== undefined) {
    if (kind === 'add') fail(errSecParam, 'kSecValuePersistentRef is not supported in an add dictionary');
    pref = parsePersistentRef(prefValue);
  }
  const cls = resolveClass(dict, pref);

  const attrs = new Map<string, AttrValue>();
  const returns: ReturnFlags = { data: false, attributes: false, ref: false, persistentRef: false };
  let syncGiven = false;
  let limit: number | 'all' = kind === 'copy' ? 1 : 'all';
  let data: Uint8Array | undefined;
  let hostOrSubdomain: string | undefined;
  const use: UseKeys = { authContext: undefined, authUI: undefined, operationPrompt: undefined };

  for (const key of keys) {
    const value = dict[key];
    if (key === 'class' || key === 'v_PersistentRef') continue;
    if (key.length <= 1) fail(errSecParam, `invalid key "${keyName(key)}"`);
    if (key.length === 4) {
      const attr = attributeFor(cls, key);
      if (attr === undefined) continue;
      if (attr.role === 'sync') syncGiven = true;
      if (isSyncAny(attr, value)) continue;
      attrs.set(key, convertValue(attr, value, keyName));
      continue;
    }
    switch (key[0]) {
      case 'm':
        if (kind !== 'copy') {
          // Apple's add would report success without storing; update and delete refuse.
          fail(errSecParam, `${keyName(key)}: search keys are not supported in ${kind === 'add' ? 'an add' : 'a pure query'} dictionary`);
        }
        ({ limit, hostOrSubdomain } = parseMatchKey(cls, key, value, { limit, hostOrSubdomain }));
        break;
      case 'r': {
        const flag = returnKeys[key];
        if (flag === undefined) fail(errSecParam, `unknown return key ${keyName(key)}`);
        const on = checkBoolean(key, value);
        if (kind === 'update' && on) fail(errSecParam, `${keyName(key)}: return keys are not supported in SecItemUpdate`);
        if (kind === 'add' || kind === 'copy') returns[flag] = on;
        break;
      }
      case 'v':
        if (key === 'v_Data') {
          // In a query kSecValueData does not restrict the match (Apple ignores it).
          const checked = valueData(value);
          if (kind === 'add') data = checked;
        } else if (key === 'v_Ref') {
          fail(errSecParam, 'kSecValueRef needs a certificate, key or identity object');
        } else {
          fail(errSecParam, `unknown value key ${keyName(key)}`);
        }
        break;
      case 'u':
        parseUseKey(kind, key, value, use);
        break;
      case 'f':
        break; // callback keys: ignored, as by Apple's server
      default:
        fail(errSecParam, `unknown key "${keyName(key)}"`);
    }
  }

  if (pref !== undefined && kind === 'copy' && (attrs.size > 0 || syncGiven)) {
    fail(errSecParam, 'kSecValuePersistentRef cannot be combined with attributes in SecItemCopyMatching');
  }
  return { kind, cls, attrs, syncGiven, limit, returns, data, persistentRef: pref, hostOrSubdomain, ...use };
}

function parseMatchKey(
  cls: ClassDef,
  key: string,
  value: unknown,
  current: { limit: number | 'all'; hostOrSubdomain: string | undefined },
): { limit: number | 'all'; hostOrSubdomain: string | undefined } {
  switch (key) {
    case 'm_Limit':
      return { ...current, limit: parseLimit(value) };
    case 'm_CaseInsensitive':
      // Accepted as Apple's server accepts it; matching stays exact (reference §4.15).
      checkBoolean(key, value);
      return current;
    case 'm_HostOrSubdomainOfHost':
      if (typeof value !== 'string') fail(errSecParam, `${keyName(key)} must be a string`);
      if (cls.name !== 'inet') fail(errSecUnimplemented, `${keyName(key)} applies to internet passwords only`);
      return { ...current, hostOrSubdomain: value };
    case 'm_SubjectContains':
    case 'm_EmailAddressIfPresent':
      if (typeof value !== 'string') fail(errSecParam, `${keyName(key)} must be a string`);
      return current; // applied to certificates only
    case 'm_TrustedOnly':
      checkBoolean(key, value);
      return current;
    case 'm_ValidOnDate':
      if (!(value instanceof Date) && value !== null) fail(errSecParam, `${keyName(key)} must be a Date or null`);
      return current;
    case 'm_SearchList':
      return current; // ignored by the data-protection keychain
    case 'm_Issuers':
    case 'm_Policy':
      return fail(errSecUnimplemented, `${keyName(key)} applies to certificates and identities`);
    case 'm_ItemList':
      return fail(errSecParam, `${keyName(key)} is not supported`);
    default:
      return fail(errSecParam, `unknown search key ${keyName(key)}`);
  }
}

interface UseKeys {
  authContext: unknown;
  authUI: 'allow' | 'fail' | 'skip' | undefined;
  operationPrompt: string | undefined;
}

const authUINames: Readonly<Record<string, UseKeys['authUI']>> = { u_AuthUIA: 'allow', u_AuthUIF: 'fail', u_AuthUIS: 'skip' };

function parseUseKey(kind: DictionaryKind, key: string, value: unknown, use: UseKeys): void {
  if (key === 'u_AuthCtx') {
    if (typeof value !== 'object' || value === null) fail(errSecParam, `${keyName(key)} must be an LAContext`);
    use.authContext = value;
    return;
  }
  if (key === 'u_OpPrompt') {
    if (typeof value !== 'string') fail(errSecParam, `${keyName(key)} must be a string`);
    use.operationPrompt = value;
    return;
  }
  if (acceptedUseKeys.has(key)) return;
  if (key === 'u_AuthUI') {
    if (typeof value !== 'string' || !authUIValues.has(value)) fail(errSecParam, `${keyName(key)} has an invalid value`);
    if (value === 'u_AuthUIS' && kind !== 'copy') fail(errSecParam, 'kSecUseAuthenticationUISkip is for SecItemCopyMatching only');
    use.authUI = authUINames[value];
    return;
  }
  if (key === 'u_ItemList') fail(errSecParam, 'kSecUseItemList is not supported');
  fail(errSecParam, `unknown use key ${keyName(key)}`);
}

/** What SecItemUpdate's second dictionary asks to change. */
export interface ParsedUpdate {
  readonly attrs: Map<string, AttrValue>;
  readonly data: Uint8Array | undefined;
}

/**
 * Parses SecItemUpdate's attributes-to-update dictionary: every key but
 * kSecValueData is taken as an attribute of the class, so kSecClass, return,
 * search, use and persistent-reference keys answer errSecNoSuchAttr.
 */
export function parseUpdateAttributes(cls: ClassDef, dict: SecDictionary): ParsedUpdate {
  if (typeof dict !== 'object' || dict === null || Array.isArray(dict)) fail(errSecParam, 'the dictionary must be a plain object keyed by kSec constants');
  const attrs = new Map<string, AttrValue>();
  let data: Uint8Array | undefined;
  for (const key of Object.keys(dict)) {
    const value = dict[key];
    if (value === undefined) fail(errSecParam, `the value of ${keyName(key)} is undefined`);
    if (key === 'v_Data') {
      data = valueData(value);
      continue;
    }
    const attr = attributeFor(cls, key);
    if (attr === undefined) continue;
    if (isSyncAny(attr, value)) fail(errSecParam, 'kSecAttrSynchronizableAny (syna) is a query value, not a value to store');
    attrs.set(key, convertValue(attr, value, keyName));
  }
  return { attrs, data };
}

/** The protection class named by kSecAttrAccessible and/or kSecAttrAccessControl. */
export function protectionOf(attrs: ReadonlyMap<string, AttrValue>): ProtectionClass | undefined {
  const pdmn = attrs.get('pdmn') as ProtectionClass | undefined;
  const accc = attrs.get('accc');
  const fromAccc = isAccessControl(accc) ? accc.protection : undefined;
  if (pdmn !== undefined && fromAccc !== undefined && pdmn !== fromAccc) {
    fail(errSecParam, 'conflicting kSecAttrAccessible and kSecAttrAccessControl');
  }
  return pdmn ?? fromAccc;
}

