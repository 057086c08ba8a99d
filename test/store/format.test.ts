/**
 * The keychain format upgrades: every fixture a release wrote opens with
 * every item, attribute and lock behaviour intact; an upgrade is one
 * transaction; schema differences are computed into SQL (pinned by
 * snapshots); formats this build cannot read are refused with a reason.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { openKeychain, LAContext, SecError, errSecInvalidKeychain, errSecSuccess, errSecDuplicateItem } from '../../src/index.js';
import { itemClasses } from '../../src/schema/classes.js';
import { defineClass, type AttrDef, type ClassDef } from '../../src/schema/model.js';
import { KeychainDatabase } from '../../src/store/database.js';
import type { UpgradeContext } from '../../src/store/format.js';
import { MultisetHash } from '../../src/crypto/multiset-hash.js';
import { randomBytes } from 'node:crypto';

/** An upgrade context for files whose device key these tests do not check. */
const testUpgrade: UpgradeContext = { confirmKeychain: () => undefined, ledgerHash: () => new MultisetHash(randomBytes(32)), classIndex: (_cls, v) => Buffer.from(v), sealLegacyAttempts: () => 'unsealed' };
import { FORMAT_VERSION, createSql, schemaChanges, schemaOf, type ExistingIndexes } from '../../src/store/format.js';
import { indexSql } from '../../src/store/schema-sql.js';
import { repoFile, tempDir } from '../helpers.js';

const classes = [...itemClasses.values()];
type Listing = { passcode: string; items: Record<string, unknown>[]; beforeFirstUnlock: Record<string, number> };
interface ListingModule {
  listAll(app: unknown, use?: Record<string, unknown>): Record<string, unknown>[];
  statusesBeforeUnlock(app: unknown, listing: Record<string, unknown>[]): Record<string, number>;
  FIXTURE_CLIENT: { applicationIdentifier: string; keychainAccessGroups: string[]; applicationGroups: string[] };
}
const listingModule = (): Promise<ListingModule> => import(pathToFileURL(repoFile('test/fixtures/listing.mjs')).href) as Promise<ListingModule>;

const dirs: string[] = [];
after(() => dirs.length);

/** A copy of a fixture keychain in a temporary directory (the device key at mode 0600, as a keychain keeps it). */
function copyFixture(name: string): string {
  const dir = tempDir();
  const path = join(dir, 'login.keychain-db');
  copyFileSync(repoFile(`test/fixtures/${name}/login.keychain-db`), path);
  copyFileSync(repoFile(`test/fixtures/${name}/login.keychain-db.devicekey`), `${path}.devicekey`);
  chmodSync(path, 0o600);
  chmodSync(`${path}.devicekey`, 0o600);
  return path;
}

const formatOf = (path: string): unknown => {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare("SELECT value FROM meta WHERE key = 'format'").pluck().get();
  } finally {
    db.close();
  }
};

/** Every fixture a release wrote: each must keep opening in every later build. */
const FIXTURES = ['format-4', 'format-5'];

for (const fixture of FIXTURES) {
  describe(`the ${fixture} fixture`, () => {
    const expected = JSON.parse(readFileSync(repoFile(`test/fixtures/${fixture}/listing.json`), 'utf8')) as Listing;

    it('opens, upgraded to this format, with every item and attribute as its own build listed them', async () => {
      const { listAll, FIXTURE_CLIENT } = await listingModule();
      const path = copyFixture(fixture);
      const kc = openKeychain({ path });
      assert.equal(formatOf(path), `secitem keychain ${FORMAT_VERSION}`);
      assert.equal(kc.lockState, 'beforeFirstUnlock', 'a keychain with a passcode opens before first unlock');
      assert.equal(kc.unlock(expected.passcode), errSecSuccess);
      // The person at the device approves reading the items protected by user presence.
      assert.deepEqual(listAll(kc.client(FIXTURE_CLIENT), { u_AuthCtx: new LAContext({ userPresence: () => true }) }), expected.items);
      kc.close();
    });

    it('answers before first unlock exactly as its own build did (Always classes readable, the others errSecInteractionNotAllowed)', async () => {
      const { statusesBeforeUnlock, FIXTURE_CLIENT } = await listingModule();
      const path = copyFixture(fixture);
      const kc = openKeychain({ path });
      assert.deepEqual(statusesBeforeUnlock(kc.client(FIXTURE_CLIENT), expected.items), expected.beforeFirstUnlock);
      kc.close();
    });

    it('keeps its passcode: a wrong one is refused, and the upgraded file opens again without another upgrade', () => {
      const path = copyFixture(fixture);
      openKeychain({ path }).close();
      const upgraded = readFileSync(path);
      assert.throws(() => openKeychain({ path, passcode: 'wrong' }), (e: unknown) => e instanceof SecError);
      const kc = openKeychain({ path, passcode: expected.passcode });
      assert.equal(kc.lockState, 'unlocked');
      kc.close();
      assert.equal(formatOf(path), `secitem keychain ${FORMAT_VERSION}`);
      assert.ok(upgraded.length > 0);
    });

    it('still enforces uniqueness and takes new items after the upgrade', async () => {
      const { FIXTURE_CLIENT } = await listingModule();
      const path = copyFixture(fixture);
      const kc = openKeychain({ path, passcode: expected.passcode });
      const app = kc.client(FIXTURE_CLIENT);
      assert.equal(app.SecItemAdd({ class: 'genp', svce: 'svc-ak', acct: 'alice', v_Data: new Uint8Array([1]) }).status, errSecDuplicateItem);
      assert.equal(app.SecItemAdd({ class: 'genp', svce: 'after-upgrade', acct: 'alice', v_Data: new Uint8Array([1]) }).status, errSecSuccess);
      kc.close();
    });
  });
}

describe('upgrading', () => {
  it('is one transaction: a step that fails leaves the file as it was (still format 4, byte-identical)', () => {
    const path = copyFixture('format-4');
    // A table in the way of the upgrade's CREATE TABLE for a new class.
    const raw = new Database(path);
    raw.exec('CREATE TABLE newc (x)');
    raw.pragma('wal_checkpoint(TRUNCATE)');
    raw.close();
    const before = readFileSync(path);
    const newClass = defineClass('newc', 'ak', [{ code: 'agrp', kind: 'string', primaryKey: true }], []);
    assert.throws(() => KeychainDatabase.open(path, [...classes, newClass], testUpgrade), SecError);
    const check = new Database(path);
    check.pragma('wal_checkpoint(TRUNCATE)');
    check.close();
    assert.deepEqual(readFileSync(path), before);
    assert.equal(formatOf(path), 'secitem keychain 4');
  });

  it('adds the column of a new searchable attribute, fills a new key column with the empty value, and keeps every item', () => {
    const path = copyFixture('format-4');
    const genp = itemClasses.get('genp')!;
    const extra: AttrDef[] = [
      { code: 'zzzk', kind: 'blob', primaryKey: true, defaultEmpty: true, returned: true },
      { code: 'zzzn', kind: 'number', returned: true },
    ];
    const grown = defineClass('genp', 'ak', [...genp.attrs, ...extra], [['svce', 'acct'], ['acct'], ['zzzn']]);
    const grownClasses = classes.map((c) => (c.name === 'genp' ? grown : c));
    const db = KeychainDatabase.open(path, grownClasses, testUpgrade);
    db.close();
    const raw = new Database(path, { readonly: true });
    const cols = raw.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('genp');
    assert.ok(cols.includes('h_zzzk') && cols.includes('h_zzzn'));
    assert.deepEqual(raw.prepare('SELECT DISTINCT hex(h_zzzk) FROM genp').pluck().all(), ['00']);
    const uniqueSql = raw.prepare("SELECT sql FROM sqlite_master WHERE name = 'genp_unique'").pluck().get() as string;
    assert.match(uniqueSql, /"h_zzzk"/);
    assert.ok(raw.prepare("SELECT 1 FROM sqlite_master WHERE name = 'genp_zzzn'").get());
    const recorded = raw.prepare("SELECT kind, key, \"column\" FROM schema_attributes WHERE class = 'genp' AND code = 'zzzk'").get();
    assert.deepEqual(recorded, { kind: 'blob', key: 1, column: 1 });
    raw.close();
  });

  it('refuses a change it cannot compute without the items (an attribute changing kind), and says which', () => {
    const path = copyFixture('format-4');
    const genp = itemClasses.get('genp')!;
    const changed = defineClass('genp', 'ak', genp.attrs.map((a) => (a.code === 'svce' ? { ...a, kind: 'data' as const } : a)), [['svce', 'acct'], ['acct']]);
    assert.throws(
      () => KeychainDatabase.open(path, classes.map((c) => (c.name === 'genp' ? changed : c)), testUpgrade),
      (e: unknown) => e instanceof SecError && e.status === errSecInvalidKeychain && /genp\.svce changes kind from blob to data/.test(e.message),
    );
    assert.equal(formatOf(path), 'secitem keychain 4');
  });

  it('refuses a file written by a newer build with errSecInvalidKeychain and says so', () => {
    const path = copyFixture('format-4');
    const raw = new Database(path);
    raw.prepare("UPDATE meta SET value = ? WHERE key = 'format'").run(`secitem keychain ${FORMAT_VERSION + 1}`);
    raw.close();
    assert.throws(
      () => openKeychain({ path }),
      (e: unknown) => e instanceof SecError && e.status === errSecInvalidKeychain && /newer secitem/.test(e.message),
    );
  });

  it('records this build\'s schema in a new keychain, and opening it again writes nothing', () => {
    const path = join(tempDir(), 'k.keychain-db');
    openKeychain({ path }).close();
    const raw = new Database(path, { readonly: true });
    const rows = raw.prepare('SELECT class, code, kind, key, "column" FROM schema_attributes ORDER BY class, code').all();
    raw.close();
    const want = schemaOf(classes)
      .map((a) => ({ class: a.cls, code: a.code, kind: a.kind, key: a.key ? 1 : 0, column: a.column ? 1 : 0 }))
      .sort((a, b) => (a.class === b.class ? (a.code < b.code ? -1 : 1) : a.class < b.class ? -1 : 1));
    assert.deepEqual(rows, want);
    const before = readFileSync(path);
    openKeychain({ path }).close();
    assert.deepEqual(readFileSync(path), before);
  });
});

describe('generated SQL (snapshots: a change here is a format change and needs an upgrade)', () => {
  const snapshot = (name: string, actual: string): void => {
    const file = repoFile(`test/store/snapshots/${name}`);
    if (process.env['UPDATE_SNAPSHOTS'] === '1' || !existsSync(file)) writeFileSync(file, actual);
    assert.equal(actual, readFileSync(file, 'utf8'), `${name} differs from its snapshot (UPDATE_SNAPSHOTS=1 rewrites it)`);
  };

  it('the tables and indexes of a new keychain', () => {
    snapshot('create.sql', `${createSql(classes).join(';\n')};\n`);
  });

  it('the upgrade of a class that gains a key attribute, a plain attribute and an index, next to a new class', () => {
    const genp = itemClasses.get('genp')!;
    const grown = defineClass('genp', 'ak', [...genp.attrs, { code: 'zzzk', kind: 'blob', primaryKey: true, defaultEmpty: true }, { code: 'zzzn', kind: 'number' }], [['svce', 'acct'], ['acct'], ['zzzn']]);
    const newClass: ClassDef = defineClass('newc', 'dk', [{ code: 'agrp', kind: 'string', primaryKey: true }, { code: 'labl', kind: 'blob' }], [['labl']]);
    const indexes: ExistingIndexes = new Map(classes.map((c) => [c.name, new Map(indexSql(c).map((i) => [i.name, i.sql]))]));
    const sql = schemaChanges(schemaOf(classes), indexes, [...classes.map((c) => (c.name === 'genp' ? grown : c)), newClass]);
    snapshot('upgrade-example.sql', `${sql.join(';\n')};\n`);
  });
});
