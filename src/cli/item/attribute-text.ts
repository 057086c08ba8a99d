/**
 * `item`'s text syntax for a SecItem dictionary: `attr=value,attr=value`
 * words (Apple's keychain_query_parse_string), typed by the engine's schema.
 * @module
 */
import { kSecAttrSynchronizableAny, kSecValueData, kSecValuePersistentRef } from '../../index.js';
import type { AttrDef, ClassDef } from '../../schema/model.js';
import { parseAccessControl } from './access-control-text.js';
import { base64Bytes, hexBytes, parseDate, ValueError } from './values.js';

/** One `key=value` of the text syntax; a key without `=` is `true` (Apple's dangling key). */
export interface TextPair {
  readonly key: string;
  readonly value: string | true;
}

/**
 * Splits `attr=value,attr=value`. A key ends at `=`, a value at `,`; `\`
 * makes the next character literal in either. A key with no `=` stands for
 * `true`.
 */
export function parseAttributeText(text: string): TextPair[] {
  const pairs: TextPair[] = [];
  let inKey = true;
  let key = '';
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\' && i + 1 < text.length) {
      current += text[++i];
    } else if (inKey && ch === '=') {
      key = current;
      current = '';
      inKey = false;
    } else if (ch === ',') {
      if (inKey) {
        if (current !== '') pairs.push({ key: current, value: true });
      } else {
        pairs.push({ key, value: current });
      }
      current = '';
      inKey = true;
    } else {
      current += ch;
    }
  }
  if (!inKey) pairs.push({ key, value: current });
  else if (current !== '') pairs.push({ key: current, value: true });
  return pairs;
}

/**
 * The SecItem value of one `attr=value` word, typed by the class's schema:
 *
 * - string: the text; blob: the text, or bytes when written `<hex>`;
 *   data: the text's UTF-8 bytes, or bytes when written `<hex>`;
 * - number: an integer (decimal or `0x…`) or decimal number; `true`/`false`
 *   are 1/0; other text stays text, as the engine keeps `ptcl=htps`;
 * - date: ISO 8601 (or CFDate's `YYYY-MM-DD hh:mm:ss +0000`);
 * - pdmn: the protection class (`ak`, `cku`, …); accc: see parseAccessControl;
 * - sync: `1`/`0`/`true`/`false`, or `any` for kSecAttrSynchronizableAny.
 *
 * `class` is a string; `v_Data` is data as above; `v_PersistentRef` is base64.
 * A key the class does not have is passed as text (the engine answers
 * errSecNoSuchAttr for a four-character one).
 */
export function textValue(cls: ClassDef | undefined, key: string, text: string | true): unknown {
  if (key === kSecValuePersistentRef) {
    if (text === true) throw new ValueError(`${key}: needs a base64 value`);
    return base64Bytes(text, key);
  }
  if (key === kSecValueData) {
    if (text === true) throw new ValueError(`${key}: needs a value`);
    return hexBytes(text) ?? new Uint8Array(Buffer.from(text, 'utf8'));
  }
  const attr: AttrDef | undefined = cls?.byCode.get(key);
  if (text === true) return attr?.kind === 'number' || attr?.kind === 'sync' ? 1 : true;
  if (attr === undefined) return text;
  switch (attr.kind) {
    case 'blob':
    case 'data':
      return hexBytes(text) ?? text;
    case 'string':
    case 'access':
      return text;
    case 'number':
      if (/^[+-]?\d+(?:\.\d+)?$/.test(text)) return Number(text);
      if (/^0x[0-9a-fA-F]+$/.test(text)) return Number.parseInt(text.slice(2), 16);
      if (text === 'true' || text === 'false') return text === 'true' ? 1 : 0;
      return text;
    case 'date':
      return parseDate(text, key);
    case 'accessControl':
      return parseAccessControl(text);
    case 'sync':
      if (text === 'any') return kSecAttrSynchronizableAny;
      if (text === '1' || text === 'true') return true;
      if (text === '0' || text === 'false') return false;
      throw new ValueError(`${key}: expected 1, 0, true, false or any, not "${text}"`);
  }
}
