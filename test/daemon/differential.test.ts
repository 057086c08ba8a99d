/**
 * secitemd against the in-process engine, call by call (issue 16 §3: values
 * survive the wire exactly; bad input gets the in-process status, never a
 * rejected Promise).
 *
 * A daemon in this process (stand-in profiles: this process is 'fuzz.app'
 * with the group 'fuzz.shared' on one connection, and with every group, '*',
 * on another) and a keychain opened here, the daemon's twin (made from the
 * same file), whose two clients have the same entitlements. Both get the
 * same sequence of calls: those of the reliability fuzzer's generator
 * (test/reliability/harness/fuzz.ts, fixed seed: every class, return keys,
 * match limits, persistent references, values of every type, undefined
 * values, unknown keys, huge values), some given an LAContext or a value of
 * another class; mixed with calls on certificates, keys and identities given
 * as kSecValueRef (held here, or references either side returned earlier)
 * and returned as references, and calls on items behind user presence or an
 * application password with contexts that can or cannot open them. Each pair
 * of answers must agree: the status, the error's status, and the result,
 * exactly but where two keychains legitimately differ (a persistent
 * reference by its class, rowid and length, cdat and mdat as Dates, a SecKey
 * and its RemoteKey by their public data, and their attributes asked of
 * each). Every 100 calls the two stores are compared whole, and emptied of
 * all but the seed items when they have grown. Then the cases it found, by
 * name.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { Certificate as X509Certificate, Extension } from '@peculiar/asn1-x509';
import {
  connectKeychain, openKeychain, LAContext, LACredentialType, SecAccessControlCreateWithFlags, SecCertificate, SecIdentity, SecKey,
  SecKeyCopyAttributes, SecKeyCopyExternalRepresentation, SecKeyCopyPublicKey, SecKeyGetBlockSize,
  kSecClass, kSecClassGenericPassword, kSecClassInternetPassword, kSecClassCertificate, kSecClassKey, kSecClassIdentity,
  kSecAttrService, kSecAttrAccount, kSecAttrServer, kSecAttrLabel, kSecAttrApplicationTag, kSecAttrIssuer, kSecAttrSerialNumber,
  kSecAttrSynchronizable, kSecAttrSynchronizableAny, kSecAttrAccessGroup, kSecAttrKeyClass, kSecAttrKeyClassPrivate, kSecAttrKeyType,
  kSecAttrKeySizeInBits, kSecAttrCreationDate, kSecAttrModificationDate, kSecAttrAccessControl, kSecAttrAccessibleWhenUnlocked,
  kSecAccessControlUserPresence, kSecAccessControlApplicationPassword, kSecAccessControlOr, kSecUseOperationPrompt, kSecUseAuthenticationUI,
  kSecUseAuthenticationUIFail, kSecUseAuthenticationUISkip,
  kSecValueData, kSecValueRef, kSecValuePersistentRef, kSecReturnData, kSecReturnAttributes, kSecReturnRef, kSecReturnPersistentRef,
  kSecMatchLimit, kSecMatchLimitOne, kSecMatchLimitAll, kSecUseAuthenticationContext, errSecSuccess, errSecItemNotFound, errSecParam, errSecInternalComponent,
  type RemoteClient,
} from '../../src/index.js';
import { RemoteIdentity, RemoteKey } from '../../src/daemon/client.js';
import { startDaemon, type Daemon, type ProfileRegistryLike } from '../../src/daemon/server.js';
import type { Entitlements } from '../../src/types.js';
import { arbitraries, describe as shown, type Call } from '../reliability/harness/fuzz.js';
import { Rng } from '../reliability/harness/rng.js';
import { certificateOf, makeIdentity, OpenSSLDir } from '../conformance/identity-material.js';
import type { Client, Dict } from '../helpers.js';

/** The seed and the number of calls; another run's can be given (SECITEM_DIFF_SEED, SECITEM_DIFF_CALLS) to replay or to go further. */
const SEED = Number(process.env['SECITEM_DIFF_SEED'] ?? 0x5ec1d1f);
const CALLS = Number(process.env['SECITEM_DIFF_CALLS'] ?? 4000);
/** The fuzzer's huge values go up to this many bytes. */
const HUGE_MAX = 4 * 1024 * 1024;
const CLASSES = ['genp', 'inet', 'cert', 'keys'] as const;

const APP: Entitlements = { applicationIdentifier: 'fuzz.app', keychainAccessGroups: ['fuzz.shared'] };
const WILD: Entitlements = { applicationIdentifier: 'fuzz.app', keychainAccessGroups: ['fuzz.app', '*'] };

const encoder = new TextEncoder();
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** The seed items of the fuzzer (harness/fuzz.ts), which its persistent references name. */
const SEED_ITEMS: Dict[] = [
  { [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'fzSeed-service-Aardvark', [kSecAttrAccount]: 'fzSeed-account-1', [kSecValueData]: encoder.encode('fzSeed-secret-Capybara-1') },
  { [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'fzSeed-service-Aardvark', [kSecAttrAccount]: 'fzSeed-account-2', [kSecAttrSynchronizable]: true, [kSecValueData]: encoder.encode('fzSeed-secret-Capybara-2') },
  { [kSecClass]: kSecClassInternetPassword, [kSecAttrServer]: 'fzseed.example.org', [kSecAttrAccount]: 'fzSeed-account-3', [kSecValueData]: encoder.encode('fzSeed-secret-Capybara-3') },
  { [kSecClass]: kSecClassCertificate, [kSecAttrIssuer]: encoder.encode('fzSeed-issuer'), [kSecAttrSerialNumber]: encoder.encode('fzSeed-serial'), [kSecValueData]: encoder.encode('fzSeed-certificate-bytes') },
  { [kSecClass]: kSecClassKey, [kSecAttrApplicationTag]: encoder.encode('fzSeed-tag'), [kSecValueData]: encoder.encode('fzSeed-key-bytes-Dugong') },
];

/** The stand-in profile registry: this process gets the entitlements set last (each connection is identified as it opens). */
class SelfProfile implements ProfileRegistryLike {
  entitlements: Entitlements | undefined;
  identify() {
    return this.entitlements === undefined ? { refused: 'no profile' } : { entitlements: this.entitlements, owner: false };
  }
}

type Answer = { status: number; result?: unknown; error?: { status: number } };

function isPlain(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A key's public data, the same for a SecKey here and a RemoteKey: class, type, size, block size, public key. */
function keyForm(key: SecKey | RemoteKey): string {
  if (key instanceof RemoteKey) {
    return `key(${key.keyClass === 'private' ? kSecAttrKeyClassPrivate : 'public'},${key.keyType},${key.keySizeInBits},${key.blockSize},${hex(key.publicKey)})`;
  }
  const attrs = SecKeyCopyAttributes(key) ?? {};
  const pub = SecKeyCopyPublicKey(key);
  const external = pub === undefined ? undefined : SecKeyCopyExternalRepresentation(pub).value;
  return `key(${attrs[kSecAttrKeyClass] === kSecAttrKeyClassPrivate ? kSecAttrKeyClassPrivate : 'public'},${String(attrs[kSecAttrKeyType])},${String(attrs[kSecAttrKeySizeInBits])},${SecKeyGetBlockSize(key)},${external === undefined ? '-' : hex(external)})`;
}

/**
 * A value in a form that two keychains give alike: exact for plain values
 * (bytes with their class, dates by time, numbers by Object.is), a
 * persistent reference (`pref`) by its class and rowid (its first 10 bytes:
 * the other 10 are random) and its length, cdat and mdat as Dates,
 * certificates by DER, keys by keyForm, identities by both.
 */
function form(v: unknown, pref = false, key = ''): string {
  if (v instanceof Uint8Array) return pref ? `pref(${hex(v.subarray(0, 10))}:${v.length})` : `${v.constructor.name}(${hex(v)})`;
  if (v instanceof Date) return key === kSecAttrCreationDate || key === kSecAttrModificationDate ? `Date(${Number.isNaN(v.getTime()) ? 'invalid' : 'valid'})` : `Date(${v.getTime()})`;
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v !== 'object' || v === null) return String(v);
  if (Array.isArray(v)) return `[${v.map((x) => form(x, pref)).join(',')}]`;
  if (v instanceof SecCertificate) return `cert(${hex(v.der)})`;
  if (v instanceof SecKey || v instanceof RemoteKey) return keyForm(v);
  if (v instanceof SecIdentity) return `idnt(${hex(v.certificate.der)},${keyForm(v.privateKey)})`;
  if (v instanceof RemoteIdentity) return `idnt(${v.certificate === undefined ? '-' : hex(v.certificate.der)},${keyForm(v.privateKey)})`;
  if (!isPlain(v)) return `object(${v.constructor?.name ?? '?'})`;
  const d = v as Record<string, unknown>;
  return `{${Object.keys(d)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${form(d[k], k === kSecValuePersistentRef, k)}`)
    .join(',')}}`;
}

/** Whether a dictionary asks for a bare persistent reference (no other return type). */
function barePref(query: Dict): boolean {
  return query[kSecReturnPersistentRef] === true && query[kSecReturnData] !== true && query[kSecReturnAttributes] !== true && query[kSecReturnRef] !== true;
}

/** A result's form (a bare persistent reference, or a list of them, as such). */
function resultForm(result: unknown, query: Dict): string {
  return form(result, barePref(query));
}

/** Where two forms first differ, with some context. */
function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  const from = Math.max(0, i - 60);
  return `at ${i}: here …${a.slice(from, i + 100)}… | daemon …${b.slice(from, i + 100)}…`;
}

describe('differential: secitemd answers as the in-process engine does', () => {
  const dir = mkdtempSync(join(tmpdir(), 'secitemd-diff-'));
  const profile = new SelfProfile();
  const logs: string[] = [];
  const openssl = new OpenSSLDir();
  let local: ReturnType<typeof openKeychain>;
  let here: { app: Client; wild: Client };
  let daemon: Daemon;
  const remote: { app?: RemoteClient; wild?: RemoteClient } = {};
  /** Certificates, keys and identities of this process (a CA certificate alone, an EC and an RSA identity, their keys). */
  const held: object[] = [];

  async function connect(which: 'app' | 'wild'): Promise<RemoteClient> {
    profile.entitlements = which === 'app' ? APP : WILD;
    const kc = await connectKeychain({ socket: join(dir, 'run', 'secitemd.sock') });
    assert.equal((await kc.identity).status, errSecSuccess);
    profile.entitlements = undefined;
    return (remote[which] = kc);
  }

  before(async () => {
    // Twins: a keychain's blind indexes are keyed by its own keys, and they order the items a lookup meets. Made from
    // one file, the two keychains order alike: a limited lookup picks the same item, and a list comes in the same order.
    const daemonPath = join(dir, 'daemon.keychain-db');
    const localPath = join(dir, 'local.keychain-db');
    openKeychain({ path: daemonPath }).close();
    for (const suffix of ['', '.devicekey']) copyFileSync(daemonPath + suffix, localPath + suffix);
    local = openKeychain({ path: localPath });
    here = { app: local.client(APP), wild: local.client(WILD) };
    daemon = await startDaemon({
      keychainPath: daemonPath, socketPath: join(dir, 'run', 'secitemd.sock'), stateDir: join(dir, 'state'), profiles: profile,
      audit: { record() {} }, log: (l) => logs.push(l), limits: { idleTimeoutMs: 120_000 },
    });
    await connect('app');
    await connect('wild');
    openssl.ecKey('ca');
    openssl.selfSigned('ca', 'ca.key', '/CN=fz CA', { section: 'ca' });
    const identities = [
      makeIdentity(openssl, 'leaf', { kind: 'ec', subject: '/CN=fz leaf', issuer: 'ca', serial: '0x1f' }),
      makeIdentity(openssl, 'rsa', { kind: 'rsa', subject: '/CN=fz rsa' }),
    ];
    held.push(certificateOf(openssl.der('ca.pem')), ...identities.flatMap((m) => [m.certificate, m.identity, m.privateKey, m.publicKey]));
  });
  after(async () => {
    await remote.app?.close();
    await remote.wild?.close();
    await daemon.close();
    local?.close();
    openssl.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`${CALLS} generated calls (seed ${SEED}) answer alike, and the two stores stay alike`, async () => {
    const started = Date.now();
    const differences: string[] = [];
    const statuses: Record<string, number> = {};
    const returned: Record<string, number> = {};
    /** Objects of this process's calls and the daemon's counterparts, per connection (persistent references in both). */
    const counterpart = { app: new Map<object, object>(), wild: new Map<object, object>() };
    /** References either side returned, paired: the generated calls use them again. */
    const pooledRefs: { local: object; wildcard: boolean }[] = [];
    const pooledPrefs: Uint8Array[] = [];
    /**
     * Each LAContext of a call and its twin, made alike, for the daemon's
     * side: a check that runs changes its context (when the user last
     * authenticated), which the other side's call must not see.
     */
    const contextTwins = new WeakMap<object, LAContext>();
    const seedPrefs: { local: Uint8Array[]; remote: Uint8Array[] } = { local: [], remote: [] };
    for (const item of SEED_ITEMS) {
      const mine = here.app.SecItemAdd({ ...item, [kSecReturnPersistentRef]: true });
      const theirs = await remote.app!.SecItemAdd({ ...item, [kSecReturnPersistentRef]: true });
      assert.equal(mine.status, errSecSuccess);
      assert.equal(theirs.status, errSecSuccess);
      seedPrefs.local.push(mine.result as Uint8Array);
      seedPrefs.remote.push(theirs.result as Uint8Array);
      counterpart.app.set(mine.result as Uint8Array, theirs.result as Uint8Array);
      counterpart.wild.set(mine.result as Uint8Array, theirs.result as Uint8Array);
    }

    /**
     * A dictionary as the daemon's client sends it: the reference, persistent
     * reference and context it names replaced by their counterparts. (The
     * same bytes elsewhere, as data or an attribute, are values, the same on
     * both sides.)
     */
    function translate(dict: Dict, map: Map<object, object>): Dict {
      if (typeof dict !== 'object' || dict === null || Array.isArray(dict) || !isPlain(dict)) return dict;
      const named = (k: string) => k === kSecValueRef || k === kSecValuePersistentRef || k === kSecUseAuthenticationContext;
      if (!Object.keys(dict).some((k) => named(k) && typeof dict[k] === 'object' && dict[k] !== null)) return dict;
      const out = Object.create(Object.getPrototypeOf(dict)) as Dict;
      for (const k of Object.keys(dict)) {
        const v = dict[k];
        const mapped = named(k) && typeof v === 'object' && v !== null ? map.get(v) ?? contextTwins.get(v) : undefined;
        Object.defineProperty(out, k, { value: mapped ?? v, enumerable: true, writable: true, configurable: true });
      }
      return out;
    }

    async function invoke(call: Call): Promise<{ mine: Answer; theirs: Answer | Error }> {
      const which = call.wildcard ? 'wild' : 'app';
      const client = here[which];
      const kc = remote[which]!;
      const query = translate(call.query, counterpart[which]);
      const update = translate(call.update, counterpart[which]);
      let mine: Answer;
      let theirs: Promise<Answer>;
      switch (call.fn) {
        case 'add':
          mine = client.SecItemAdd(call.query);
          theirs = kc.SecItemAdd(query);
          break;
        case 'copy':
          mine = client.SecItemCopyMatching(call.query);
          theirs = kc.SecItemCopyMatching(query);
          break;
        case 'update':
          mine = { status: client.SecItemUpdate(call.query, call.update) };
          theirs = kc.SecItemUpdate(query, update).then((status) => ({ status }));
          break;
        case 'delete':
          mine = { status: client.SecItemDelete(call.query) };
          theirs = kc.SecItemDelete(query).then((status) => ({ status }));
          break;
      }
      return { mine, theirs: await theirs.catch((e: unknown) => (e instanceof Error ? e : new Error(String(e)))) };
    }

    /**
     * Pairs the references and persistent references of two results that
     * agreed (the twins list items in the same order): the generated calls
     * name them again, each side its own.
     */
    async function pair(call: Call, mine: unknown, theirs: unknown): Promise<void> {
      const which = call.wildcard ? 'wild' : 'app';
      const list = (v: unknown) => (Array.isArray(v) ? v : [v]);
      const theirList = list(theirs);
      for (const [i, a] of list(mine).entries()) {
        const b = theirList[i];
        const found: [unknown, unknown][] = typeof a === 'object' && a !== null && isPlain(a)
          ? [[(a as Dict)[kSecValueRef], (b as Dict)[kSecValueRef]], [(a as Dict)[kSecValuePersistentRef], (b as Dict)[kSecValuePersistentRef]]]
          : [[a, b]];
        for (const [x, y] of found) {
          if (x instanceof Uint8Array && y instanceof Uint8Array) {
            counterpart.app.set(x, y);
            counterpart.wild.set(x, y);
            pooledPrefs.push(x);
            if (pooledPrefs.length > 64) pooledPrefs.shift();
          } else if ((x instanceof SecKey && y instanceof RemoteKey) || (x instanceof SecIdentity && y instanceof RemoteIdentity)) {
            counterpart[which].set(x, y);
            pooledRefs.push({ local: x, wildcard: call.wildcard });
            if (pooledRefs.length > 64) pooledRefs.shift();
            // A key's attributes, asked of the daemon through its handle, are those of the key here.
            const [k, rk] = x instanceof SecKey ? [x, y as RemoteKey] : [(x as SecIdentity).privateKey, (y as RemoteIdentity).privateKey];
            const attrs = form(SecKeyCopyAttributes(k));
            const remoteAttrs = form(await remote[which]!.SecKeyCopyAttributes(rk));
            if (attrs !== remoteAttrs) differences.push(`SecKeyCopyAttributes of a returned key: ${firstDifference(attrs, remoteAttrs)}`);
          }
        }
      }
    }

    async function step(n: number, call: Call): Promise<void> {
      const { mine, theirs } = await invoke(call);
      const tally = `${call.fn}:${mine.status}`;
      statuses[tally] = (statuses[tally] ?? 0) + 1;
      const f = mine.result === undefined ? '' : form(mine.result);
      for (const kind of ['cert(', 'key(', 'idnt(', 'pref(', 'Date(']) if (f.includes(kind)) returned[kind] = (returned[kind] ?? 0) + 1;
      const what = () => `#${n} Sec${call.fn}(${call.wildcard ? 'wildcard' : 'app'}) ${shown(call.query).slice(0, 400)}${call.fn === 'update' ? ` to ${shown(call.update).slice(0, 200)}` : ''}`;
      if (theirs instanceof Error) {
        differences.push(`${what()}: the daemon's client rejected (${theirs.message}); here ${mine.status}`);
        await connect(call.wildcard ? 'wild' : 'app');
        counterpart[call.wildcard ? 'wild' : 'app'] = new Map([...counterpart[call.wildcard ? 'wild' : 'app']].filter(([k]) => k instanceof Uint8Array));
        pooledRefs.splice(0, pooledRefs.length, ...pooledRefs.filter((p) => p.wildcard !== call.wildcard));
        return;
      }
      if (mine.status !== theirs.status) {
        differences.push(`${what()}: status ${mine.status} here, ${theirs.status} through the daemon (${String((theirs.error as Error | undefined)?.message ?? (mine.error as Error | undefined)?.message)})`);
        return;
      }
      if ((mine.error === undefined) !== (theirs.error === undefined) || mine.error?.status !== theirs.error?.status) {
        differences.push(`${what()}: error ${mine.error?.status} here, ${theirs.error?.status} through the daemon`);
      }
      const a = resultForm(mine.result, call.query);
      const b = resultForm(theirs.result, call.query);
      if (a !== b) differences.push(`${what()}: results differ ${firstDifference(a, b)}`);
      else if (mine.status === errSecSuccess && mine.result !== undefined) await pair(call, mine.result, theirs.result);
    }

    /**
     * Every item of every class, as forms, in the order listed: each side's.
     * Attributes of every item, and the data of those that need no
     * authentication (items behind a password or user presence were read by
     * the calls themselves).
     */
    async function stores(): Promise<{ mine: string[]; theirs: string[]; prefs: { mine: Uint8Array[]; theirs: Uint8Array[] } }> {
      const out = { mine: [] as string[], theirs: [] as string[], prefs: { mine: [] as Uint8Array[], theirs: [] as Uint8Array[] } };
      for (const cls of CLASSES) {
        const every = { [kSecClass]: cls, [kSecAttrSynchronizable]: kSecAttrSynchronizableAny, [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnPersistentRef]: true };
        for (const query of [{ ...every, [kSecReturnAttributes]: true }, { ...every, [kSecReturnData]: true, [kSecUseAuthenticationUI]: kSecUseAuthenticationUISkip }]) {
          const mine = here.wild.SecItemCopyMatching(query);
          const theirs = await remote.wild!.SecItemCopyMatching(query);
          for (const [r, forms, prefs] of [[mine, out.mine, out.prefs.mine], [theirs, out.theirs, out.prefs.theirs]] as const) {
            if (r.status === errSecItemNotFound) continue;
            assert.equal(r.status, errSecSuccess, `listing ${cls}`);
            for (const item of r.result as Dict[]) {
              forms.push(`${cls} ${form(item)}`);
              if (kSecReturnAttributes in query) prefs.push(item[kSecValuePersistentRef] as Uint8Array);
            }
          }
        }
      }
      return out;
    }

    /** Deletes every item but the seeds, on both sides. */
    async function reset(prefs: { mine: Uint8Array[]; theirs: Uint8Array[] }): Promise<void> {
      const seeds = { mine: new Set(seedPrefs.local.map(hex)), theirs: new Set(seedPrefs.remote.map(hex)) };
      for (const p of prefs.mine) if (!seeds.mine.has(hex(p))) assert.equal(here.wild.SecItemDelete({ [kSecValuePersistentRef]: p }), errSecSuccess);
      for (const p of prefs.theirs) if (!seeds.theirs.has(hex(p))) assert.equal(await remote.wild!.SecItemDelete({ [kSecValuePersistentRef]: p }), errSecSuccess);
    }

    const rng = new Rng(SEED);
    /** A call on certificates, keys and identities: held here, or references returned earlier. */
    function refCall(): Call {
      const wildcard = rng.int(2) === 0;
      const pooled = pooledRefs.filter((p) => p.wildcard === wildcard);
      const object = () => (pooled.length > 0 && rng.int(3) === 0 ? rng.pick(pooled).local : rng.pick(held));
      const some = (entries: [string, unknown][]): Dict => Object.fromEntries(entries.filter(([, v]) => v !== undefined));
      const maybe = <T>(v: T): T | undefined => (rng.int(2) === 0 ? v : undefined);
      const returns = (): [string, unknown][] => [
        [kSecReturnData, maybe(true)], [kSecReturnAttributes, maybe(true)], [kSecReturnRef, maybe(true)], [kSecReturnPersistentRef, maybe(rng.int(8) === 0 ? 'yes' : true)],
      ];
      const limit = (): [string, unknown] => [kSecMatchLimit, rng.pick([undefined, kSecMatchLimitOne, kSecMatchLimitAll, 0, 2, -1])];
      const cls = () => rng.pick([kSecClassCertificate, kSecClassKey, kSecClassIdentity, kSecClassGenericPassword]);
      const group = (): [string, unknown] => [kSecAttrAccessGroup, rng.pick([undefined, undefined, 'fuzz.app', 'fuzz.shared', 'fuzz.other'])];
      const label = (): [string, unknown] => [kSecAttrLabel, rng.pick([undefined, 'fzRef-label-1', 'fzRef-label-2'])];
      // Now and then an item behind a check, and a context to open it with (a key found with one keeps it).
      const used = (): [string, unknown][] => [[kSecUseAuthenticationContext, rng.int(4) === 0 ? context() : undefined]];
      const guarded = (): [string, unknown][] => [[kSecAttrAccessControl, rng.int(6) === 0 ? rng.pick(ACCESS) : undefined], ...used()];
      const byRef = (): [string, unknown] => (pooledPrefs.length > 0 && rng.int(3) === 0 ? [kSecValuePersistentRef, rng.pick(pooledPrefs)] : [kSecValueRef, object()]);
      switch (rng.int(6)) {
        case 0:
          return { fn: 'add', wildcard, query: some([[kSecValueRef, object()], label(), group(), [kSecClass, rng.int(6) === 0 ? cls() : undefined], ...returns(), ...guarded()]), update: {} };
        case 1:
          return { fn: 'copy', wildcard, query: some([[kSecClass, cls()], label(), group(), [kSecAttrKeyClass, maybe(kSecAttrKeyClassPrivate)], ...returns(), limit(), ...used()]), update: {} };
        case 2:
          return { fn: 'copy', wildcard, query: some([byRef(), ...returns(), limit(), ...used()]), update: {} };
        case 3: {
          const change = rng.pick<[string, unknown][]>([[label()], [[kSecValueRef, object()]], [group()], [[kSecAttrLabel, 'fzRef-label-3'], [kSecValueData, encoder.encode('new')]]]);
          return { fn: 'update', wildcard, query: some([rng.int(4) === 0 ? [kSecClass, cls()] : byRef(), label()]), update: some(change) };
        }
        default:
          return { fn: 'delete', wildcard, query: some([rng.int(8) === 0 ? [kSecClass, cls()] : byRef()]), update: {} };
      }
    }

    const CONTEXTS: (() => LAContext)[] = [
      () => new LAContext(),
      () => new LAContext({ userPresence: () => true }),
      () => new LAContext({ userPresence: () => false }),
      () => Object.assign(new LAContext({ userPresence: () => true }), { interactionNotAllowed: true }),
      () => withPassword('fz-password'),
      () => withPassword('wrong'),
      () => {
        const c = withPassword('fz-password');
        c.invalidate();
        return c;
      },
    ];
    function withPassword(password: string): LAContext {
      const c = new LAContext({ userPresence: () => true });
      assert.ok(c.setCredential(password, LACredentialType.applicationPassword));
      return c;
    }
    /** A context for a call, and its twin for the daemon's side. */
    function context(): LAContext {
      const make = rng.pick(CONTEXTS);
      const c = make();
      contextTwins.set(c, make());
      return c;
    }
    const ACCESS = [
      SecAccessControlCreateWithFlags(kSecAttrAccessibleWhenUnlocked, kSecAccessControlUserPresence).accessControl!,
      SecAccessControlCreateWithFlags(kSecAttrAccessibleWhenUnlocked, kSecAccessControlApplicationPassword).accessControl!,
      SecAccessControlCreateWithFlags(kSecAttrAccessibleWhenUnlocked, kSecAccessControlUserPresence | kSecAccessControlApplicationPassword | kSecAccessControlOr).accessControl!,
    ];
    /** A call on items behind access controls (user presence, an application password), with contexts that can or cannot open them. */
    function protectedCall(): Call {
      const wildcard = rng.int(2) === 0;
      const item = (): Dict => ({ [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'fzProtected', ...(rng.int(3) === 0 ? {} : { [kSecAttrAccount]: rng.pick(['p', 'q', 'r']) }) });
      const use = (): Dict => ({
        ...(rng.int(5) === 0 ? {} : { [kSecUseAuthenticationContext]: context() }),
        ...(rng.int(3) === 0 ? { [kSecUseOperationPrompt]: 'fz prompt' } : {}),
        ...(rng.int(5) === 0 ? { [kSecUseAuthenticationUI]: rng.pick([kSecUseAuthenticationUIFail, kSecUseAuthenticationUISkip]) } : {}),
      });
      switch (rng.int(4)) {
        case 0:
          return { fn: 'add', wildcard, query: { ...item(), [kSecAttrAccessControl]: rng.pick(ACCESS), [kSecValueData]: encoder.encode('fz behind a check'), ...use(), ...(rng.int(2) === 0 ? { [kSecReturnData]: true } : {}) }, update: {} };
        case 1:
          return { fn: 'copy', wildcard, query: { ...item(), ...use(), [kSecReturnData]: true, ...(rng.int(2) === 0 ? { [kSecReturnAttributes]: true, [kSecMatchLimit]: kSecMatchLimitAll } : {}) }, update: {} };
        case 2:
          return { fn: 'update', wildcard, query: { ...item(), ...use() }, update: { [kSecValueData]: encoder.encode(`fz changed ${rng.int(100)}`) } };
        default:
          return { fn: 'delete', wildcard, query: item(), update: {} };
      }
    }

    /** Values of classes the engine takes no value of, or that only pass for one (a prototype of data or a Date). */
    const OTHER_OBJECTS: (() => unknown)[] = [
      () => Object.create(new Uint8Array(2)), () => Object.create(new Date(0)), () => Object.setPrototypeOf({ kind: 'SecAccessControl', protection: 'ak', flags: 1 }, new Date(0)),
      () => new (class Thing { svce = 'fzThing'; })(), () => Object.create(null), () => new Set([1]), () => new WeakMap(), () => /fz/, () => new Error('fz'),
      () => Promise.resolve(1), () => new Float64Array(2), () => new BigInt64Array(1), () => new Uint8ClampedArray(2), () => new Int8Array(2), () => Object('fz'),
      () => Object(7), () => Object(true), () => new Proxy(new Uint8Array(2), {}), () => [new Uint8Array(1), new Date(1)], () => ({ kind: 'SecAccessControl', protection: 'ak', flags: 2 ** 32 }),
      () => rng.pick(held), () => new LAContext(), () => new SharedArrayBuffer(2), () => Symbol.iterator, () => Object.freeze({ [kSecClass]: kSecClassGenericPassword }),
    ];
    const OTHER_KEYS = [kSecAttrService, kSecAttrAccount, kSecAttrLabel, kSecValueData, 'gena', kSecMatchLimit, kSecReturnData, kSecClass, kSecValueRef,
      kSecValuePersistentRef, kSecAttrAccessControl, 'pdmn', kSecAttrCreationDate, kSecAttrSynchronizable, kSecAttrAccessGroup, kSecUseOperationPrompt, 'fz12'];

    const arbitrary = arbitraries(() => seedPrefs.local, HUGE_MAX);
    let generated: Call[] = [];
    let comparisons = 0;
    for (let n = 0; n < CALLS && differences.length < 40; n++) {
      if (generated.length === 0) generated = fc.sample(arbitrary, { seed: SEED + n, numRuns: 100 });
      const fuzzed = generated.shift()!;
      const pick = rng.int(10);
      // A fuzzed dictionary now and then names a context too, or has an object of another class as a value.
      if (pick >= 7 && typeof fuzzed.query === 'object' && fuzzed.query !== null && !Array.isArray(fuzzed.query)) {
        const [key, value] = pick === 7 ? [kSecUseAuthenticationContext, context()] : [rng.pick(OTHER_KEYS), rng.pick(OTHER_OBJECTS)()];
        if (pick === 9 && fuzzed.fn === 'update') fuzzed.update = { ...fuzzed.update, [key]: value };
        else fuzzed.query = { ...fuzzed.query, [key]: value };
      }
      await step(n, pick < 2 ? refCall() : pick === 2 ? protectedCall() : fuzzed);
      if (n % 100 === 99 || n === CALLS - 1) {
        const { mine, theirs, prefs } = await stores();
        comparisons++;
        if (mine.join('\n') !== theirs.join('\n')) {
          differences.push(`after #${n} the stores differ (${mine.length} items here, ${theirs.length} in the daemon): ${firstDifference(mine.join('\n'), theirs.join('\n'))}`);
          break;
        }
        if (mine.length > 40) await reset(prefs);
      }
    }
    const elapsed = Date.now() - started;
    process.stdout.write(`# differential: ${CALLS} calls, seed ${SEED}, ${comparisons} store comparisons, ${elapsed} ms\n# ${JSON.stringify(statuses)}\n# ${JSON.stringify(returned)} pooled ${pooledRefs.length} refs ${pooledPrefs.length} prefs\n`);
    assert.deepEqual(differences, []);
    assert.deepEqual(logs.filter((l) => !l.includes('refused')), [], 'the daemon logged no error');
  });

  it('a lone surrogate survives the wire, in a value and in a key (found here: it arrived as U+FFFD, and two such keys as one key twice, a protocol error and a rejected Promise)', async () => {
    const item = { [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'fzLone-\uD800', [kSecAttrAccount]: 'x\uDBFF', [kSecAttrLabel]: '\uDC00\uD800', [kSecReturnAttributes]: true };
    const mine = here.app.SecItemAdd(item);
    const theirs = await remote.app!.SecItemAdd(item);
    assert.equal(mine.status, errSecSuccess);
    assert.equal(theirs.status, errSecSuccess);
    assert.equal(form(theirs.result), form(mine.result));
    assert.equal((theirs.result as Dict)[kSecAttrService], 'fzLone-\uD800');
    const twoKeys = { [kSecClass]: kSecClassGenericPassword, 'ab\uD800c': 1, 'ab\uDC00c': 2 };
    const refused = here.app.SecItemCopyMatching(twoKeys);
    assert.notEqual(refused.status, errSecSuccess);
    assert.equal((await remote.app!.SecItemCopyMatching(twoKeys)).status, refused.status);
    const query = { [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'fzLone-\uD800' };
    assert.equal(here.app.SecItemDelete(query), errSecSuccess);
    assert.equal(await remote.app!.SecItemDelete(query), errSecSuccess);
  });

  it('a dictionary that is not a plain object is read as the engine reads it, its own keys; a value that only passes for data or a Date is errSecParam on both sides (found here: such a dictionary failed to encode, errSecParam, a class\'s instance travelled as unrepresentable, and such a value was errSecInternalComponent in process)', async () => {
    const withPrototype = (proto: object, dict: Dict) => Object.setPrototypeOf(dict, proto) as Dict;
    const item = withPrototype(new Uint8Array(2), { [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'fzProto', [kSecReturnAttributes]: true });
    const Query = class {
      [kSecClass] = kSecClassGenericPassword;
      [kSecAttrService] = 'fzProto';
    };
    const calls: [string, (c: Client | RemoteClient) => unknown][] = [
      ['add', (c) => c.SecItemAdd(item)],
      ['copy by an instance', (c) => c.SecItemCopyMatching(new Query() as unknown as Dict)],
      ['update to a Date-prototyped dictionary', (c) => c.SecItemUpdate(new Query() as unknown as Dict, withPrototype(new Date(0), { [kSecAttrLabel]: 'fzProto-label' }))],
      ['copy with a Proxy value', (c) => c.SecItemCopyMatching({ [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: new Proxy({}, {}) })],
      // errSecInternalComponent in process, errSecParam through the daemon (its client could not encode it), before the engine read its keys.
      ['add with a value whose prototype is data', (c) => c.SecItemAdd({ [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'fzProto-2', [kSecValueData]: Object.create(new Uint8Array(2)) })],
      ['update with a Date-prototyped value', (c) => c.SecItemUpdate({ [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'fzProto' }, { [kSecAttrCreationDate]: Object.create(new Date(0)) })],
      ['delete by an instance', (c) => c.SecItemDelete(new Query() as unknown as Dict)],
    ];
    for (const [what, make] of calls) {
      const mine = make(here.app) as Answer | number;
      const theirs = (await make(remote.app!)) as Answer | number;
      const status = (a: Answer | number) => (typeof a === 'number' ? a : a.status);
      assert.equal(status(theirs), status(mine), what);
      assert.notEqual(status(mine), errSecInternalComponent, what);
      if (typeof mine !== 'number') assert.equal(form((theirs as Answer).result), form(mine.result), what);
    }
  });

  it('a key behind user presence: SecKeyCopyAttributes gives v_Data only when the context the key was found with passes its check, in process and through the daemon (found here: it threw in process, and through the daemon the exception stopped secitemd)', async () => {
    const key = held.find((k): k is SecKey => k instanceof SecKey && SecKeyCopyAttributes(k)?.[kSecAttrKeyClass] === kSecAttrKeyClassPrivate)!;
    const tag = encoder.encode('fzGuarded');
    const item = { [kSecValueRef]: key, [kSecAttrApplicationTag]: tag, [kSecAttrAccessControl]: SecAccessControlCreateWithFlags(kSecAttrAccessibleWhenUnlocked, kSecAccessControlUserPresence).accessControl! };
    assert.equal(here.app.SecItemAdd(item).status, errSecSuccess);
    assert.equal((await remote.app!.SecItemAdd(item)).status, errSecSuccess);
    const cases: [string, (() => LAContext) | undefined][] = [
      ['no context', undefined],
      ['a context whose check agrees', () => new LAContext({ userPresence: () => true })],
      ['a context whose check declines', () => new LAContext({ userPresence: () => false })],
    ];
    for (const [what, make] of cases) {
      const query = () => ({ [kSecClass]: kSecClassKey, [kSecAttrApplicationTag]: tag, [kSecReturnRef]: true, ...(make === undefined ? {} : { [kSecUseAuthenticationContext]: make() }) });
      const mine = SecKeyCopyAttributes(here.app.SecItemCopyMatching(query()).result as SecKey)!;
      const theirs = await remote.app!.SecKeyCopyAttributes((await remote.app!.SecItemCopyMatching(query())).result as RemoteKey);
      assert.equal(form(theirs), form(mine), what);
      assert.equal(kSecValueData in mine, what === 'a context whose check agrees', what);
    }
    const query = { [kSecClass]: kSecClassKey, [kSecAttrApplicationTag]: tag };
    assert.equal(here.app.SecItemDelete(query), errSecSuccess);
    assert.equal(await remote.app!.SecItemDelete(query), errSecSuccess);
  });

  it('an answer larger than a frame: a lookup answers errSecParam with its reason (in process, the items); an add stores its item and answers success without the result', async () => {
    const M = 1024 * 1024;
    const big = (svce: string) => ({ [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'fzBig', [kSecAttrAccount]: svce, [kSecValueData]: new Uint8Array(9 * M).fill(svce.charCodeAt(0)) });
    for (const item of [big('a'), big('b')]) {
      assert.equal(here.app.SecItemAdd(item).status, errSecSuccess);
      assert.equal((await remote.app!.SecItemAdd(item)).status, errSecSuccess);
    }
    const one = { [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'fzBig', [kSecAttrAccount]: 'b', [kSecReturnData]: true };
    assert.equal(form((await remote.app!.SecItemCopyMatching(one)).result), form(here.app.SecItemCopyMatching(one).result), '9 MiB travel');
    const both = { [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'fzBig', [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnData]: true };
    assert.equal(here.app.SecItemCopyMatching(both).status, errSecSuccess);
    const tooLarge = await remote.app!.SecItemCopyMatching(both);
    assert.equal(tooLarge.status, errSecParam, 'was errSecInternalComponent');
    assert.match(tooLarge.error?.message ?? '', /too large to send.*fewer items/);
    assert.equal(await remote.app!.SecItemDelete({ [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'fzBig' }), errSecSuccess);
    // A 9 MiB certificate (an extension of 9 MiB) added asking for its data and its reference: 18 MiB of answer.
    const certificate = AsnConvert.parse(openssl.der('ca.pem'), X509Certificate);
    certificate.tbsCertificate.extensions!.push(new Extension({ extnID: '1.3.6.1.4.1.55555.1', critical: false, extnValue: new OctetString(new Uint8Array(9 * M)) }));
    const huge = certificateOf(new Uint8Array(AsnConvert.serialize(certificate)));
    const add = { [kSecValueRef]: huge, [kSecAttrLabel]: 'fzBig-certificate', [kSecReturnData]: true, [kSecReturnRef]: true };
    assert.equal(here.app.SecItemAdd(add).status, errSecSuccess);
    const added = await remote.app!.SecItemAdd(add);
    assert.deepEqual([added.status, added.result], [errSecSuccess, undefined], 'was errSecInternalComponent, with the item stored');
    const found = await remote.app!.SecItemCopyMatching({ [kSecClass]: kSecClassCertificate, [kSecAttrLabel]: 'fzBig-certificate', [kSecReturnRef]: true });
    assert.equal(form(found.result), form(huge));
    assert.equal(await remote.app!.SecItemDelete({ [kSecClass]: kSecClassCertificate, [kSecAttrLabel]: 'fzBig-certificate' }), errSecSuccess);
  });
});
