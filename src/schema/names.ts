/**
 * The names a reason gives keys: the kSec constant a developer wrote, with
 * Apple's string value (`kSecAttrService (svce)`), derived from constants.ts.
 * Only ever called with keys, so value constants sharing the map do no harm.
 * @module
 */
import * as constants from '../constants.js';

const byValue = new Map<string, string>();
for (const [name, value] of Object.entries(constants)) {
  if (typeof value !== 'string' || !name.startsWith('kSec')) continue;
  // Of two constants with one value the shorter names it (kSecAttrType, not kSecAttrKeyType).
  const known = byValue.get(value);
  if (known === undefined || name.length < known.length) byValue.set(value, name);
}

/** `kSecAttrService (svce)` for a key with a constant; the key itself otherwise. */
export function keyName(key: string): string {
  const name = byValue.get(key);
  return name === undefined ? `"${key}"` : `${name} (${key})`;
}
