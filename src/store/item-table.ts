/**
 * One SQLite table per item class, its columns and indexes generated from the
 * schema: a row holds only the persistent-reference UUID, the protection
 * class, the blind index of the uniqueness constraint (UNIQUE), one blind
 * index column per searchable attribute, and the sealed blob. Queries read
 * back only what opening the blob needs, with the row's ledger entry.
 * Every write keeps the ledger (ledger.ts) in step, in the same transaction.
 * Statements are prepared once per query shape and cached.
 * @module
 */
import type Database from 'better-sqlite3';
import { sealTagOf } from '../crypto/item-seal.js';
import type { ClassDef } from '../schema/model.js';
import type { Ledger } from './ledger.js';

/** A row as a query reads it: what opening the sealed blob needs. */
export interface StoredRow {
  rowid: number;
  persistref: Buffer;
  pdmn: string;
  blob: Buffer;
  /** The seal tag the ledger holds for this row; null when it has no entry. */
  entryTag: Buffer | null;
}

/** A row as written: the stored row plus its uniqueness key and blind indexes. */
export interface RowToWrite {
  persistref: Buffer;
  pdmn: string;
  pk: Buffer;
  /** Blind index values, in the order of the class's `searchable` attributes (null when absent). */
  index: (Buffer | null)[];
  blob: Buffer;
}

/** Which rows a statement touches. Every field narrows the selection. */
export interface Selection {
  /** Blind index column (attribute code) → value it must equal. */
  readonly equal: ReadonlyArray<readonly [code: string, value: Buffer]>;
  /** Protection class the row must have. */
  readonly pdmn?: string;
  /** Blind-indexed access groups the row must be in; undefined means any group. */
  readonly groups?: readonly Buffer[];
  readonly persistref?: Buffer;
  readonly limit?: number;
}

const column = (code: string): string => `"h_${code}"`;

export class ItemTable {
  readonly cls: ClassDef;
  readonly #db: Database.Database;
  readonly #ledger: Ledger;
  readonly #indexColumns: readonly string[];
  readonly #statements = new Map<string, Database.Statement>();

  /** DDL for this class: the table and the indexes its schema declares. */
  static createStatements(cls: ClassDef): string[] {
    const t = cls.name;
    const cols = ['rowid INTEGER PRIMARY KEY', 'persistref BLOB NOT NULL UNIQUE', 'pdmn TEXT NOT NULL', 'pk BLOB NOT NULL UNIQUE'];
    for (const c of cls.searchable.map((a) => column(a.code))) cols.push(`${c} BLOB`);
    cols.push('blob BLOB NOT NULL');
    const ddl = [`CREATE TABLE IF NOT EXISTS ${t} (${cols.join(', ')})`];
    for (const codes of cls.indexes) {
      ddl.push(`CREATE INDEX IF NOT EXISTS ${t}_${codes.join('_')} ON ${t}(${codes.map(column).join(', ')})`);
    }
    return ddl;
  }

  constructor(db: Database.Database, cls: ClassDef, ledger: Ledger) {
    this.cls = cls;
    this.#db = db;
    this.#ledger = ledger;
    this.#indexColumns = cls.searchable.map((a) => column(a.code));
  }

  #prepare(sql: string): Database.Statement {
    let stmt = this.#statements.get(sql);
    if (stmt === undefined) {
      stmt = this.#db.prepare(sql);
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  #where(sel: Selection): { sql: string; binds: unknown[] } {
    const parts: string[] = [];
    const binds: unknown[] = [];
    for (const [code, value] of sel.equal) {
      parts.push(`${column(code)} = ?`);
      binds.push(value);
    }
    if (sel.pdmn !== undefined) {
      parts.push('pdmn = ?');
      binds.push(sel.pdmn);
    }
    if (sel.groups !== undefined) {
      // "= ?" for one group: SQLite evaluates an IN list more slowly, even of one value.
      parts.push(sel.groups.length === 1 ? `${column('agrp')} = ?` : `${column('agrp')} IN (${sel.groups.map(() => '?').join(', ')})`);
      binds.push(...sel.groups);
    }
    if (sel.persistref !== undefined) {
      parts.push('persistref = ?');
      binds.push(sel.persistref);
    }
    return { sql: parts.length > 0 ? ` WHERE ${parts.join(' AND ')}` : '', binds };
  }

  #selectStatement(sel: Selection): { stmt: Database.Statement; binds: unknown[] } {
    const where = this.#where(sel);
    // A limit of one is get() without a LIMIT clause: a bound "LIMIT ?" costs more than the lookup itself.
    const limited = sel.limit !== undefined && sel.limit !== 1;
    const stmt = this.#prepare(
      `SELECT t.rowid AS rowid, persistref, pdmn, blob, ledger.tag AS entryTag FROM ${this.cls.name} t LEFT JOIN ledger ON ledger.uuid = persistref${where.sql}${limited ? ' LIMIT ?' : ''}`,
    );
    return { stmt, binds: limited ? [...where.binds, sel.limit] : where.binds };
  }

  /** Rows matching the selection, in index order (rowid order among equal keys; no ORDER BY, as in Apple's server). */
  select(sel: Selection): StoredRow[] {
    const { stmt, binds } = this.#selectStatement(sel);
    if (sel.limit === 1) {
      const row = stmt.get(...binds) as StoredRow | undefined;
      return row === undefined ? [] : [row];
    }
    return stmt.all(...binds) as StoredRow[];
  }

  /**
   * The rows select() answers, read one at a time as the caller consumes
   * them, so a large match is never held in memory all at once. While it
   * runs, the connection can only read (better-sqlite3): use it inside
   * KeychainDatabase.snapshot.
   */
  iterate(sel: Selection): IterableIterator<StoredRow> {
    const { stmt, binds } = this.#selectStatement(sel);
    return stmt.iterate(...binds) as IterableIterator<StoredRow>;
  }

  /** Inserts a row; throws SQLITE_CONSTRAINT_UNIQUE when its key is taken. */
  insert(row: RowToWrite): number {
    const cols = ['persistref', 'pdmn', 'pk', ...this.#indexColumns, 'blob'];
    const stmt = this.#prepare(`INSERT INTO ${this.cls.name} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
    const rowid = Number(stmt.run(row.persistref, row.pdmn, row.pk, ...row.index, row.blob).lastInsertRowid);
    this.#ledger.set(row.persistref, sealTagOf(row.blob));
    return rowid;
  }

  /**
   * Rewrites a row in place (same rowid, same persistent reference). Only the
   * columns of `changed` attribute codes are set besides the blob, so indexes
   * over unchanged columns are left alone (fewer pages to write and sync);
   * `row.index` and `row.pk` are read only for those.
   */
  update(rowid: number, row: RowToWrite, changed: ReadonlySet<string>): void {
    const cols: string[] = [];
    const binds: unknown[] = [];
    if (changed.has('pdmn')) cols.push('pdmn'), binds.push(row.pdmn);
    if (this.cls.primaryKey.some((a) => changed.has(a.code))) cols.push('pk'), binds.push(row.pk);
    this.cls.searchable.forEach((a, i) => {
      if (changed.has(a.code)) cols.push(this.#indexColumns[i]!), binds.push(row.index[i]);
    });
    cols.push('blob');
    binds.push(row.blob, rowid);
    this.#prepare(`UPDATE ${this.cls.name} SET ${cols.map((c) => `${c} = ?`).join(', ')} WHERE rowid = ?`).run(...binds);
    this.#ledger.set(row.persistref, sealTagOf(row.blob));
  }

  /** Deletes the matching rows; returns how many. */
  delete(sel: Selection): number {
    const where = this.#where(sel);
    const gone = this.#prepare(`DELETE FROM ${this.cls.name}${where.sql} RETURNING persistref`).pluck().all(...where.binds);
    for (const uuid of gone) this.#ledger.remove(uuid);
    return gone.length;
  }
}
