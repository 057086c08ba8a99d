/**
 * The SQL an item class's schema generates: its table (rowid, persistent
 * reference, protection class, one blind-index column per searchable
 * attribute, the sealed blob), the UNIQUE index that enforces its
 * uniqueness constraint, and its other indexes. Pinned by a snapshot test
 * (test/store/format.test.ts): a change here is a format change.
 * @module
 */
import type { ClassDef } from '../schema/model.js';

/** The blind-index column of an attribute. */
export const column = (code: string): string => `"h_${code}"`;

/** What a key column holds for its attribute's empty value (see row-codec.ts). */
export const EMPTY_KEY_SQL = "X'00'";

/** One index of a class's table: its name and its full CREATE statement. */
export interface IndexSql {
  readonly name: string;
  readonly sql: string;
}

/** The CREATE TABLE statement of a class. */
export function tableSql(cls: ClassDef): string {
  const cols = ['rowid INTEGER PRIMARY KEY', 'persistref BLOB NOT NULL', 'pdmn TEXT NOT NULL'];
  for (const a of cls.searchable) cols.push(`${column(a.code)} BLOB`);
  cols.push('blob BLOB NOT NULL');
  return `CREATE TABLE ${cls.name} (${cols.join(', ')})`;
}

/** The indexes of a class's table: the unique one first. */
export function indexSql(cls: ClassDef): IndexSql[] {
  const t = cls.name;
  const unique = `${t}_unique`;
  const out = [{ name: unique, sql: `CREATE UNIQUE INDEX ${unique} ON ${t}(${cls.uniqueIndex.map(column).join(', ')})` }];
  for (const codes of cls.indexes) {
    const name = `${t}_${codes.join('_')}`;
    out.push({ name, sql: `CREATE INDEX ${name} ON ${t}(${codes.map(column).join(', ')})` });
  }
  return out;
}

/** Every statement that creates a class's table and indexes. */
export function classSql(cls: ClassDef): string[] {
  return [tableSql(cls), ...indexSql(cls).map((i) => i.sql)];
}
