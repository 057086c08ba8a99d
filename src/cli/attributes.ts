/**
 * The item attribute block `security` prints for find-*, delete-* and
 * dump-keychain (keychain_utilities.c: print_keychain_item_attributes):
 *
 * ```
 * keychain: "<path>"
 * version: 512
 * class: "genp"
 * attributes:
 *     0x00000007 <blob>="label"
 *     "acct"<blob>="me"
 *     …
 * ```
 *
 * Each class is described once, as data: the CSSM tag, its format, and the
 * SecItem attribute that carries it. Lines print in ascending 32-bit tag
 * order (derived by sorting, as in every capture of the real tool).
 * @module
 */
import {
  kSecAttrAccount,
  kSecAttrAlias,
  kSecAttrComment,
  kSecAttrCreationDate,
  kSecAttrCreator,
  kSecAttrDescription,
  kSecAttrGeneric,
  kSecAttrHasCustomIcon,
  kSecAttrIsInvisible,
  kSecAttrIsNegative,
  kSecAttrLabel,
  kSecAttrModificationDate,
  kSecAttrScriptCode,
  kSecAttrService,
  kSecAttrType,
  kSecClassGenericPassword,
} from '../index.js';
import { fourCharCode, printBuffer, printUint32, timedateBytes, uint32Bytes } from './print.js';

/** CSSM attribute formats, as the block names them. */
export type AttrFormat = 'string' | 'sint32' | 'uint32' | 'bignum' | 'real' | 'timedate' | 'blob';

/** One line of the block. */
export interface BlockAttr {
  /** The CSSM tag: a four-char code ('acct') or a number (7 = PrintName). */
  readonly tag: number;
  readonly format: AttrFormat;
  /** The SecItem attribute holding the value; null when none does (always <NULL>). */
  readonly key: string | null;
}

/** How one item class prints. */
export interface BlockLayout {
  /** The `class:` value: a four-char code or a CSSM record type. */
  readonly recordType: number;
  /** Attribute lines, in ascending tag order. */
  readonly attrs: readonly BlockAttr[];
}

function layout(recordType: number, attrs: readonly [number | string, AttrFormat, string | null][]): BlockLayout {
  const lines = attrs
    .map(([tag, format, key]): BlockAttr => ({ tag: typeof tag === 'number' ? tag : fourCharCode(tag), format, key }))
    .sort((a, b) => a.tag - b.tag);
  return { recordType, attrs: lines };
}

/** kSecLabelItemAttr / kSecAlias: printed as numeric tags 7 and 8. */
const PRINT_NAME = 0x00000007;
const ALIAS = 0x00000008;

/** Generic password (SecKeychainItem.h kSecGenericPasswordItemClass). */
export const genericPasswordLayout: BlockLayout = layout(fourCharCode(kSecClassGenericPassword), [
  [PRINT_NAME, 'blob', kSecAttrLabel],
  [ALIAS, 'blob', kSecAttrAlias],
  ['acct', 'blob', kSecAttrAccount],
  ['cdat', 'timedate', kSecAttrCreationDate],
  ['crtr', 'uint32', kSecAttrCreator],
  ['cusi', 'sint32', kSecAttrHasCustomIcon],
  ['desc', 'blob', kSecAttrDescription],
  ['gena', 'blob', kSecAttrGeneric],
  ['icmt', 'blob', kSecAttrComment],
  ['invi', 'sint32', kSecAttrIsInvisible],
  ['mdat', 'timedate', kSecAttrModificationDate],
  ['nega', 'sint32', kSecAttrIsNegative],
  // Protected data: a file-keychain notion with no data-protection attribute.
  ['prot', 'blob', null],
  ['scrp', 'sint32', kSecAttrScriptCode],
  ['svce', 'blob', kSecAttrService],
  ['type', 'uint32', kSecAttrType],
]);

/** The Apple database version the block reports for a *.keychain-db file. */
export const KEYCHAIN_DB_VERSION = 512;

/** The bytes an attribute value prints as, or null for `<NULL>`. */
function valueBytes(value: unknown, format: AttrFormat): Uint8Array | null {
  if (value === undefined || value === null) return null;
  switch (format) {
    case 'sint32':
    case 'uint32':
      if (typeof value === 'number') return uint32Bytes(value);
      if (typeof value === 'boolean') return uint32Bytes(value ? 1 : 0);
      break;
    case 'timedate':
      if (value instanceof Date) return timedateBytes(value);
      break;
    default:
      break;
  }
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (typeof value === 'number' || typeof value === 'boolean') return Buffer.from(String(value), 'utf8');
  if (value instanceof Date) return timedateBytes(value);
  return null;
}

/** One `    <tag><format>=<value>` line. */
function attributeLine(attr: BlockAttr, item: Readonly<Record<string, unknown>>): string {
  const bytes = attr.key === null ? null : valueBytes(item[attr.key], attr.format);
  const shown = bytes === null ? '<NULL>' : printBuffer(bytes);
  return `    ${printUint32(attr.tag)}<${attr.format}>=${shown}\n`;
}

/**
 * The whole block for one item.
 * @param keychainPath the file the item lives in, printed as-is in quotes
 * @param item the attributes dictionary SecItemCopyMatching returned
 */
export function formatItemBlock(
  keychainPath: string,
  layoutOfClass: BlockLayout,
  item: Readonly<Record<string, unknown>>,
): string {
  let out = `keychain: "${keychainPath}"\n`;
  out += `version: ${KEYCHAIN_DB_VERSION}\n`;
  out += `class: ${printUint32(layoutOfClass.recordType)}\n`;
  out += 'attributes:\n';
  for (const attr of layoutOfClass.attrs) out += attributeLine(attr, item);
  return out;
}
