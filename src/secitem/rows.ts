/**
 * Items ⇄ sealed rows: the class key a row's protection class needs in the
 * current lock state, sealing an item into a row, and opening a row back
 * into an item (refusing one that does not authenticate, or that the ledger
 * does not hold as the item's current version).
 * @module
 */
import { SecError, errSecDecode, errSecInteractionNotAllowed, errSecNotAvailable } from '../status.js';
import { openItem, sealItem, sealTagOf } from '../crypto/item-seal.js';
import type { ClassDef } from '../schema/model.js';
import { PASSCODE_SET_CLASS, isProtectionClass, type ProtectionClass } from '../schema/protection.js';
import type { Item } from '../schema/values.js';
import type { RowToWrite, StoredRow } from '../store/item-table.js';
import { decodePayload, encodePayload } from '../store/payload.js';
import { indexItem, rowAad } from '../store/row-codec.js';
import { rowidOf } from '../store/row-uuid.js';
import type { Engine } from './context.js';
import { wipe } from '../crypto/wipe.js';

/** The class key for a protection class, or the status that withholds it. */
export function classKeyFor(engine: Engine, pc: ProtectionClass): Buffer {
  const key = engine.keybag.classKey(pc);
  if (key !== undefined) return key;
  if (pc === PASSCODE_SET_CLASS && !engine.keybag.hasPasscode) {
    throw new SecError(errSecNotAvailable, 'kSecAttrAccessibleWhenPasscodeSetThisDeviceOnly needs a passcode, and none is set');
  }
  throw new SecError(errSecInteractionNotAllowed, `the keychain is ${engine.keybag.state === 'locked' ? 'locked' : 'not yet unlocked'}: items of protection class ${pc} cannot be read or written until it is unlocked`);
}

const failedAuthentication = (): SecError => new SecError(errSecDecode, 'an item failed authentication (the keychain file was altered)');

/**
 * Opens a row's blob; a row that does not authenticate, or that the ledger
 * does not hold as the item's current version, answers errSecDecode.
 */
export function openRow(engine: Engine, cls: ClassDef, row: StoredRow, only?: ReadonlySet<string>): Item {
  // A damaged file can hold any type in any column.
  if (!isProtectionClass(row.pdmn) || !Buffer.isBuffer(row.blob)) throw failedAuthentication();
  if (!engine.db.ledger.vouchesFor(row.persistref, row, sealTagOf(row.blob))) {
    throw new SecError(errSecDecode, 'an item is not its current version (restored from an older copy?)');
  }
  return openSealed(engine, cls, row, only);
}

/**
 * Opens a row's blob without asking the ledger: the item if its seal
 * authenticates in its own row (what a repair re-vouches for), else errSecDecode.
 * With `only`, the item holds only those attributes (decodePayload); they
 * must include the protection class, which is checked against the row's.
 */
export function openSealed(engine: Engine, cls: ClassDef, row: StoredRow, only?: ReadonlySet<string>): Item {
  if (!isProtectionClass(row.pdmn) || !Buffer.isBuffer(row.blob) || !Buffer.isBuffer(row.persistref) || row.persistref.length !== 16) throw failedAuthentication();
  if (row.rowid !== rowidOf(row.persistref)) throw new SecError(errSecDecode, 'an item is not in its own row');
  const payload = openItem(classKeyFor(engine, row.pdmn), row.blob, rowAad(cls, row.persistref, row.pdmn));
  const item = payload === undefined ? undefined : decodePayload(payload, only);
  wipe(payload);
  if (item === undefined || item.attrs.get(cls.byRole.get('protection')!.code) !== row.pdmn) throw failedAuthentication();
  return item;
}

/**
 * Seals an item into the row with this persistent-reference UUID. With
 * `changed` (a rewrite), only the blind indexes of those attributes are
 * computed: the others are not written (see ItemTable.update).
 */
export function sealRow(engine: Engine, cls: ClassDef, persistref: Buffer, item: Item, changed?: ReadonlySet<string>): RowToWrite {
  const pdmn = item.attrs.get(cls.byRole.get('protection')!.code) as ProtectionClass;
  const key = classKeyFor(engine, pdmn);
  const index = indexItem(engine.blind, cls, item.attrs, changed);
  const payload = encodePayload(item);
  const blob = sealItem(key, payload, rowAad(cls, persistref, pdmn));
  wipe(payload);
  return { persistref, pdmn, index, blob, sealTag: sealTagOf(blob) };
}

/** Wipes the bytes a decoded item holds (its data and data attributes) once nothing needs them. */
export function forgetItem(item: Item): void {
  wipe(item.data);
  for (const v of item.attrs.values()) if (v instanceof Uint8Array) wipe(v);
}
