/**
 * The keychain file's format: its version, the schema it was written with,
 * and the upgrade of an older file to this build's format.
 *
 * The meta row `format` holds `secitem keychain <version>`. From version 5
 * the file also records, in `schema_attributes`, every attribute of every
 * class as it was written (kind, uniqueness key, blind-index column). An
 * upgrade is one write transaction, so a file is either upgraded whole or
 * left as it was:
 *   1. version steps (`steps`): changes no schema table can describe
 *      (ledger, keybag, payload layouts);
 *   2. schema reconciliation (`schemaChanges`): the difference between the
 *      recorded schema and this build's classes, computed: a new class gets
 *      its table; a new searchable attribute its column (a key attribute's
 *      column filled with the empty-value marker, which every existing item
 *      holds for an attribute it cannot have); indexes are dropped and
 *      created to match. A change that needs each item's values (an
 *      attribute's kind, its key flag, a class or column removed) cannot be
 *      computed without the class keys: it is refused with a reason, and
 *      needs a version step of its own.
 * Every format a release wrote has a fixture under test/fixtures/ that every
 * later build must open.
 * @module
 */
import type Database from 'better-sqlite3';
import { SecError, errSecInvalidKeychain } from '../status.js';
import type { AttrKind, ClassDef } from '../schema/model.js';
import type { MultisetHash } from '../crypto/multiset-hash.js';
import { Ledger } from './ledger.js';
import { EMPTY_KEY_SQL, classSql, column, indexSql } from './schema-sql.js';

/** The format this build writes. */
export const FORMAT_VERSION = 6;
/** The oldest format this build upgrades (formats 1–3 were development builds, never released). */
export const OLDEST_UPGRADABLE = 4;

const FORMAT_PREFIX = 'secitem keychain ';

export const formatString = (version: number): string => `${FORMAT_PREFIX}${version}`;

/** The version in a `format` meta value, or undefined when it is not a secitem keychain's. */
export function parseFormat(value: unknown): number | undefined {
  if (typeof value !== 'string' || !value.startsWith(FORMAT_PREFIX)) return undefined;
  const digits = value.slice(FORMAT_PREFIX.length);
  return /^[1-9][0-9]{0,8}$/.test(digits) ? Number(digits) : undefined;
}

/** One attribute as a file records it. */
export interface RecordedAttr {
  readonly cls: string;
  readonly code: string;
  readonly kind: AttrKind;
  /** Part of the class's uniqueness constraint. */
  readonly key: boolean;
  /** Has a blind-index column. */
  readonly column: boolean;
}

export const SCHEMA_TABLE_SQL =
  'CREATE TABLE schema_attributes (class TEXT NOT NULL, code TEXT NOT NULL, kind TEXT NOT NULL, key INTEGER NOT NULL, "column" INTEGER NOT NULL, PRIMARY KEY (class, code)) WITHOUT ROWID';

/** The attributes of this build's classes, as a file records them. */
export function schemaOf(classes: readonly ClassDef[]): RecordedAttr[] {
  return classes.flatMap((cls) =>
    cls.attrs.map((a) => ({ cls: cls.name, code: a.code, kind: a.kind, key: a.primaryKey === true, column: cls.searchable.includes(a) })),
  );
}

function readRecorded(db: Database.Database): RecordedAttr[] {
  const rows = db.prepare('SELECT class, code, kind, key, "column" FROM schema_attributes ORDER BY class, code').all() as {
    class: string;
    code: string;
    kind: AttrKind;
    key: number;
    column: number;
  }[];
  return rows.map((r) => ({ cls: r.class, code: r.code, kind: r.kind, key: r.key === 1, column: r.column === 1 }));
}

function writeRecorded(db: Database.Database, attrs: readonly RecordedAttr[]): void {
  db.exec('DELETE FROM schema_attributes');
  const insert = db.prepare('INSERT INTO schema_attributes (class, code, kind, key, "column") VALUES (?, ?, ?, ?, ?)');
  for (const a of attrs) insert.run(a.cls, a.code, a.kind, a.key ? 1 : 0, a.column ? 1 : 0);
}

/** The statements that make an empty file of this format (after the meta and ledger tables). */
export function createSql(classes: readonly ClassDef[]): string[] {
  return [SCHEMA_TABLE_SQL, ...classes.flatMap(classSql)];
}

/** Records this build's schema in a file just created. */
export function recordSchema(db: Database.Database, classes: readonly ClassDef[]): void {
  writeRecorded(db, schemaOf(classes));
}

/** Indexes as a file has them: name → CREATE statement, per table. */
export type ExistingIndexes = ReadonlyMap<string, ReadonlyMap<string, string>>;

function readIndexes(db: Database.Database): ExistingIndexes {
  const rows = db.prepare("SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").all() as {
    tbl_name: string;
    name: string;
    sql: string;
  }[];
  const out = new Map<string, Map<string, string>>();
  for (const r of rows) {
    if (!out.has(r.tbl_name)) out.set(r.tbl_name, new Map());
    out.get(r.tbl_name)!.set(r.name, r.sql);
  }
  return out;
}

const refuse = (why: string): never => {
  throw new SecError(errSecInvalidKeychain, `the keychain's schema cannot be upgraded automatically: ${why}`);
};

/**
 * The SQL that brings a file's tables from the recorded schema to
 * `classes`, in order; refuses (errSecInvalidKeychain) a change that cannot
 * be computed without each item's values. Pure: pinned by snapshot tests.
 */
export function schemaChanges(recorded: readonly RecordedAttr[], indexes: ExistingIndexes, classes: readonly ClassDef[]): string[] {
  const sql: string[] = [];
  const recordedByClass = new Map<string, Map<string, RecordedAttr>>();
  for (const a of recorded) {
    if (!recordedByClass.has(a.cls)) recordedByClass.set(a.cls, new Map());
    recordedByClass.get(a.cls)!.set(a.code, a);
  }
  const wanted = new Set(classes.map((c) => c.name));
  for (const name of recordedByClass.keys()) if (!wanted.has(name)) refuse(`class ${name} would be removed with its items`);

  for (const cls of classes) {
    const before = recordedByClass.get(cls.name);
    if (before === undefined) {
      sql.push(...classSql(cls));
      continue;
    }
    const after = new Map(schemaOf([cls]).map((a) => [a.code, a]));
    for (const [code, was] of before) {
      const now = after.get(code);
      if (now === undefined) {
        if (was.column) refuse(`${cls.name}.${code} would lose its column`);
        continue; // an attribute kept only in payloads: old items keep their value, new ones cannot set it
      }
      if (now.kind !== was.kind) refuse(`${cls.name}.${code} changes kind from ${was.kind} to ${now.kind}`);
      if (now.key !== was.key) refuse(`${cls.name}.${code} ${now.key ? 'joins' : 'leaves'} the uniqueness constraint`);
      if (now.column !== was.column) refuse(`${cls.name}.${code} ${now.column ? 'gains' : 'loses'} its blind-index column`);
    }
    const wantedIndexes = indexSql(cls);
    const existing = indexes.get(cls.name) ?? new Map<string, string>();
    const keep = (i: { name: string; sql: string }): boolean => existing.get(i.name) === i.sql;
    for (const [name] of existing) if (!wantedIndexes.some((i) => i.name === name && keep(i))) sql.push(`DROP INDEX ${name}`);
    for (const a of after.values()) {
      if (before.has(a.code) || !a.column) continue;
      sql.push(`ALTER TABLE ${cls.name} ADD COLUMN ${column(a.code)} BLOB`);
      // Every existing item lacks the new attribute: a key column holds the empty value's marker.
      if (a.key) sql.push(`UPDATE ${cls.name} SET ${column(a.code)} = ${EMPTY_KEY_SQL}`);
    }
    for (const i of wantedIndexes) if (!keep(i)) sql.push(i.sql);
  }
  return sql;
}

/**
 * What an upgrade needs from the keychain above the store: steps that must
 * authenticate what they write (under keys derived from the device key).
 */
export interface UpgradeContext {
  /**
   * Throws unless this is the caller's keychain (its device key matches):
   * called before anything is written, so a wrong key never upgrades a file.
   */
  confirmKeychain(meta: (key: string) => unknown): void;
  /** The ledger's key (for the steps that re-seal its root). */
  ledgerHash(): MultisetHash;
  /** A class's blind index from the first step's value (crypto/blind-index.ts ofClass). */
  classIndex(cls: string, firstStep: Uint8Array): Buffer;
  /** The sealed form of a passcode-attempt counter as format 5 and older kept it (raw meta value, or undefined when absent). */
  sealLegacyAttempts(raw: unknown): string;
}

/** A change no schema table describes, from one version to the next. */
interface VersionStep {
  readonly from: number;
  run(db: Database.Database, ctx: UpgradeContext): void;
}

/**
 * Format 4's attributes (main at b83d7df): from version 5 a file records
 * its own. Codes by class; each `code kind [key] [column]`.
 */
const FORMAT_4_SCHEMA: Readonly<Record<string, string>> = {
  genp: 'cdat date column,mdat date column,labl blob column,alis blob column,agrp string key column,pdmn access,accc accessControl,sync sync key column,vwht string key column,tkid string key column,desc blob column,icmt blob column,crtr number column,type number column,scrp number column,invi number column,nega number column,cusi number column,prot blob column,acct blob key column,svce blob key column,gena blob column',
  inet: 'cdat date column,mdat date column,labl blob column,alis blob column,agrp string key column,pdmn access,accc accessControl,sync sync key column,vwht string key column,tkid string key column,desc blob column,icmt blob column,crtr number column,type number column,scrp number column,invi number column,nega number column,cusi number column,prot blob column,acct blob key column,sdmn blob key column,srvr blob key column,ptcl number key column,atyp blob key column,port number key column,path blob key column,binn data,bini data,bin0 data,bin1 data,bin2 data,bin3 data',
  cert: 'cdat date column,mdat date column,labl blob column,alis blob column,agrp string key column,pdmn access,accc accessControl,sync sync key column,vwht string key column,tkid string key column,ctyp number key column,cenc number column,subj data column,issr data key column,slnr data key column,skid data column,pkhh data column',
  keys: 'cdat date column,mdat date column,labl blob column,alis blob column,agrp string key column,pdmn access,accc accessControl,sync sync key column,vwht string key column,tkid string key column,kcls number key column,perm number column,priv number column,modi number column,klbl data key column,atag blob key column,crtr number key column,type number key column,bsiz number key column,esiz number key column,sdat date key column,edat date key column,sens number column,asen number column,extr number column,next number column,encr number column,decr number column,drve number column,sign number column,vrfy number column,snrc number column,vyrc number column,wrap number column,unwp number column',
};

function parseFrozenSchema(frozen: Readonly<Record<string, string>>): RecordedAttr[] {
  return Object.entries(frozen).flatMap(([cls, list]) =>
    list.split(',').map((entry) => {
      const [code, kind, ...flags] = entry.split(' ');
      return { cls, code: code!, kind: kind as AttrKind, key: flags.includes('key'), column: flags.includes('column') };
    }),
  );
}

/** The version steps, in order; step `from: n` makes a file of version n one of version n + 1. */
const steps: readonly VersionStep[] = [
  {
    // 4 → 5: the file records its schema.
    from: 4,
    run(db) {
      db.exec(SCHEMA_TABLE_SQL);
      writeRecorded(db, parseFrozenSchema(FORMAT_4_SCHEMA));
    },
  },
  {
    // 5 → 6: the passcode-attempt counter is authenticated, and always present
    // (a counter missing from a format-6 file counts as the most failures);
    // the ledger's total becomes a root that names the keybag (an HMAC binds
    // the sum and the keybag's digest), so an older keybag is refused.
    from: 5,
    run(db, ctx) {
      const raw = db.prepare("SELECT value FROM meta WHERE key = 'attempts'").pluck().get();
      db.prepare("INSERT INTO meta (key, value) VALUES ('attempts', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(ctx.sealLegacyAttempts(raw));
      Ledger.upgradeRoot(db, ctx.ledgerHash(), db.prepare("SELECT value FROM meta WHERE key = 'keybag'").pluck().get());
      // Blind indexes gain their class's step, computed from the stored ones (the one-byte empty-value markers stay).
      db.function('secitem_class_index', { deterministic: true }, (cls: unknown, value: unknown) =>
        Buffer.isBuffer(value) && value.length === 16 ? ctx.classIndex(String(cls), value) : value,
      );
      for (const a of readRecorded(db)) {
        if (a.column) db.prepare(`UPDATE ${a.cls} SET ${column(a.code)} = secitem_class_index(?, ${column(a.code)}) WHERE length(${column(a.code)}) = 16`).run(a.cls);
      }
    },
  },
];

/** Why a file of this version cannot be opened, or undefined when it can (possibly after an upgrade). */
export function unsupportedReason(version: number): string | undefined {
  if (version > FORMAT_VERSION) return `it was written by a newer secitem (format ${version}; this build reads formats ${OLDEST_UPGRADABLE} to ${FORMAT_VERSION})`;
  if (version < OLDEST_UPGRADABLE) return `its format ${version} is from a development build and cannot be upgraded`;
  return undefined;
}

/**
 * Brings the file to this build's format and schema inside the caller's
 * write transaction (read the version inside it: another process may have
 * upgraded the file meanwhile). `setFormat` writes the new version.
 */
export function upgrade(db: Database.Database, version: number, classes: readonly ClassDef[], ctx: UpgradeContext, setFormat: (value: string) => void): void {
  for (let v = version; v < FORMAT_VERSION; v++) {
    const step = steps.find((s) => s.from === v);
    if (step === undefined) throw new Error(`no upgrade step from format ${v}`);
    step.run(db, ctx);
  }
  for (const statement of schemaChanges(readRecorded(db), readIndexes(db), classes)) db.exec(statement);
  recordSchema(db, classes);
  if (version !== FORMAT_VERSION) setFormat(formatString(FORMAT_VERSION));
}

/** Whether a file of this version and schema needs upgrade() to run (checked without writing). */
export function needsUpgrade(db: Database.Database, version: number, classes: readonly ClassDef[]): boolean {
  if (version !== FORMAT_VERSION) return true;
  const recorded = readRecorded(db);
  return !sameSchema(recorded, schemaOf(classes)) || schemaChanges(recorded, readIndexes(db), classes).length > 0;
}

function sameSchema(a: readonly RecordedAttr[], b: readonly RecordedAttr[]): boolean {
  const key = (x: RecordedAttr): string => `${x.cls} ${x.code} ${x.kind} ${x.key} ${x.column}`;
  const sa = a.map(key).sort();
  const sb = b.map(key).sort();
  return sa.length === sb.length && sa.every((s, i) => s === sb[i]);
}
