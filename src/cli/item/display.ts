/**
 * `item`'s text output, after Apple's `display_item`: one `key : value` line
 * per attribute, keys sorted and padded to 10, `====` after each item.
 * @module
 */
import { kSecValuePersistentRef } from '../../index.js';
import { accessControlText, isAccessControl } from './access-control-text.js';

/** Apple's data line: `/text/ HEX` for printable UTF-8, `not printable HEX` for other UTF-8, else `HEX`. */
function dataText(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes).toString('hex').toUpperCase();
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return hex;
  }
  return /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffe\uffff]/.test(text) ? `not printable ${hex}` : `/${text}/ ${hex}`;
}

/** One value in a text line: the persistent reference as base64, dates ISO 8601. */
function textOf(key: string, value: unknown): string {
  if (key === kSecValuePersistentRef && value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value instanceof Uint8Array) return dataText(value);
  if (value instanceof Date) return value.toISOString();
  if (isAccessControl(value)) return accessControlText(value);
  return String(value);
}

/** One item as display_item prints it. */
export function formatText(item: Readonly<Record<string, unknown>>): string {
  let out = '';
  for (const key of Object.keys(item).sort()) out += `${key.padEnd(10)} : ${textOf(key, item[key])}\n`;
  return `${out}====\n`;
}
