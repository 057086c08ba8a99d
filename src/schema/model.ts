/**
 * The meta-model of the item schema: attribute kinds and flags. The class
 * tables in classes.ts are data written in these terms; SQL, validation and
 * result shaping are derived from them (after Apple's SecDbAttr/SecDbClass).
 * @module
 */

/** How an attribute's value is accepted, stored, compared and returned. */
export type AttrKind =
  /** String or data, kept with the caller's type; compared by bytes. */
  | 'blob'
  /** Data; a string is stored as its UTF-8 bytes. */
  | 'data'
  /** String; data is decoded as UTF-8. */
  | 'string'
  /** Number; a boolean is 0/1, a numeric string its number, another string stays a string. */
  | 'number'
  /** A Date. */
  | 'date'
  /** kSecAttrAccessible: one of the protection-class strings. */
  | 'access'
  /** kSecAttrAccessControl: a SecAccessControl object. */
  | 'accessControl'
  /** kSecAttrSynchronizable: a boolean or 0/1; queries also take kSecAttrSynchronizableAny. */
  | 'sync';

/** Per-attribute flags, named rather than lettered. */
export interface AttrFlags {
  /** Part of the class's uniqueness constraint (Apple's P flag). */
  readonly primaryKey?: boolean;
  /** Missing on add → the kind's empty value: "" or empty data (E). */
  readonly defaultEmpty?: boolean;
  /** Missing on add → 0 (Z). */
  readonly defaultZero?: boolean;
  /** Returned in an attributes dictionary (A). */
  readonly returned?: boolean;
  /** Secret data returned only with kSecReturnData (D), like kSecValueData. */
  readonly secretData?: boolean;
  /** Maintained by the keychain; a caller's value is ignored on add (cdat, mdat). */
  readonly maintained?: boolean;
}

export interface AttrDef extends AttrFlags {
  /** The dictionary key and short code, e.g. 'acct'. */
  readonly code: string;
  readonly kind: AttrKind;
}

export interface ClassDef {
  /** kSecClass value and table name, e.g. 'genp'. */
  readonly name: string;
  /** Default protection class when the caller gives none. */
  readonly defaultProtection: 'ak' | 'dk';
  readonly attrs: readonly AttrDef[];
  /** Lookup by code (derived). */
  readonly byCode: ReadonlyMap<string, AttrDef>;
  /**
   * SQL indexes over blind-index columns besides the unique one, each a list
   * of attribute codes (derived: the declared indexes that uniqueIndex does
   * not already serve).
   */
  readonly indexes: readonly (readonly string[])[];
  /** The uniqueness constraint, in schema order (derived). */
  readonly primaryKey: readonly AttrDef[];
  /**
   * The columns of the UNIQUE index that enforces the uniqueness constraint
   * (derived): the first declared index made only of key attributes leads,
   * then the other key attributes, so that one b-tree both enforces
   * uniqueness and serves the class's main query.
   */
  readonly uniqueIndex: readonly string[];
  /**
   * Attributes with a blind-index column, so queries match them without
   * decryption: every stored attribute except secret data, the protection
   * class (a plain column of its own) and the access-control object (derived).
   */
  readonly searchable: readonly AttrDef[];
}

/** Builds a ClassDef and its derived lookups from a plain attribute list. */
export function defineClass(
  name: string,
  defaultProtection: 'ak' | 'dk',
  attrs: readonly AttrDef[],
  indexes: readonly (readonly string[])[],
): ClassDef {
  const byCode = new Map(attrs.map((a) => [a.code, a] as const));
  if (byCode.size !== attrs.length) throw new Error(`schema ${name}: duplicate attribute code`);
  for (const index of indexes) {
    for (const code of index) if (!byCode.has(code)) throw new Error(`schema ${name}: index on unknown attribute ${code}`);
  }
  const primaryKey = attrs.filter((a) => a.primaryKey);
  const leading = indexes.find((index) => index.every((code) => byCode.get(code)!.primaryKey)) ?? [];
  const uniqueIndex = [...leading, ...primaryKey.map((a) => a.code).filter((code) => !leading.includes(code))];
  const servedByUnique = (index: readonly string[]): boolean => index.every((code, i) => uniqueIndex[i] === code);
  return {
    name,
    defaultProtection,
    attrs,
    indexes: indexes.filter((index) => !servedByUnique(index)),
    byCode,
    primaryKey,
    uniqueIndex,
    searchable: attrs.filter((a) => !a.secretData && a.kind !== 'access' && a.kind !== 'accessControl'),
  };
}
