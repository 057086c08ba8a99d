/**
 * The keychain database file: opening it safely (an existing file that is
 * not a keychain is refused and never written; an older format is upgraded
 * in one transaction, see format.ts), durable settings (WAL,
 * synchronous=FULL, bounded busy wait), the meta table, the item tables, and
 * one transaction per call.
 * @module
 */
import Database from 'better-sqlite3';
import { closeSync, openSync } from 'node:fs';
import {
  SecError,
  errSecDiskFull,
  errSecIO,
  errSecInteractionNotAllowed,
  errSecInvalidKeychain,
  errSecReadOnly,
  errSecDecode,
} from '../status.js';
import type { ClassDef } from '../schema/model.js';
import type { MultisetHash } from '../crypto/multiset-hash.js';
import { FORMAT_VERSION, createSql, formatString, needsUpgrade, parseFormat, recordSchema, unsupportedReason, upgrade, type UpgradeContext } from './format.js';
import { ItemTable } from './item-table.js';
import { Ledger, type LedgerState } from './ledger.js';

/** How long a call waits for another process's write transaction before giving up. */
const BUSY_TIMEOUT_MS = 5000;

export type MetaKey = 'format' | 'deviceCheck' | 'keybag' | 'attempts';

export class KeychainDatabase {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #tables = new Map<string, ItemTable>();
  readonly ledger: Ledger;
  readonly #getMeta: Database.Statement;
  readonly #setMeta: Database.Statement;
  /** One transaction wrapper, made once: `.immediate(fn)` runs fn inside BEGIN IMMEDIATE … COMMIT. */
  readonly #transaction: Database.Transaction<(fn: () => unknown) => unknown>;

  private constructor(path: string, db: Database.Database, classes: readonly ClassDef[]) {
    this.path = path;
    this.#db = db;
    this.#getMeta = db.prepare('SELECT value FROM meta WHERE key = ?').pluck(true);
    // An upsert rewrites an existing row in place (REPLACE would delete and re-insert it, writing the key index too).
    this.#setMeta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    this.ledger = new Ledger(db, classes.length);
    for (const cls of classes) this.#tables.set(cls.name, new ItemTable(db, cls, this.ledger));
    this.#transaction = db.transaction((fn: () => unknown) => fn());
  }

  /**
   * Creates a keychain database at a path where no file exists (mode 0600),
   * writing its tables, the initial meta values and the ledger's first total in one transaction.
   */
  static create(path: string, classes: readonly ClassDef[], initialMeta: ReadonlyMap<MetaKey, Buffer | string>, ledgerHash: MultisetHash): KeychainDatabase {
    closeSync(openSync(path, 'wx', 0o600)); // exclusive: never replaces an existing file
    const db = new Database(path, { fileMustExist: true });
    try {
      configure(db);
      // One transaction: a file is a whole keychain or an empty file.
      translateSqliteErrors(() =>
        db.transaction(() => {
          for (const statement of ['CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL)', Ledger.ddl, ...createSql(classes)]) db.exec(statement);
          recordSchema(db, classes);
          const setMeta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
          setMeta.run('format', formatString(FORMAT_VERSION));
          for (const [k, v] of initialMeta) setMeta.run(k, v);
          Ledger.create(db, ledgerHash, initialMeta.get('keybag'));
        }).immediate(),
      );
      return new KeychainDatabase(path, db, classes);
    } catch (e) {
      db.close();
      throw e;
    }
  }

  /**
   * Opens an existing keychain, upgrading an older format first (one
   * transaction: on failure the file is left as it was); SecError
   * (errSecInvalidKeychain) if the file is not one, or of a format this
   * build cannot read.
   */
  static open(path: string, classes: readonly ClassDef[], upgradeContext: UpgradeContext): KeychainDatabase {
    let db: Database.Database;
    try {
      db = new Database(path, { fileMustExist: true });
    } catch (e) {
      throw new SecError(errSecInvalidKeychain, `cannot open ${path}: ${(e as Error).message}`);
    }
    try {
      // Check before any pragma: a file that is not ours must stay byte-identical.
      // Waiting for another process's lock writes nothing to the file; without it, a reader behind a writer would be told the file is not a keychain.
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      const readVersion = (): number | undefined => {
        try {
          return parseFormat(db.prepare("SELECT value FROM meta WHERE key = 'format'").pluck(true).get());
        } catch (e) {
          if (isBusy(e)) throw busy();
          return undefined; // not a database, or no meta table: not a keychain
        }
      };
      const version = readVersion();
      if (version === undefined) throw new SecError(errSecInvalidKeychain, `${path} is not a secitem keychain`);
      const unsupported = unsupportedReason(version);
      if (unsupported !== undefined) throw new SecError(errSecInvalidKeychain, `${path} cannot be opened: ${unsupported}`);
      configure(db);
      if (needsUpgrade(db, version, classes)) {
        upgradeContext.confirmKeychain((key) => db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(key));
        translateSqliteErrors(() =>
          db.transaction(() => {
            // Another process may have upgraded the file since the check.
            const current = readVersion()!;
            const setFormat = (value: string): void => void db.prepare("UPDATE meta SET value = ? WHERE key = 'format'").run(value);
            upgrade(db, current, classes, upgradeContext, setFormat);
          }).immediate(),
        );
      }
      return new KeychainDatabase(path, db, classes);
    } catch (e) {
      db.close();
      throw e;
    }
  }

  /** Gives the ledger its key and checks it against the keybag in the file (see Ledger.start). */
  startLedger(hash: MultisetHash): LedgerState {
    return this.snapshot(() => this.ledger.start(hash, this.getMeta('keybag')));
  }

  table(className: string): ItemTable {
    const t = this.#tables.get(className);
    if (t === undefined) throw new Error(`no table for class ${className}`);
    return t;
  }

  get tables(): Iterable<ItemTable> {
    return this.#tables.values();
  }

  getMeta(key: MetaKey): Buffer | string | undefined {
    return this.#getMeta.get(key) as Buffer | string | undefined;
  }

  setMeta(key: MetaKey, value: Buffer | string): void {
    this.#setMeta.run(key, value);
  }

  /** Runs `fn` in one write transaction (BEGIN IMMEDIATE): all of it happens or none. */
  write<T>(fn: () => T): T {
    return translateSqliteErrors(() => this.#transaction.immediate(fn) as T);
  }

  /** Runs a read of one statement (atomic by itself, so no explicit transaction). */
  read<T>(fn: () => T): T {
    return translateSqliteErrors(fn);
  }

  /** Runs several reads in one read transaction: they all see the same state of the file. */
  snapshot<T>(fn: () => T): T {
    return translateSqliteErrors(() => this.#transaction.deferred(fn) as T);
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

function configure(db: Database.Database): void {
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('journal_mode = WAL');
  // Durability on return: the WAL is synced at every commit.
  db.pragma('synchronous = FULL');
  // Deleted secrets' pages are overwritten, not left in free pages.
  db.pragma('secure_delete = ON');
  // 8 MB of page cache (better-sqlite3 builds SQLite with 16 MB): a keychain of
  // ~15,000 items is read without a system call, every interior b-tree page of
  // a million items still fits, and the process stays small (see README, Speed).
  db.pragma('cache_size = -8000');
}

/** Whether a SQLite error is another connection's lock. */
function isBusy(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

const busy = (): SecError => new SecError(errSecInteractionNotAllowed, 'the keychain is busy in another process');

/** SQLite failures become OSStatus errors; programming errors pass through. */
function translateSqliteErrors<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('SQLITE_')) throw e;
    if (code.startsWith('SQLITE_CONSTRAINT')) throw e; // the caller maps uniqueness to errSecDuplicateItem
    if (isBusy(e)) throw busy();
    if (code === 'SQLITE_FULL') throw new SecError(errSecDiskFull, 'the disk is full');
    if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_PERM')) {
      throw new SecError(errSecReadOnly, 'the keychain file cannot be written');
    }
    if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') throw new SecError(errSecDecode, 'the keychain database is damaged');
    throw new SecError(errSecIO, `storage error ${code}`);
  }
}
