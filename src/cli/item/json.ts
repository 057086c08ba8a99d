/**
 * `item`'s JSON Lines codec (the -j format): one object per item, keys
 * sorted, each value in a form that `-J` and `-u {json}` read back with its
 * type intact.
 * @module
 */
import { kSecAttrSynchronizable, kSecAttrSynchronizableAny, kSecValueData, kSecValuePersistentRef } from '../../index.js';
import type { ClassDef } from '../../schema/model.js';
import { createAccessControl, isAccessControl } from './access-control-text.js';
import { base64Bytes, parseDate, ValueError } from './values.js';
import { SECRET_KEYS } from './secrets.js';

/** A JSON value of the -j format. */
type JsonValue = string | number | boolean | { readonly [key: string]: unknown };

/**
 * One attribute value as -j prints it: strings as strings, numbers as
 * numbers, the sync flag as a boolean, data as `{"base64": "…"}`, dates as
 * `{"date": "<ISO 8601>"}`, an access control as
 * `{"accessControl": {"protection": "ak", "flags": 1}}`.
 */
function toJson(cls: ClassDef | undefined, key: string, value: unknown): JsonValue {
  if (value instanceof Uint8Array) return { base64: Buffer.from(value).toString('base64') };
  if (value instanceof Date) return { date: value.toISOString() };
  if (isAccessControl(value)) return { accessControl: { protection: value.protection, flags: value.flags } };
  if (cls?.byCode.get(key)?.kind === 'sync' && typeof value === 'number') return value !== 0;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return String(value);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The SecItem value of one JSON value (the inverse of toJson). */
function fromJson(key: string, value: unknown): unknown {
  if (typeof value === 'string') {
    if (key === kSecValuePersistentRef) return base64Bytes(value, key);
    return value === 'any' && key === kSecAttrSynchronizable ? kSecAttrSynchronizableAny : value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && typeof value.base64 === 'string') return base64Bytes(value.base64, key);
    if (keys.length === 1 && typeof value.date === 'string') return parseDate(value.date, key);
    if (keys.length === 1 && isPlainObject(value.accessControl)) {
      return createAccessControl(value.accessControl.protection, value.accessControl.flags);
    }
  }
  // A secret's value is never quoted back.
  throw new ValueError(`${key}: not a value of the -j format: ${SECRET_KEYS.has(key) ? 'a secret, not shown' : JSON.stringify(value)}`);
}

/** A JSON object argument as SecItem dictionary entries. */
export function parseJsonObject(text: string): [string, unknown][] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ValueError('not a JSON object');
  }
  if (!isPlainObject(parsed)) throw new ValueError('not a JSON object');
  return Object.entries(parsed).map(([k, v]) => [k, fromJson(k, v)]);
}

/** One JSON line: keys sorted, values in the -j format. */
export function formatJson(cls: ClassDef | undefined, item: Readonly<Record<string, unknown>>): string {
  const out: Record<string, JsonValue> = {};
  for (const key of Object.keys(item).sort()) out[key] = toJson(cls, key, item[key]);
  return `${JSON.stringify(out)}\n`;
}

/** A dictionary as -v shows it: JSON in the -j format, keys in their order, the data hidden. */
export function formatHidingData(cls: ClassDef | undefined, dict: Readonly<Record<string, unknown>>): string {
  const out: Record<string, JsonValue> = {};
  for (const key of Object.keys(dict)) out[key] = SECRET_KEYS.has(key) ? '********' : toJson(cls, key, dict[key]);
  return JSON.stringify(out);
}
