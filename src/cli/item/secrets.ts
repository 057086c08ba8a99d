/**
 * The secrets `item` words can carry — kSecValueData and every attribute the
 * schema marks as secret data (an internet password's extra fields) — and
 * how an echo or an error shows them: as `********`, never their value.
 * @module
 */
import { kSecValueData } from '../../index.js';
import { itemClasses } from '../../schema/classes.js';

const HIDDEN = '********';

/** Keys whose values are secrets, in every class. */
export const SECRET_KEYS: ReadonlySet<string> = new Set([
  kSecValueData,
  ...[...itemClasses.values()].flatMap((cls) => cls.attrs.filter((a) => a.secretData).map((a) => a.code)),
]);

/** A dictionary with its secrets' values replaced by `********`. */
export function hideSecrets(dict: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(dict)) out[key] = SECRET_KEYS.has(key) ? HIDDEN : dict[key];
  return out;
}

/**
 * One command-line word as `-v` echoes it: a JSON object (`-u {…}`) with its
 * secret members hidden, or `attr=value,...` text with the values of secret
 * keys hidden (escapes kept as typed); any other word as it is.
 */
export function hideSecretsInWord(word: string): string {
  if (word.trimStart().startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(word);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return JSON.stringify(hideSecrets(parsed as Record<string, unknown>));
    } catch {
      // not JSON: hidden whole below if it names a secret at all
    }
    return [...SECRET_KEYS].some((k) => word.includes(k)) ? HIDDEN : word;
  }
  return splitUnescaped(word)
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq > 0 && SECRET_KEYS.has(pair.slice(0, eq)) ? `${pair.slice(0, eq)}=${HIDDEN}` : pair;
    })
    .join(',');
}

/** `a=1,b=x\,y` → [`a=1`, `b=x\,y`]: commas a backslash escapes stay in their pair. */
function splitUnescaped(text: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      current += c + text[i + 1];
      i++;
    } else if (c === ',') {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}
