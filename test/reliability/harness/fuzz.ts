/**
 * Fuzzing the four functions with fast-check: random dictionaries mixing
 * valid and invalid keys (every kSec* constant, random 4-character keys,
 * random strings), values of every type (wrong ones included), huge values,
 * unknown classes, odd Unicode (lone surrogates, NUL, RTL marks) and
 * persistent references of every length, sent through a normal client and
 * a wildcard one. Properties:
 *   - every call returns (never throws) an OSStatus from `knownStatuses`,
 *     and never errSecInternalComponent (the answer to an unexpected exception);
 *   - a failing call, and every SecItemCopyMatching, leaves the store
 *     unchanged (a snapshot of every item, attributes, data and persistent
 *     reference, through a wildcard client, before and after);
 *   - `PRAGMA integrity_check` stays ok, and no accepted value is on disk in
 *     plaintext.
 * The largest accepted value sizes are recorded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDate, isUint8Array } from 'node:util/types';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import * as constants from '../../../src/constants.js';
import {
  openKeychain,
  knownStatuses,
  SecAccessControlCreateWithFlags,
  kSecClass,
  kSecClassGenericPassword,
  kSecClassInternetPassword,
  kSecClassCertificate,
  kSecClassKey,
  kSecAttrAccount,
  kSecAttrService,
  kSecAttrServer,
  kSecAttrLabel,
  kSecAttrApplicationTag,
  kSecAttrIssuer,
  kSecAttrSerialNumber,
  kSecAttrSynchronizable,
  kSecAttrSynchronizableAny,
  kSecReturnPersistentRef,
  kSecMatchLimit,
  kSecMatchLimitAll,
  kSecValueData,
  kSecValuePersistentRef,
  errSecInternalComponent,
  errSecSuccess,
} from '../../../src/index.js';
import { statusName, type Client, type Dict } from '../../helpers.js';
import { assertNoPlaintext, integrityCheck, isDistinctive, itemClassNames, snapshot, wildcardClient } from './common.js';

export interface FuzzOptions {
  cases: number;
  seed: number;
  /** Largest "huge" value, in bytes (default 4 MiB). */
  hugeMax?: number;
  /** Run integrity_check every this many cases (and at the end). */
  integrityEvery?: number;
  log?: (line: string) => void;
}

export interface FuzzReport {
  cases: number;
  /** Calls per function and status. */
  statuses: Record<string, number>;
  /** Largest accepted sizes: kSecValueData bytes, one attribute value (bytes or UTF-16 units), keys in a dictionary. */
  largest: { valueData: number; attributeValue: number; attributeKey: string; keys: number };
  integrityChecks: number;
  plaintextNeedles: number;
  storeResets: number;
  /** Failed calls and lookups after which the whole store was compared with its snapshot. */
  snapshotsCompared: number;
  elapsedMs: number;
}

const encoder = new TextEncoder();

const constantStrings: string[] = [...new Set((Object.values(constants) as unknown[]).filter((v): v is string => typeof v === 'string'))];
const constantSet: ReadonlySet<string> = new Set(constantStrings);

const oddStrings = [
  '',
  '\u0000',
  'a\u0000b',
  '\uD800',
  '\uDC00',
  'x\uDBFF',
  '\uDFFFy',
  '\u202Eevil\u202C',
  '\u200F\u05D0\u05D1',
  '\uFEFF',
  '\uFFFF',
  'e\u0301',
  '\u00E9',
  '😀',
  '\u{10FFFF}',
  ' ',
  '%s%n',
  "'; DROP TABLE genp; --",
  '__proto__',
  'constructor',
];

/** A generated value as a counterexample shows it. */
export function describe(value: unknown, depth = 0): string {
  // An object whose prototype is data or a Date (a dictionary whose "__proto__" key was assigned one) is neither.
  if (isUint8Array(value)) {
    return value.length > 48 ? `bytes(${value.length}:${Buffer.from(value.subarray(0, 8)).toString('hex')}…)` : `bytes(${Buffer.from(value).toString('hex')})`;
  }
  if (typeof value === 'string') return value.length > 80 ? `string(${value.length}:${JSON.stringify(value.slice(0, 20))}…)` : JSON.stringify(value);
  if (isDate(value)) return `Date(${value.getTime()})`;
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol' || typeof value === 'function') return String(value);
  if (Array.isArray(value)) return depth > 2 ? '[…]' : `[${value.map((v) => describe(v, depth + 1)).join(', ')}]`;
  if (typeof value === 'object' && value !== null) {
    if (depth > 2) return '{…}';
    return `{${Object.keys(value)
      .map((k) => `${JSON.stringify(k)}: ${describe((value as Record<string, unknown>)[k], depth + 1)}`)
      .join(', ')}}`;
  }
  return String(value);
}

/** One generated call: the function, through which client, its dictionary and (for update) the attributes to change. */
export interface Call {
  fn: 'add' | 'copy' | 'update' | 'delete';
  wildcard: boolean;
  query: Dict;
  update: Dict;
}

/** Any code point, or a lone surrogate (fast-check's own 'binary' unit is slow to set up here). */
const anyUnit = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 0x10ffff }).map((cp) => String.fromCodePoint(cp)) },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
);
const asciiUnit = fc.integer({ min: 0, max: 127 }).map((c) => String.fromCharCode(c));

/** The generator of calls; `prefs` gives the persistent references of stored items that the calls name. */
export function arbitraries(prefs: () => Uint8Array[], hugeMax: number): fc.Arbitrary<Call> {
  const smallString = fc.oneof(
    { weight: 4, arbitrary: fc.string({ maxLength: 24 }) },
    { weight: 2, arbitrary: fc.string({ unit: anyUnit, maxLength: 24 }) },
    { weight: 2, arbitrary: fc.constantFrom(...oddStrings) },
    { weight: 2, arbitrary: fc.constantFrom(...constantStrings) },
    // Distinctive values, later searched for on disk.
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('Zq', 'Xw', 'Vb'), fc.nat(), fc.string({ minLength: 4, maxLength: 12, unit: 'grapheme-ascii' })).map(([a, n, s]) => `fz${a}-${n}-${s}`) },
  );
  const key = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...constantStrings) },
    { weight: 2, arbitrary: fc.string({ minLength: 4, maxLength: 4, unit: asciiUnit }) },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
    { weight: 1, arbitrary: fc.constantFrom(...oddStrings) },
  );
  const hugeBytes = fc.tuple(fc.integer({ min: 64 * 1024, max: hugeMax }), fc.integer({ min: 0, max: 255 })).map(([n, b]) => {
    const out = Buffer.alloc(n, b);
    out.writeUInt32LE(n, 0); // not all one byte
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  });
  const hugeString = fc.tuple(fc.integer({ min: 64 * 1024, max: Math.max(64 * 1024, hugeMax / 4) }), fc.constantFrom('a', 'é', '😀', '\u0000', '\uD800')).map(([n, c]) => c.repeat(Math.ceil(n / c.length)));
  const persistentRef = fc.oneof(
    fc.constantFrom(...prefs()),
    fc.integer({ min: 0, max: 64 }).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
    fc.tuple(fc.constantFrom('genp', 'inet', 'cert', 'keys', 'idnt', 'xxxx', 'GENP'), fc.integer({ min: 0, max: 40 })).chain(([c, n]) =>
      fc.uint8Array({ minLength: n, maxLength: n }).map((u) => new Uint8Array([...encoder.encode(c), ...u])),
    ),
  );
  const accessControl = fc.oneof(
    fc.tuple(fc.constantFrom('ak', 'ck', 'dk', 'aku', 'cku', 'dku', 'akpu'), fc.constantFrom(0, 1, 2, 8, 16, 1 << 14, 1 << 15, 2 ** 30)).map(([p, f]) => {
      const r = SecAccessControlCreateWithFlags(p, f);
      return r.accessControl ?? r;
    }),
    fc.record({ kind: fc.constantFrom('SecAccessControl', 'x'), protection: smallString, flags: fc.oneof(fc.integer(), fc.double()) }),
  );
  const value: fc.Arbitrary<unknown> = fc.oneof(
    { weight: 10, arbitrary: smallString },
    { weight: 4, arbitrary: fc.uint8Array({ maxLength: 48 }) },
    { weight: 3, arbitrary: fc.integer() },
    { weight: 1, arbitrary: fc.double() },
    { weight: 1, arbitrary: fc.constantFrom(0, -0, -1, 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, NaN, Infinity, -Infinity) },
    { weight: 3, arbitrary: fc.boolean() },
    { weight: 2, arbitrary: fc.date({ noInvalidDate: false }) },
    { weight: 2, arbitrary: persistentRef },
    { weight: 1, arbitrary: accessControl },
    { weight: 1, arbitrary: fc.constantFrom(null, undefined, [], {}, [1, 'a'], { a: 1 }, 10n, Symbol('s'), () => 1, new Map(), Buffer.from('buf'), new Uint16Array(3), new ArrayBuffer(4), new DataView(new ArrayBuffer(2))) },
    { weight: 1, arbitrary: fc.array(smallString, { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.oneof(hugeBytes, hugeString) },
  );
  // The huge arbitrary is weighted 1 of 29 per value; thin it further so most cases stay small.
  const thinValue = fc.tuple(value, fc.integer({ min: 0, max: 9 })).map(([v, n]) => ((v instanceof Uint8Array || typeof v === 'string') && v.length > 64 * 1024 && n !== 0 ? v.slice(0, 16) : v));
  const randomDict = fc.dictionary(key, thinValue, { maxKeys: 8 });
  const cls = fc.constantFrom(kSecClassGenericPassword, kSecClassGenericPassword, kSecClassInternetPassword, kSecClassCertificate, kSecClassKey, 'idnt', 'bogus', '');
  // Mostly-valid dictionaries: a class and its key attributes, plus random pairs.
  const extras = fc.oneof(
    { weight: 3, arbitrary: fc.constant({}) },
    { weight: 3, arbitrary: fc.dictionary(fc.constantFrom(...constantStrings), thinValue, { maxKeys: 2 }) },
    { weight: 1, arbitrary: randomDict },
  );
  // Names that recur, so lookups, updates, deletes and duplicates hit stored items.
  const pooled = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('fzSeed-service-Aardvark', 'fzSeed-account-1', 'fzSeed-account-2', 'fzseed.example.org', 'fzPool-name-1', 'fzPool-name-2', '') },
    { weight: 4, arbitrary: smallString },
    { weight: 1, arbitrary: fc.constantFrom(...oddStrings) },
  );
  const attrValue = fc.oneof({ weight: 400, arbitrary: pooled }, { weight: 1, arbitrary: hugeString });
  const dataValue = fc.oneof(
    { weight: 8, arbitrary: fc.uint8Array({ maxLength: 64 }) },
    { weight: 2, arbitrary: thinValue },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 19 }).chain((n) => (n === 0 ? hugeBytes : fc.uint8Array({ minLength: 1000, maxLength: 20_000 }))) },
  );
  const plausible = fc
    .tuple(cls, attrValue, attrValue, extras, fc.boolean(), fc.option(dataValue, { nil: undefined, freq: 2 }))
    .map(([c, a, b, extra, withData, data]) => {
      const d: Dict = { [kSecClass]: c };
      if (c === kSecClassGenericPassword) Object.assign(d, { [kSecAttrService]: a, [kSecAttrAccount]: b });
      else if (c === kSecClassInternetPassword) Object.assign(d, { [kSecAttrServer]: a, [kSecAttrAccount]: b });
      else if (c === kSecClassCertificate) Object.assign(d, { [kSecAttrIssuer]: encoder.encode(a), [kSecAttrSerialNumber]: encoder.encode(b) });
      else if (c === kSecClassKey) Object.assign(d, { [kSecAttrApplicationTag]: encoder.encode(a), [kSecAttrLabel]: b });
      if (withData) d[kSecValueData] = data ?? encoder.encode(`fzData-${a}-${b}-payload`);
      return Object.assign(d, extra);
    });
  // Exact dictionaries of the seed items, with extra pairs: lookups, updates and deletes that find something.
  const seedQueries = [
    { [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'fzSeed-service-Aardvark', [kSecAttrAccount]: 'fzSeed-account-1' },
    { [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'fzSeed-service-Aardvark' },
    { [kSecClass]: kSecClassInternetPassword, [kSecAttrServer]: 'fzseed.example.org' },
    { [kSecClass]: kSecClassCertificate },
    { [kSecClass]: kSecClassKey },
    { [kSecClass]: kSecClassGenericPassword },
  ];
  const targeted = fc.tuple(fc.constantFrom(...seedQueries), extras).map(([q, extra]) => ({ ...q, ...extra }));
  const dict = fc.oneof({ weight: 3, arbitrary: plausible }, { weight: 2, arbitrary: targeted }, { weight: 1, arbitrary: randomDict });
  const updateDict = fc.oneof(
    { weight: 2, arbitrary: fc.dictionary(key, thinValue, { maxKeys: 4 }) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(kSecAttrLabel, kSecValueData, 'icmt', 'desc', 'agrp', 'pdmn', 'gena', 'acct', 'svce'), thinValue).map(([k, v]) => ({ [k]: v })) },
    { weight: 1, arbitrary: fc.constant({}) },
  );
  const byRef = fc.tuple(persistentRef, randomDict).map(([p, extra]) => ({ [kSecValuePersistentRef]: p, ...extra }));
  return fc.record({
    fn: fc.constantFrom('add', 'copy', 'update', 'delete'),
    wildcard: fc.boolean(),
    query: fc.oneof({ weight: 6, arbitrary: dict }, { weight: 1, arbitrary: byRef }),
    update: updateDict,
  }) as fc.Arbitrary<Call>;
}

function invoke(client: Client, call: Call): { status: number; result?: unknown } {
  switch (call.fn) {
    case 'add':
      return client.SecItemAdd(call.query);
    case 'copy':
      return client.SecItemCopyMatching(call.query);
    case 'update':
      return { status: client.SecItemUpdate(call.query, call.update) };
    case 'delete':
      return { status: client.SecItemDelete(call.query) };
  }
}

function valueSize(v: unknown): number {
  if (v instanceof Uint8Array) return v.length;
  if (typeof v === 'string') return v.length;
  return 0;
}

export function runFuzz(options: FuzzOptions): FuzzReport {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'secitem-fuzz-'));
  const path = join(dir, 'fuzz.keychain-db');
  const kc = openKeychain({ path });
  const app = kc.client({ applicationIdentifier: 'fuzz.app', keychainAccessGroups: ['fuzz.shared'] });
  const wild = wildcardClient(kc, 'fuzz.app');
  const report: FuzzReport = {
    cases: 0,
    statuses: {},
    largest: { valueData: 0, attributeValue: 0, attributeKey: '', keys: 0 },
    integrityChecks: 0,
    plaintextNeedles: 0,
    storeResets: 0,
    snapshotsCompared: 0,
    elapsedMs: 0,
  };
  const known = new Set(knownStatuses);
  const needles = new Set<string | Uint8Array>();
  const seedPrefs: Uint8Array[] = [];
  const seedItems: Dict[] = [
    { [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'fzSeed-service-Aardvark', [kSecAttrAccount]: 'fzSeed-account-1', [kSecValueData]: encoder.encode('fzSeed-secret-Capybara-1') },
    { [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'fzSeed-service-Aardvark', [kSecAttrAccount]: 'fzSeed-account-2', [kSecAttrSynchronizable]: true, [kSecValueData]: encoder.encode('fzSeed-secret-Capybara-2') },
    { [kSecClass]: kSecClassInternetPassword, [kSecAttrServer]: 'fzseed.example.org', [kSecAttrAccount]: 'fzSeed-account-3', [kSecValueData]: encoder.encode('fzSeed-secret-Capybara-3') },
    { [kSecClass]: kSecClassCertificate, [kSecAttrIssuer]: encoder.encode('fzSeed-issuer'), [kSecAttrSerialNumber]: encoder.encode('fzSeed-serial'), [kSecValueData]: encoder.encode('fzSeed-certificate-bytes') },
    { [kSecClass]: kSecClassKey, [kSecAttrApplicationTag]: encoder.encode('fzSeed-tag'), [kSecValueData]: encoder.encode('fzSeed-key-bytes-Dugong') },
  ];
  for (const d of seedItems) {
    const r = app.SecItemAdd({ ...d, [kSecReturnPersistentRef]: true });
    if (r.status !== errSecSuccess) throw new Error(`seed item: ${statusName(r.status)}`);
    seedPrefs.push(r.result as Uint8Array);
  }
  const seedRefs = new Set(seedPrefs.map((p) => Buffer.from(p).toString('hex')));
  let current = snapshot(wild);
  let itemCount = current.split('\n').length;
  const reader = new Database(path, { readonly: true, fileMustExist: true });
  const integrityEvery = options.integrityEvery ?? 2000;
  const dataVersion = reader.prepare('PRAGMA data_version').pluck(true);
  let lastVersion = dataVersion.get() as number;

  /** Deletes every item but the seeds, keeping snapshots cheap. */
  const reset = (): void => {
    for (const cls of itemClassNames) {
      const r = wild.SecItemCopyMatching({ [kSecClass]: cls, [kSecAttrSynchronizable]: kSecAttrSynchronizableAny, [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnPersistentRef]: true });
      if (r.status !== errSecSuccess) continue;
      for (const pref of r.result as Uint8Array[]) {
        if (seedRefs.has(Buffer.from(pref).toString('hex'))) continue;
        const s = wild.SecItemDelete({ [kSecValuePersistentRef]: pref });
        if (s !== errSecSuccess) throw new Error(`reset: delete by persistent ref answered ${statusName(s)}`);
      }
    }
    report.storeResets += 1;
    lastVersion = dataVersion.get() as number;
    current = snapshot(wild);
    itemCount = current.split('\n').length;
  };

  const property = fc.property(arbitraries(() => seedPrefs, options.hugeMax ?? 4 * 1024 * 1024), (call) => {
    report.cases += 1;
    const client = call.wildcard ? wild : app;
    let outcome: { status: number; result?: unknown };
    try {
      outcome = invoke(client, call);
    } catch (e) {
      throw new Error(`Sec${call.fn} threw ${String((e as Error)?.stack ?? e)}`);
    }
    const tally = `${call.fn}:${outcome.status}`;
    report.statuses[tally] = (report.statuses[tally] ?? 0) + 1;
    if (typeof outcome.status !== 'number' || !known.has(outcome.status)) throw new Error(`${call.fn} answered an undocumented status ${describe(outcome.status)}`);
    if (outcome.status === errSecInternalComponent) throw new Error(`${call.fn} answered errSecInternalComponent (an unexpected exception inside; rerun with SECITEM_DEBUG=1)`);
    if (outcome.status !== errSecSuccess && outcome.result !== undefined) throw new Error(`${call.fn} failed with a result`);
    const writes = call.fn !== 'copy' && outcome.status === errSecSuccess;
    // A separate connection's data_version moves exactly when the keychain commits: without
    // a commit the store is unchanged byte for byte, so the snapshot comparison can be skipped
    // (it is still made every 64th case).
    const version = dataVersion.get() as number;
    const committed = version !== lastVersion;
    lastVersion = version;
    if (!writes) {
      if (committed || report.cases % 64 === 0) {
        report.snapshotsCompared += 1;
        const after = snapshot(wild);
        if (after !== current) throw new Error(`${call.fn} answered ${statusName(outcome.status)} but the store changed`);
      }
    } else {
      current = snapshot(wild);
      itemCount = current.split('\n').length;
      if (call.fn === 'add' || call.fn === 'update') {
        const dict = call.fn === 'add' ? call.query : call.update;
        const keys = Object.keys(dict);
        report.largest.keys = Math.max(report.largest.keys, keys.length);
        for (const k of keys) {
          const v = dict[k];
          if (k === kSecValueData) report.largest.valueData = Math.max(report.largest.valueData, valueSize(v));
          else if (k.length === 4 && valueSize(v) > report.largest.attributeValue) {
            report.largest.attributeValue = valueSize(v);
            report.largest.attributeKey = k;
          }
          // Constants (in either form) are not secrets: they are also SQL identifiers in the schema ('persistref').
          const asText = v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v;
          if ((typeof v === 'string' || v instanceof Uint8Array) && !constantSet.has(asText as string) && isDistinctive(v) && valueSize(v) < 4096 && needles.size < 400) needles.add(v);
        }
      }
    }
    if (itemCount > 40 || current.length > 1_000_000) reset();
    if (report.cases % integrityEvery === 0) {
      const rows = reader.pragma('integrity_check') as { integrity_check: string }[];
      report.integrityChecks += 1;
      if (rows.length !== 1 || rows[0].integrity_check !== 'ok') throw new Error(`integrity_check: ${rows.map((r) => r.integrity_check).join('; ')}`);
      options.log?.(`fuzz: ${report.cases} cases, ${itemCount} items`);
    }
  });
  try {
    fc.assert(property, {
      seed: options.seed,
      numRuns: options.cases,
      endOnFailure: false,
      reporter: (details) => {
        if (!details.failed) return;
        const ce = details.counterexample?.[0] as Call | undefined;
        const what = ce === undefined ? '' : `Sec${ce.fn}(${ce.wildcard ? 'wildcard' : 'app'}) query ${describe(ce.query)} update ${describe(ce.update)}`;
        throw new Error(
          `fuzz property failed after ${details.numRuns} runs (seed ${details.seed}, path ${details.counterexamplePath}, ${details.numShrinks} shrinks):\n` +
            `${(details.errorInstance as Error | undefined)?.message ?? ''}\ncounterexample: ${what}`,
        );
      },
    });
  } finally {
    reader.close();
    kc.close();
    try {
      const integrity = integrityCheck(path);
      report.integrityChecks += 1;
      if (integrity !== 'ok') throw new Error(`integrity_check at the end: ${integrity}`);
      report.plaintextNeedles = needles.size;
      assertNoPlaintext(dir, [...needles, 'fzSeed-secret-Capybara-1', 'fzSeed-service-Aardvark', 'fzSeed-account-1', 'fzseed.example.org', 'fzSeed-key-bytes-Dugong'], 'after fuzzing', true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  report.elapsedMs = Date.now() - started;
  return report;
}
