/**
 * Secret Service attributes as the keychain stores them: a string → string
 * map in a login item's `gena`, canonically encoded (JSON of the pairs
 * sorted by name, UTF-8), so one map has exactly one encoding.
 * @module
 */

/** The canonical encoding of an attribute map. */
export function encodeAttributes(attributes: Readonly<Record<string, string>>): Buffer {
  return Buffer.from(JSON.stringify(Object.keys(attributes).sort().map((k) => [k, attributes[k]])), 'utf8');
}

/** The attribute map of a `gena` value; an empty map for anything that is not an encoding of ours. */
export function decodeAttributes(bytes: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(bytes instanceof Uint8Array)) return out;
  try {
    const pairs = JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
    if (Array.isArray(pairs)) for (const p of pairs) if (Array.isArray(p) && typeof p[0] === 'string' && typeof p[1] === 'string') out[p[0]] = p[1];
  } catch {
    // not ours: no attributes
  }
  return out;
}
