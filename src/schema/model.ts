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

/**
 * What the engine does with an attribute beyond storing and matching it.
 * - accessGroup: narrows every search to the caller's groups; an add's group
 *   is checked against (or chosen from) the caller's entitlements.
 * - protection: the row's protection class, a plain column; picks the class key.
 * - accessControl: a SecAccessControl, never a search condition.
 * - sync: a query that does not name it sees only items where it is 0.
 * - creationDate, modificationDate: kept by the keychain.
 */
export type AttrRole = 'accessGroup' | 'protection' | 'accessControl' | 'sync' | 'creationDate' | 'modificationDate';

/** What a compute hook knows about the call that runs it. */
export interface ComputeContext {
  /** The time of the call. */
  readonly now: Date;
  /** The caller's group for a new item: `given` if the caller may write it, else its first group (throws otherwise). */
  groupForAdd(given: string | undefined): string;
  /** The protection class the dictionary names (kSecAttrAccessible or kSecAttrAccessControl), if any. */
  readonly namedProtection: string | undefined;
  /** The class's default protection class. */
  readonly defaultProtection: string;
}

/**
 * Computes an attribute's stored value from what the caller gave (`given`)
 * and, on update, the item's current value (`current`); undefined leaves it absent.
 */
export type ComputeHook = (given: AttrValueLike | undefined, current: AttrValueLike | undefined, ctx: ComputeContext) => AttrValueLike | undefined;

/** Any converted attribute value (schema/values.ts AttrValue; kept opaque here to keep this module a leaf). */
export type AttrValueLike = unknown;

/** Per-attribute flags, named rather than lettered. */
export interface AttrFlags {
  /** What the engine does with it besides storing and matching (see AttrRole). */
  readonly role?: AttrRole;
  /** Its value on add, computed (a caller's value is passed as `given`). */
  readonly computeOnAdd?: ComputeHook;
  /** Its value on every update, computed (the update's value as `given`, the old one as `current`). */
  readonly computeOnUpdate?: ComputeHook;
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
  /** The attribute of each role (derived). */
  readonly byRole: ReadonlyMap<AttrRole, AttrDef>;
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
    searchable: attrs.filter((a) => !a.secretData && a.role !== 'protection' && a.role !== 'accessControl'),
    byRole: new Map(attrs.flatMap((a) => (a.role === undefined ? [] : [[a.role, a] as const]))),
  };
}
