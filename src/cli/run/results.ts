/**
 * What SecItemCopyMatching returns, as the commands read it: an attributes
 * dictionary, or several in an array.
 * @module
 */

/** An item as SecItemCopyMatching returned it (attributes, data, persistent ref). */
export type ItemRecord = Readonly<Record<string, unknown>>;

/** Whether `value` is an attributes dictionary (not data, not an array). */
export function isRecord(value: unknown): value is ItemRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** The dictionaries of a result: one, or each of an array. */
export function resultItems(result: unknown): ItemRecord[] {
  return (Array.isArray(result) ? result : [result]).filter(isRecord);
}
