/**
 * The value forms both of `item`'s syntaxes share (`attr=value` words and
 * the -j JSON format): base64 and `<hex>` bytes, dates, and the failure a
 * value that does not parse is.
 * @module
 */
import { ToolFailure } from '../failures.js';
import { SECRET_KEYS } from './secrets.js';

/** A bad `attr=value` or JSON value: `secitem: item: <message>`, exit 1 (Apple's parse failure). */
export class ValueError extends ToolFailure {
  constructor(message: string) {
    super(`item: ${message}`);
  }
}

const HEX_DATA = /^<((?:[0-9a-fA-F]{2})*)>$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The bytes of `<hex>`, or null for any other text. */
export function hexBytes(text: string): Uint8Array | null {
  const hex = HEX_DATA.exec(text);
  return hex === null ? null : new Uint8Array(Buffer.from(hex[1], 'hex'));
}

/** The bytes of base64 text; `what` names the value in the failure. */
export function base64Bytes(text: string, what: string): Uint8Array {
  // The text is not quoted back: it may be a secret's.
  if (!BASE64.test(text)) throw new ValueError(`${what}: not base64 (${text.length} characters)`);
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/** Dates as -j prints them (ISO 8601), or as CFDate describes them (`2024-05-01 12:00:00 +0000`). */
export function parseDate(text: string, what: string): Date {
  const apple = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?) ([+-]\d\d)(\d\d)$/.exec(text);
  const iso = apple === null ? text : `${apple[1]}T${apple[2]}${apple[3]}:${apple[4]}`;
  const ms = /^\d{4}-\d\d-\d\d/.test(iso) ? Date.parse(iso) : Number.NaN;
  // A secret's text (a date given for bin0…, v_Data) is not quoted back.
  if (Number.isNaN(ms)) throw new ValueError(`${what}: not an ISO 8601 date${SECRET_KEYS.has(what) ? '' : `: "${text}"`}`);
  return new Date(ms);
}
