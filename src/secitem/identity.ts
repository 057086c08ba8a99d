/**
 * kSecClassIdentity, which the keychain does not store (seed "Digital
 * Identities Aren't Real"): an identity is a certificate item and a private
 * key item whose kSecAttrApplicationLabel (klbl) equals the certificate's
 * kSecAttrPublicKeyHash (pkhh). Reads join the two classes; writes act on
 * the halves, as Apple's client does (SecItem.m explode_identity,
 * handleUpdateIdentity), each call in one write transaction.
 *
 * In an identity query kSecAttrLabel, kSecAttrIssuer, kSecAttrSerialNumber,
 * kSecAttrSubjectKeyID and kSecAttrTokenID name the certificate's values
 * (reference §4.13), as do the certificate-only attributes; every other
 * attribute names the key's. The key is one with kSecAttrIsPrivate set, as
 * Apple's join requires (keys.priv == 1), and of the private key class:
 * Apple's public keys carry kSecAttrIsPrivate too, and requiring the
 * private class keeps a stored public key from posing as an identity's key.
 * @module
 */
import { SecError, errSecDuplicateItem, errSecInternal, errSecItemNotFound, errSecParam } from '../status.js';
import { makePersistentRef, parsePersistentRef } from '../dictionary/persistent-ref.js';
import { bytesEqual } from '../objects/der.js';
import { SecIdentity } from '../objects/identity.js';
import { cert, keys } from '../schema/classes.js';
import type { SecCertificate } from '../objects/certificate.js';
import type { SecKey } from '../objects/key.js';
import type { SecDictionary } from '../types.js';
import { add } from './add.js';
import type { ClientContext, Engine } from './context.js';
import { copyMatching, matchItems } from './copy-matching.js';
import { shapeItem } from '../results/shape.js';
import { copyValue } from '../schema/values.js';
import { remove } from './delete.js';
import { update } from './update.js';

/**
 * Attributes an identity query takes from the certificate: the label and
 * token ID (Apple's join selects them from cert), and every attribute keys
 * items do not have; all the others are the key's.
 */
const certificateSide: ReadonlySet<string> = new Set(['labl', 'tkid', ...cert.attrs.map((a) => a.code).filter((code) => !keys.byCode.has(code))]);
const KEY_CLASS_PRIVATE = 1;
/** What an identity's key half always has: the private key class and kSecAttrIsPrivate (Apple's join: keys.priv == 1). */
const IDENTITY_KEY: Readonly<Record<string, unknown>> = { class: 'keys', kcls: KEY_CLASS_PRIVATE, priv: 1 };
/** kSecAttrIdentityCertificateData (SecItemInternal.h): the certificate's DER in an identity's attributes. */
const IDENTITY_CERTIFICATE_DATA = 'certdata';

export function isIdentityRef(dict: SecDictionary): boolean {
  return typeof dict === 'object' && dict !== null && Object.hasOwn(dict, 'v_Ref') && dict['v_Ref'] instanceof SecIdentity;
}

/** Whether a dictionary names the identity class (by kSecClass or by an identity persistent reference). */
export function namesIdentityClass(dict: SecDictionary): boolean {
  if (typeof dict !== 'object' || dict === null) return false;
  if (Object.hasOwn(dict, 'class')) return dict['class'] === 'idnt';
  const pref = Object.hasOwn(dict, 'v_PersistentRef') ? dict['v_PersistentRef'] : undefined;
  return pref instanceof Uint8Array && pref.length >= 4 && Buffer.from(pref.subarray(0, 4)).toString('latin1') === 'idnt';
}

/** The dictionary without kSecClass and kSecValueRef, for an operation on one half. */
function withoutClassAndRef(dict: SecDictionary): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(dict)) if (key !== 'class' && key !== 'v_Ref') out[key] = dict[key];
  return out;
}

const notFound = (): SecError => new SecError(errSecItemNotFound, 'no identity matches the query among the access groups the caller may read');

function isStatus(e: unknown, status: number): boolean {
  return e instanceof SecError && e.status === status;
}

/** A persistent reference to an identity: the identity class and its certificate's UUID (reference §4.12). */
function identityRef(certRef: Uint8Array): Uint8Array {
  return makePersistentRef('idnt', parsePersistentRef(certRef).uuid);
}

// ── Add ──────────────────────────────────────────────────────────────────────

/**
 * SecItemAdd of an identity: its certificate, then its key; a half already
 * present is tolerated unless both are (errSecDuplicateItem). Extra
 * attributes (label, group, protection) go to both halves.
 */
export function addIdentity(engine: Engine, client: ClientContext, dict: SecDictionary): unknown {
  const identity = dict['v_Ref'] as SecIdentity;
  const rest = withoutClassAndRef(dict);
  return engine.db.write(() => {
    let certRef: Uint8Array | undefined;
    let duplicateCert = false;
    try {
      certRef = add(engine, client, { ...stripReturns(rest), v_Ref: identity.certificate, r_PersistentRef: true }) as Uint8Array;
    } catch (e) {
      if (!isStatus(e, errSecDuplicateItem)) throw e;
      duplicateCert = true;
    }
    try {
      add(engine, client, { ...stripReturns(rest), v_Ref: identity.privateKey });
    } catch (e) {
      if (!isStatus(e, errSecDuplicateItem) || duplicateCert) throw e;
    }
    if (certRef === undefined) return undefined; // as Apple: a certificate already present gives no reference back
    return resultOf(engine, client, rest, certRef);
  });
}

function stripReturns(dict: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(dict)) if (!key.startsWith('r_')) out[key] = dict[key];
  return out;
}

/**
 * What an add or a query by an identity reference returns: that identity's
 * result, shaped by the return keys as any identity query's (seed 002
 * "Outputs": one return key gives its value; several, or
 * kSecReturnAttributes, a dictionary). Apple's client answers only a lone
 * kSecReturnPersistentRef here (explode_identity) and nothing for the rest.
 */
function resultOf(engine: Engine, client: ClientContext, rest: Record<string, unknown>, certRef: Uint8Array): unknown {
  const shaping: Record<string, unknown> = {};
  for (const key of Object.keys(rest)) if (key.startsWith('r_') || key.startsWith('u_') || key === 'm_Limit') shaping[key] = rest[key];
  if (!Object.keys(shaping).some((key) => key.startsWith('r_') && shaping[key] === true)) return undefined;
  return copyMatchingIdentity(engine, client, { ...shaping, v_PersistentRef: identityRef(certRef) });
}

// ── Copy matching ────────────────────────────────────────────────────────────

interface Half {
  attrs: Record<string, unknown>;
  data: Uint8Array | undefined;
  /** The half's class and UUID: its persistent reference, made only when needed (prefOf). */
  className: string;
  uuid: Uint8Array;
  /** The half's object, when the caller asked for references. */
  ref: unknown;
}

/** What each half is asked for beyond its persistent reference. */
interface HalfReturns {
  readonly attributes: boolean;
  readonly data: boolean;
  readonly ref: boolean;
}

const attributesOnly: HalfReturns = { attributes: true, data: false, ref: false };
/** The attributes the join compares: the certificate's public key hash, the key's application label. */
const JOIN_CODES: readonly string[] = ['pkhh', 'klbl'];

/**
 * The items of one half a query selects, at most `limit` of them, with what
 * `returns` asks of each. `asked` is the half's own query object
 * (findIdentities builds one per half and reuses it for every join probe):
 * the limit and kSecReturnData are set on it here.
 */
function halves(engine: Engine, client: ClientContext, asked: Record<string, unknown>, returns: HalfReturns, limit: number | 'all'): Half[] {
  asked['m_Limit'] = limit === 'all' ? 'm_LimitAll' : limit;
  if (returns.data) asked['r_Data'] = true; // the query then checks the item's access control
  try {
    return matchItems(engine, client, asked, (item, persistref, q) => {
      const attrs: Record<string, unknown> = {};
      if (returns.attributes) Object.assign(attrs, shapeItem(q.cls, item, () => new Uint8Array(0), { attributes: true, data: false, ref: false, persistentRef: false }));
      else for (const code of JOIN_CODES) if (item.attrs.has(code)) attrs[code] = copyValue(item.attrs.get(code)!, false);
      const kind = returns.ref ? engine.objects.kindFor(q.cls.name) : undefined;
      return {
        attrs,
        data: returns.data && item.data !== undefined ? new Uint8Array(item.data) : undefined,
        className: q.cls.name,
        uuid: persistref,
        ref: kind?.fromItem(item, { authContext: q.authContext, operationPrompt: q.operationPrompt }),
      };
    }, (q) => (returns.attributes ? undefined : returns.ref ? [...JOIN_CODES, ...(engine.objects.kindFor(q.cls.name)?.reads ?? [])] : JOIN_CODES)).values;
  } catch (e) {
    if (isStatus(e, errSecItemNotFound)) return [];
    throw e;
  }
}

const prefOf = (half: Half): Uint8Array => makePersistentRef(half.className, half.uuid);
/** The identity's persistent reference: the identity class and its certificate's UUID (reference §4.12). */
const identityPrefOf = (cert: Half): Uint8Array => makePersistentRef('idnt', cert.uuid);

interface Pair {
  cert: Half;
  key: Half;
}

/**
 * The identities a query selects: certificate first when it names
 * certificate attributes, else key first; each half read with what
 * `returns` asks of it (the key's data is the identity's data).
 */
function findIdentities(engine: Engine, client: ClientContext, query: SecDictionary, limit: number | 'all', returns: HalfReturns = attributesOnly): Pair[] {
  const certQuery: Record<string, unknown> = { class: 'cert' };
  const keyQuery: Record<string, unknown> = { ...IDENTITY_KEY };
  let pref: Uint8Array | undefined;
  let namesCertificate = false;
  for (const key of Object.keys(query)) {
    const value = query[key];
    if (key === 'class' || key.startsWith('r_') || key === 'm_Limit') continue;
    if (key === 'v_PersistentRef') {
      const parsed = parsePersistentRef(value);
      if (parsed.className !== 'idnt') throw new SecError(errSecParam, 'kSecValuePersistentRef names another class than kSecClassIdentity');
      pref = makePersistentRef('cert', parsed.uuid);
    } else if (key.length === 4 && certificateSide.has(key)) {
      certQuery[key] = value;
      namesCertificate = true;
    } else if (key === 'sync') {
      keyQuery[key] = value;
      certQuery[key] = 'syna';
    } else keyQuery[key] = value; // key attributes and use keys (authentication context, UI)
  }
  // kSecAttrSynchronizable, given or implied (sync = 0), is the key's: Apple's join selects keys.*, so the
  // certificate may be synchronizable or not. A persistent reference implies no sync condition at all.
  if (pref !== undefined) {
    certQuery['v_PersistentRef'] = pref;
    if (!Object.hasOwn(keyQuery, 'sync')) keyQuery['sync'] = 'syna';
  } else certQuery['sync'] = 'syna';
  const pairs: Pair[] = [];
  const left = (): number | 'all' => (limit === 'all' ? 'all' : limit - pairs.length);
  const certFirst = pref !== undefined || namesCertificate || Object.keys(keyQuery).length === Object.keys(IDENTITY_KEY).length;
  // Each half carries its pkhh or klbl for the join whatever it is asked for (halves()); the rest only when asked.
  // The certificate's data goes into an identity's attributes as certdata (copyMatchingIdentity).
  const certReturns: HalfReturns = { attributes: returns.attributes, data: returns.attributes, ref: returns.ref };
  const keyReturns: HalfReturns = returns;
  // With a limit, the first side is read up to that many items: most certificates have their key. Fewer
  // identities than asked from a full first read may mean some had none: then it is read again whole.
  // The join sets the other half's klbl (or pkhh) to the first half's value; a value the caller gave for it
  // stays in the query, and the join then keeps only the items whose value equals the first half's.
  const joinCode = certFirst ? 'klbl' : 'pkhh';
  const otherQuery = certFirst ? keyQuery : certQuery;
  const callerValue = otherQuery[joinCode];
  const pass = (firstLimit: number | 'all'): boolean => {
    pairs.length = 0;
    const first = certFirst ? halves(engine, client, certQuery, certReturns, firstLimit) : halves(engine, client, keyQuery, keyReturns, firstLimit);
    for (const half of first) {
      const value = half.attrs[certFirst ? 'pkhh' : 'klbl'] as Uint8Array;
      if (callerValue === undefined) otherQuery[joinCode] = value;
      const other = halves(engine, client, otherQuery, certFirst ? keyReturns : certReturns, left());
      for (const o of other) {
        if (callerValue !== undefined && !bytesEqual(o.attrs[joinCode] as Uint8Array, value)) continue;
        pairs.push(certFirst ? { cert: half, key: o } : { cert: o, key: half });
      }
      if (limit !== 'all' && pairs.length >= limit) return true;
    }
    return firstLimit === 'all' || first.length < firstLimit;
  };
  if (!pass(limit)) pass('all');
  return pairs;
}

/** The identity object of a pair, from its halves' objects. */
function identityOf(pair: Pair): SecIdentity {
  const cert = pair.cert.ref as SecCertificate | undefined;
  const key = pair.key.ref as SecKey | undefined;
  if (cert === undefined || key === undefined) throw new SecError(errSecItemNotFound, "the identity's certificate or key cannot be made into an object here");
  return new SecIdentity(cert, key);
}

function parseLimit(value: unknown): number | 'all' {
  if (value === undefined || value === 'm_LimitOne') return 1;
  if (value === 'm_LimitAll' || value === -1) return 'all';
  if (Number.isSafeInteger(value) && (value as number) >= 0) return value as number;
  throw new SecError(errSecParam, 'kSecMatchLimit (m_Limit) must be kSecMatchLimitOne, kSecMatchLimitAll or a whole number');
}

/** SecItemCopyMatching over kSecClassIdentity. */
export function copyMatchingIdentity(engine: Engine, client: ClientContext, query: SecDictionary): unknown {
  const limit = parseLimit(query['m_Limit']);
  const flag = (k: string): boolean => {
    const v = query[k];
    if (v !== undefined && typeof v !== 'boolean') throw new SecError(errSecParam, `${k} must be a boolean`);
    return v === true;
  };
  const r = { data: flag('r_Data'), attributes: flag('r_Attributes'), ref: flag('r_Ref'), pref: flag('r_PersistentRef') };
  // One read transaction: both halves come from the same state of the file, under one lock.
  const pairs = engine.db.snapshot(() => findIdentities(engine, client, query, limit, { attributes: r.attributes, data: r.data, ref: r.ref }));
  if (pairs.length === 0) throw notFound();
  const count = Number(r.data) + Number(r.attributes) + Number(r.ref) + Number(r.pref);
  if (count === 0) return undefined;
  const values = pairs.map((pair) => {
    if (count === 1 && !r.attributes) {
      if (r.data) return pair.key.data ?? new Uint8Array(0);
      if (r.pref) return identityPrefOf(pair.cert);
      return identityOf(pair);
    }
    const out: Record<string, unknown> = {};
    if (r.attributes) {
      // The key's attributes, overwritten by the certificate's, plus the certificate's DER as certdata
      // (kSecAttrIdentityCertificateData; reference §4.13, SecItemDb.c s3dl_query_row).
      for (const [k, v] of Object.entries(pair.key.attrs)) if (k.length === 4) out[k] = v;
      for (const [k, v] of Object.entries(pair.cert.attrs)) if (k.length === 4) out[k] = v;
      if (pair.cert.data !== undefined) out[IDENTITY_CERTIFICATE_DATA] = pair.cert.data;
    }
    if (r.data && pair.key.data !== undefined) out['v_Data'] = pair.key.data;
    if (r.pref) out['v_PersistentRef'] = identityPrefOf(pair.cert);
    if (r.ref) {
      out['class'] = 'idnt';
      out['v_Ref'] = identityOf(pair);
    }
    return out;
  });
  return limit === 1 ? values[0] : values;
}

/** SecItemCopyMatching with an identity as kSecValueRef: finds its certificate and its key. */
export function copyMatchingIdentityRef(engine: Engine, client: ClientContext, query: SecDictionary): unknown {
  const identity = query['v_Ref'] as SecIdentity;
  const rest = withoutClassAndRef(query);
  const certRef = copyMatching(engine, client, { ...stripReturns(rest), v_Ref: identity.certificate, r_PersistentRef: true }) as Uint8Array;
  copyMatching(engine, client, { ...stripReturns(rest), v_Ref: identity.privateKey });
  return resultOf(engine, client, rest, certRef);
}

// ── Delete ───────────────────────────────────────────────────────────────────

/** Deletes a key unless another certificate (still in the keychain) uses it. */
function deleteKeyUnlessUsed(engine: Engine, client: ClientContext, keyQuery: SecDictionary, klbl: Uint8Array): boolean {
  try {
    copyMatching(engine, client, { class: 'cert', pkhh: klbl, sync: 'syna' });
    return false; // another certificate forms an identity with it
  } catch (e) {
    if (!isStatus(e, errSecItemNotFound)) throw e;
  }
  try {
    remove(engine, client, keyQuery);
    return true;
  } catch (e) {
    if (isStatus(e, errSecItemNotFound)) return false;
    throw e;
  }
}

/** SecItemDelete of an identity (by kSecValueRef, kSecClassIdentity query or identity persistent reference). */
export function deleteIdentity(engine: Engine, client: ClientContext, query: SecDictionary): void {
  engine.db.write(() => {
    if (isIdentityRef(query)) {
      const identity = query['v_Ref'] as SecIdentity;
      const rest = withoutClassAndRef(query);
      let deleted = false;
      try {
        remove(engine, client, { ...stripReturns(rest), v_Ref: identity.certificate });
        deleted = true;
      } catch (e) {
        if (!isStatus(e, errSecItemNotFound)) throw e;
      }
      const keyDict = expandKeyQuery(engine, identity.privateKey);
      if (deleteKeyUnlessUsed(engine, client, { ...stripReturns(rest), v_Ref: identity.privateKey }, keyDict)) deleted = true;
      if (!deleted) throw notFound();
      return;
    }
    const pairs = findIdentities(engine, client, query, 'all');
    if (pairs.length === 0) throw notFound();
    for (const pair of pairs) remove(engine, client, { v_PersistentRef: prefOf(pair.cert) });
    for (const pair of pairs) deleteKeyUnlessUsed(engine, client, { v_PersistentRef: prefOf(pair.key) }, pair.key.attrs['klbl'] as Uint8Array);
  });
}

/** A key's kSecAttrApplicationLabel, from the attributes its object implies. */
function expandKeyQuery(engine: Engine, key: SecKey): Uint8Array {
  const kind = engine.objects.kindOf(key)!;
  return kind.dictionaryOf(key, true)['klbl'] as Uint8Array;
}

// ── Update ───────────────────────────────────────────────────────────────────

/**
 * SecItemUpdate of an identity: the certificates and keys of the identities
 * the query selects (by reference: that certificate and that key), each with
 * the same changes, in one transaction. (Apple's client runs the query once
 * over all certificates and once over all keys; selecting through the join
 * changes nothing that is not part of a matching identity.)
 */
export function updateIdentity(engine: Engine, client: ClientContext, query: SecDictionary, attributesToUpdate: SecDictionary): void {
  if (Object.hasOwn(query, 'v_PersistentRef') && !isIdentityRef(query)) {
    // Apple's server cannot update through the identity join (KeychainAPITests testSecIdentityRefWithNewUUIDPersistentRefs).
    throw new SecError(errSecInternal, 'an identity persistent reference cannot be updated: update its certificate and its key');
  }
  engine.db.write(() => {
    const rest = withoutClassAndRef(query);
    if (isIdentityRef(query)) {
      const identity = query['v_Ref'] as SecIdentity;
      update(engine, client, { ...rest, v_Ref: identity.certificate }, attributesToUpdate);
      update(engine, client, { ...rest, v_Ref: identity.privateKey }, attributesToUpdate);
      return;
    }
    // The identities the query selects, then their halves, each once (a key shared by two identities too).
    const pairs = findIdentities(engine, client, query, 'all');
    if (pairs.length === 0) throw notFound();
    const done = new Set<string>();
    for (const half of pairs.flatMap((p) => [p.cert, p.key])) {
      const pref = prefOf(half);
      const ref = Buffer.from(pref).toString('hex');
      if (done.has(ref)) continue;
      done.add(ref);
      update(engine, client, { v_PersistentRef: pref }, attributesToUpdate);
    }
  });
}
