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
  kSecClassInternetPassword,
  kSecAttrAuthenticationType,
  kSecAttrPath,
  kSecAttrPort,
  kSecAttrProtocol,
  kSecAttrSecurityDomain,
  kSecAttrServer,
  kSecAttrCertificateEncoding,
  kSecAttrCertificateType,
  kSecAttrPublicKeyHash,
  kSecAttrIssuer,
  kSecAttrSubjectKeyID,
  kSecAttrSerialNumber,
  kSecAttrSubject,
  kSecAttrKeyClass,
  kSecAttrIsPermanent,
  kSecAttrIsPrivate,
  kSecAttrIsModifiable,
  kSecAttrApplicationLabel,
  kSecAttrApplicationTag,
  kSecAttrKeyCreator,
  kSecAttrKeyType,
  kSecAttrKeySizeInBits,
  kSecAttrEffectiveKeySize,
  kSecAttrStartDate,
  kSecAttrEndDate,
  kSecAttrIsSensitive,
  kSecAttrWasAlwaysSensitive,
  kSecAttrIsExtractable,
  kSecAttrWasNeverExtractable,
  kSecAttrCanEncrypt,
  kSecAttrCanDecrypt,
  kSecAttrCanDerive,
  kSecAttrCanSign,
  kSecAttrCanVerify,
  kSecAttrCanSignRecover,
  kSecAttrCanVerifyRecover,
  kSecAttrCanWrap,
  kSecAttrCanUnwrap,
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
  /** What the block shows for a stored value, where macOS's file keychain records another (certificate type). */
  readonly shown?: (value: unknown) => unknown;
}

/** How one item class prints. */
export interface BlockLayout {
  /** The `class:` value: a four-char code or a CSSM record type. */
  readonly recordType: number;
  /** Attribute lines, in ascending tag order. */
  readonly attrs: readonly BlockAttr[];
}

type AttrRow = readonly [number | string, AttrFormat, string | null, ((value: unknown) => unknown)?];

function layout(recordType: number, attrs: readonly AttrRow[]): BlockLayout {
  const lines = attrs
    .map(([tag, format, key, shown]): BlockAttr => ({ tag: typeof tag === 'number' ? tag : fourCharCode(tag), format, key, ...(shown ? { shown } : {}) }))
    .sort((a, b) => a.tag - b.tag);
  return { recordType, attrs: lines };
}

/** kSecLabelItemAttr / kSecAlias: printed as numeric tags 7 and 8. */
const PRINT_NAME = 0x00000007;
const ALIAS = 0x00000008;

/** The lines both password classes print (SecKeychainItem.h). */
const passwordAttrs: readonly AttrRow[] = [
  [PRINT_NAME, 'blob', kSecAttrLabel],
  [ALIAS, 'blob', kSecAttrAlias],
  ['acct', 'blob', kSecAttrAccount],
  ['cdat', 'timedate', kSecAttrCreationDate],
  ['crtr', 'uint32', kSecAttrCreator],
  ['cusi', 'sint32', kSecAttrHasCustomIcon],
  ['desc', 'blob', kSecAttrDescription],
  ['icmt', 'blob', kSecAttrComment],
  ['invi', 'sint32', kSecAttrIsInvisible],
  ['mdat', 'timedate', kSecAttrModificationDate],
  ['nega', 'sint32', kSecAttrIsNegative],
  // Protected data: a file-keychain notion with no data-protection attribute.
  ['prot', 'blob', null],
  ['scrp', 'sint32', kSecAttrScriptCode],
  ['type', 'uint32', kSecAttrType],
];

/** Generic password (kSecGenericPasswordItemClass). */
export const genericPasswordLayout: BlockLayout = layout(fourCharCode(kSecClassGenericPassword), [
  ...passwordAttrs,
  ['gena', 'blob', kSecAttrGeneric],
  ['svce', 'blob', kSecAttrService],
]);

/** Internet password (kSecInternetPasswordItemClass). */
export const internetPasswordLayout: BlockLayout = layout(fourCharCode(kSecClassInternetPassword), [
  ...passwordAttrs,
  ['atyp', 'blob', kSecAttrAuthenticationType],
  ['path', 'blob', kSecAttrPath],
  ['port', 'uint32', kSecAttrPort],
  ['ptcl', 'uint32', kSecAttrProtocol],
  ['sdmn', 'blob', kSecAttrSecurityDomain],
  ['srvr', 'blob', kSecAttrServer],
]);

/** Certificate (CSSM_DL_DB_RECORD_X509_CERTIFICATE). */
export const certificateLayout: BlockLayout = layout(0x80001000, [
  ['alis', 'blob', kSecAttrAlias],
  ['cenc', 'uint32', kSecAttrCertificateEncoding],
  // macOS's file keychain records every certificate as CSSM_CERT_X_509v1 (1):
  // Certificate.cpp takes the version only from a 4-byte field value, and the
  // CL gives the DER INTEGER's one byte, so `security` prints 0x00000001 for
  // v3 certificates too (every public capture; reference §2.2). The item keeps
  // iOS's version + 1 (3 for v3), which `item` shows.
  ['ctyp', 'uint32', kSecAttrCertificateType, (value) => (value === undefined || value === null ? value : 1)],
  ['hpky', 'blob', kSecAttrPublicKeyHash],
  ['issu', 'blob', kSecAttrIssuer],
  ['labl', 'blob', kSecAttrLabel],
  ['skid', 'blob', kSecAttrSubjectKeyID],
  ['snbr', 'blob', kSecAttrSerialNumber],
  ['subj', 'blob', kSecAttrSubject],
]);

/** Key attributes: numeric CSSM tags 0–26 (CSSM_DL_DB_RECORD_*_KEY). */
const keyAttrs: readonly [number, AttrFormat, string | null][] = [
  [0, 'uint32', kSecAttrKeyClass],
  [1, 'blob', kSecAttrLabel],
  [2, 'blob', kSecAttrAlias],
  [3, 'uint32', kSecAttrIsPermanent],
  [4, 'uint32', kSecAttrIsPrivate],
  [5, 'uint32', kSecAttrIsModifiable],
  [6, 'blob', kSecAttrApplicationLabel],
  [7, 'blob', kSecAttrApplicationTag],
  [8, 'uint32', kSecAttrKeyCreator],
  [9, 'uint32', kSecAttrKeyType],
  [10, 'uint32', kSecAttrKeySizeInBits],
  [11, 'uint32', kSecAttrEffectiveKeySize],
  [12, 'timedate', kSecAttrStartDate],
  [13, 'timedate', kSecAttrEndDate],
  [14, 'uint32', kSecAttrIsSensitive],
  [15, 'uint32', kSecAttrWasAlwaysSensitive],
  [16, 'uint32', kSecAttrIsExtractable],
  [17, 'uint32', kSecAttrWasNeverExtractable],
  [18, 'uint32', kSecAttrCanEncrypt],
  [19, 'uint32', kSecAttrCanDecrypt],
  [20, 'uint32', kSecAttrCanDerive],
  [21, 'uint32', kSecAttrCanSign],
  [22, 'uint32', kSecAttrCanVerify],
  [23, 'uint32', kSecAttrCanSignRecover],
  [24, 'uint32', kSecAttrCanVerifyRecover],
  [25, 'uint32', kSecAttrCanWrap],
  [26, 'uint32', kSecAttrCanUnwrap],
];

/** CSSM record types of keys by kSecAttrKeyClass (0 public, 1 private, 2 symmetric). */
const keyRecordTypes: readonly number[] = [0x0000000f, 0x00000010, 0x00000011];

/** The layout of one key item: its record type follows its key class. */
export function keyLayout(keyClass: unknown): BlockLayout {
  const n = typeof keyClass === 'number' ? keyClass : Number(keyClass);
  return layout(keyRecordTypes[n] ?? keyRecordTypes[2], keyAttrs);
}

/** The layout an item of a SecItem class prints with. */
export function layoutFor(cls: string, item: Readonly<Record<string, unknown>>): BlockLayout {
  switch (cls) {
    case 'genp':
      return genericPasswordLayout;
    case 'inet':
      return internetPasswordLayout;
    case 'cert':
      return certificateLayout;
    default:
      return keyLayout(item[kSecAttrKeyClass]);
  }
}

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
  const stored = attr.key === null ? undefined : item[attr.key];
  const bytes = attr.key === null ? null : valueBytes(attr.shown ? attr.shown(stored) : stored, attr.format);
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
