/**
 * One SQLite table per item class, its columns and indexes generated from the
 * schema: a row's rowid and ledger bucket follow from its persistent-reference
 * UUID (row-uuid.ts: no index of its own, one b-tree fewer to write per add
 * and delete; rowids grow, so adds append), and it holds only the UUID, the
 * protection class, one blind index column per searchable attribute (the
 * key attributes' under one UNIQUE index: the uniqueness constraint), and the
 * sealed blob. Queries read back only what opening the blob needs, with the
 * row's ledger bucket. Every write keeps the ledger (ledger.ts) in step, in
 * the same transaction. Statements are prepared once per query shape and cached.
 * @module
 */
import type Database from 'better-sqlite3';
import type { ClassDef } from '../schema/model.js';
import type { BucketColumns, Ledger } from './ledger.js';
import { ITEMS_PER_BUCKET, rowidOf } from './row-uuid.js';
import { column } from './schema-sql.js';

/** A row as a query reads it: what opening the sealed blob needs, and its ledger bucket's columns. */
export interface StoredRow extends BucketColumns {
  rowid: number;
  persistref: Buffer;
  pdmn: string;
  blob: Buffer;
}

/** A row as written: the stored row plus its blind indexes. */
export interface RowToWrite {
  persistref: Buffer;
  pdmn: string;
  /** Blind index values, in the order of the class's `searchable` attributes (null when absent). */
  index: (Buffer | null)[];
  blob: Buffer;
  /** The authentication tag of the blob's seal: what the ledger records as the item's current version. */
  sealTag: Buffer;
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

/** A selected row (t.rowid, persistref, pdmn, blob, l.bucket, s0…s3, entries) as a StoredRow. */
function storedRow(r: unknown[]): StoredRow {
  return { rowid: r[0] as number, persistref: r[1] as Buffer, pdmn: r[2] as string, blob: r[3] as Buffer, bucket: r[4], s0: r[5], s1: r[6], s2: r[7], s3: r[8], entries: r[9] };
}

export class ItemTable {
  readonly cls: ClassDef;
  readonly #db: Database.Database;
  readonly #ledger: Ledger;
  readonly #indexColumns: readonly string[];
  readonly #statements = new Map<string, Database.Statement>();

  constructor(db: Database.Database, cls: ClassDef, ledger: Ledger) {
    this.cls = cls;
    this.#db = db;
    this.#ledger = ledger;
    this.#indexColumns = cls.searchable.map((a) => column(a.code));
  }

  /** The statement for a query shape, built and prepared on first use. */
  #forShape(shape: string, sql: () => string, raw = false): Database.Statement {
    let stmt = this.#statements.get(shape);
    if (stmt === undefined) {
      stmt = this.#db.prepare(sql());
      if (raw) stmt.raw();
      this.#statements.set(shape, stmt);
    }
    return stmt;
  }

  /** A short key for the WHERE clause a selection needs (the SQL itself is built only once per key). */
  static #shapeOf(sel: Selection): string {
    let shape = '';
    for (const [code] of sel.equal) shape += code;
    return `${shape}|${sel.pdmn === undefined ? '' : 'p'}|${sel.groups?.length ?? ''}|${sel.persistref === undefined ? '' : 'r'}`;
  }

  #whereSql(sel: Selection): string {
    const parts = sel.equal.map(([code]) => `${column(code)} = ?`);
    if (sel.pdmn !== undefined) parts.push('pdmn = ?');
    if (sel.groups !== undefined) {
      // "= ?" for one group: SQLite evaluates an IN list more slowly, even of one value.
      parts.push(sel.groups.length === 1 ? `${column('agrp')} = ?` : `${column('agrp')} IN (${sel.groups.map(() => '?').join(', ')})`);
    }
    if (sel.persistref !== undefined) parts.push('t.rowid = ? AND persistref = ?');
    return parts.length > 0 ? ` WHERE ${parts.join(' AND ')}` : '';
  }

  static #binds(sel: Selection): unknown[] {
    const binds: unknown[] = sel.equal.map(([, value]) => value);
    if (sel.pdmn !== undefined) binds.push(sel.pdmn);
    if (sel.groups !== undefined) binds.push(...sel.groups);
    if (sel.persistref !== undefined) binds.push(rowidOf(sel.persistref), sel.persistref);
    return binds;
  }

  #selectStatement(sel: Selection): { stmt: Database.Statement; binds: unknown[] } {
    // A limit of one is get() without a LIMIT clause: a bound "LIMIT ?" costs more than the lookup itself.
    const limited = sel.limit !== undefined && sel.limit !== 1;
    const stmt = this.#forShape(
      `select ${ItemTable.#shapeOf(sel)}${limited ? ' limit' : ''}`,
      () =>
        // Raw (arrays, in the SELECT's order): better-sqlite3 builds row objects more slowly than storedRow() does.
        `SELECT t.rowid, persistref, pdmn, blob, l.bucket, s0, s1, s2, s3, entries FROM ${this.cls.name} t ` +
        `LEFT JOIN ledger l ON l.bucket = t.rowid / ${ITEMS_PER_BUCKET}${this.#whereSql(sel)}${limited ? ' LIMIT ?' : ''}`,
      true,
    );
    const binds = ItemTable.#binds(sel);
    if (limited) binds.push(sel.limit);
    return { stmt, binds };
  }

  /** Rows matching the selection, in index order (rowid order among equal keys; no ORDER BY, as in Apple's server). */
  select(sel: Selection): StoredRow[] {
    const { stmt, binds } = this.#selectStatement(sel);
    if (sel.limit === 1) {
      const row = stmt.get(...binds) as unknown[] | undefined;
      return row === undefined ? [] : [storedRow(row)];
    }
    return (stmt.all(...binds) as unknown[][]).map(storedRow);
  }

  /**
   * The rows select() answers, read one at a time as the caller consumes
   * them, so a large match is never held in memory all at once. While it
   * runs, the connection can only read (better-sqlite3): use it inside
   * KeychainDatabase.snapshot.
   */
  *iterate(sel: Selection): IterableIterator<StoredRow> {
    const { stmt, binds } = this.#selectStatement(sel);
    for (const row of stmt.iterate(...binds) as IterableIterator<unknown[]>) yield storedRow(row);
  }

  /** The rowid after the last one: rows are appended, so an add writes the table's last page, not a random one. */
  nextRowid(): number {
    return this.#forShape('next rowid', () => `SELECT coalesce(max(rowid), 0) + 1 FROM ${this.cls.name}`).pluck().get() as number;
  }

  /**
   * Inserts a row; throws SQLITE_CONSTRAINT_UNIQUE when its key is taken
   * (SQLITE_CONSTRAINT_PRIMARYKEY when its UUID's rowid is: uuidAt(nextRowid()) never is).
   */
  insert(row: RowToWrite): void {
    const stmt = this.#forShape('insert', () => {
      const cols = ['rowid', 'persistref', 'pdmn', ...this.#indexColumns, 'blob'];
      return `INSERT INTO ${this.cls.name} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`;
    });
    stmt.run(rowidOf(row.persistref), row.persistref, row.pdmn, ...row.index, row.blob);
    this.#ledger.set(row.persistref, row.sealTag);
  }

  /**
   * Rewrites a row in place (same rowid, same persistent reference). Only the
   * columns of `changed` attribute codes are set besides the blob, so indexes
   * over unchanged columns are left alone (fewer pages to write and sync);
   * `row.index` is read only for those. `bucketAsRead`: see Ledger.set.
   */
  update(rowid: number, row: RowToWrite, changed: ReadonlySet<string>, bucketAsRead?: BucketColumns): void {
    const cols: string[] = [];
    const binds: unknown[] = [];
    if (changed.has('pdmn')) cols.push('pdmn'), binds.push(row.pdmn);
    this.cls.searchable.forEach((a, i) => {
      if (changed.has(a.code)) cols.push(this.#indexColumns[i]!), binds.push(row.index[i]);
    });
    cols.push('blob');
    binds.push(row.blob, rowid);
    const sets = cols.join(',');
    this.#forShape(`update ${sets}`, () => `UPDATE ${this.cls.name} SET ${cols.map((c) => `${c} = ?`).join(', ')} WHERE rowid = ?`).run(...binds);
    this.#ledger.set(row.persistref, row.sealTag, bucketAsRead);
  }

  /** Deletes one row by its rowid, whatever it holds (a repair's damaged row; the ledger is rebuilt after). */
  deleteRowid(rowid: number): void {
    this.#forShape('delete rowid', () => `DELETE FROM ${this.cls.name} WHERE rowid = ?`).run(rowid);
  }

  /** Deletes the matching rows; returns how many. */
  delete(sel: Selection): number {
    const stmt = this.#forShape(`delete ${ItemTable.#shapeOf(sel)}`, () => `DELETE FROM ${this.cls.name} AS t${this.#whereSql(sel)} RETURNING rowid, persistref`);
    const gone = stmt.raw().all(...ItemTable.#binds(sel)) as [unknown, unknown][];
    for (const [rowid, uuid] of gone) {
      // Only a row at its own UUID's rowid stands for that UUID: a forged or moved row cannot strike another item's record.
      if (uuid instanceof Uint8Array && uuid.length === 16 && rowid === rowidOf(uuid)) this.#ledger.remove(uuid);
    }
    return gone.length;
  }
}
