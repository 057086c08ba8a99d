/**
 * `item`: the data-protection keychain tool Apple ships with its internal
 * `security` (SecurityTool keychain_find.m `keychain_item`), on our keychain
 * files. It is the script-friendly face of the whole engine: a SecItem
 * dictionary is written as `attr=value,...` words (or a JSON object) and
 * every attribute of every class is reachable.
 *
 *     secitem item [options] class=genp,acct=me          query (the default)
 *     secitem item -a -d secret class=genp,acct=me       add
 *     secitem item -u labl=new class=genp,acct=me        update (query attrs positional)
 *     secitem item -D class=genp,acct=me                 delete every match
 *
 * Values are typed by the engine's schema (src/schema/classes.ts): see
 * `textValue`. `-j` prints one JSON object per line whose values round-trip
 * exactly through `-J` / `-u {json}`: see `toJson` / `fromJson`.
 * @module
 */
import { readFileSync } from 'node:fs';
import {
  kSecAttrAccessGroup,
  kSecAttrSynchronizableAny,
  kSecClass,
  kSecMatchLimit,
  kSecMatchLimitAll,
  kSecReturnAttributes,
  kSecReturnData,
  kSecReturnPersistentRef,
  kSecValueData,
  kSecValuePersistentRef,
  SecAccessControlCreateWithFlags,
  SecError,
} from '../../index.js';
import type { SecAccessControl } from '../../index.js';
import { itemClasses } from '../../schema/classes.js';
import type { AttrDef, ClassDef } from '../../schema/model.js';
import type { Command } from '../command.js';
import { getopt } from '../getopt.js';
import type { OptionDefs } from '../getopt.js';
import { EXIT_USAGE, UsageError } from '../io.js';
import type { CommandContext } from '../io.js';
import { defaultTarget, namedKeychain, unlockTargets, withKeychain } from '../keychains.js';

/** A bad `attr=value` or JSON value: printed as `secitem: item: <message>`, exit 1 (Apple's parse failure). */
class ValueError extends Error {}

// ── Access control: `accc=ak;UserPresence;Or;DevicePasscode` ─────────────────

/** SecAccessControlCreateFlags by name, in bit order. */
const ACCESS_FLAGS: readonly (readonly [string, number])[] = [
  ['UserPresence', 2 ** 0],
  ['BiometryAny', 2 ** 1],
  ['BiometryCurrentSet', 2 ** 3],
  ['DevicePasscode', 2 ** 4],
  ['Watch', 2 ** 5],
  ['Or', 2 ** 14],
  ['And', 2 ** 15],
  ['PrivateKeyUsage', 2 ** 30],
  ['ApplicationPassword', 2 ** 31],
];

function hasBit(flags: number, bit: number): boolean {
  return Math.floor(flags / bit) % 2 === 1;
}

/** `ak;UserPresence;Or;DevicePasscode` (unknown bits as one decimal number). */
export function accessControlText(ac: SecAccessControl): string {
  const parts: string[] = [ac.protection];
  let rest = ac.flags;
  for (const [name, bit] of ACCESS_FLAGS) {
    if (hasBit(ac.flags, bit)) {
      parts.push(name);
      rest -= bit;
    }
  }
  if (rest !== 0) parts.push(String(rest));
  return parts.join(';');
}

/**
 * Parses `protection[;flag...]`: flag names as accessControlText prints them,
 * numbers, or Apple's ACM constraint tokens (`od(cpo(DeviceOwnerAuthentication))`
 * is UserPresence; `odel(true)` and `oe(true)` are implied and ignored).
 */
function parseAccessControl(text: string): SecAccessControl {
  const [protection, ...tokens] = text.split(';');
  let flags = 0;
  for (const token of tokens) {
    if (token === '') continue;
    const named = ACCESS_FLAGS.find(([name]) => name === token);
    if (named !== undefined) {
      if (!hasBit(flags, named[1])) flags += named[1];
    } else if (/^(?:0x[0-9a-fA-F]+|\d+)$/.test(token)) {
      flags += Number(token);
    } else if (token === 'od(cpo(DeviceOwnerAuthentication))') {
      if (!hasBit(flags, 1)) flags += 1;
    } else if (token === 'odel(true)' || token === 'oe(true)') {
      continue;
    } else {
      throw new ValueError(`accc: unknown access-control constraint "${token}"`);
    }
  }
  return createAccessControl(protection, flags);
}

function createAccessControl(protection: unknown, flags: unknown): SecAccessControl {
  const { accessControl, error } = SecAccessControlCreateWithFlags(protection, flags as number);
  if (accessControl === undefined) throw new ValueError(`accc: ${error?.message ?? 'invalid access control'}`);
  return accessControl;
}

// ── attr=value text ──────────────────────────────────────────────────────────

/** One `key=value` of the text syntax; a key without `=` is `true` (Apple's dangling key). */
interface TextPair {
  readonly key: string;
  readonly value: string | true;
}

/**
 * `keychain_query_parse_string`: `attr=value,attr=value`. A key ends at `=`,
 * a value at `,`; `\` makes the next character literal in either. A key with
 * no `=` stands for `true`.
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

const HEX_DATA = /^<((?:[0-9a-fA-F]{2})*)>$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function base64Bytes(text: string, what: string): Uint8Array {
  if (!BASE64.test(text)) throw new ValueError(`${what}: not base64: "${text}"`);
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/** Dates as -j prints them (ISO 8601), or as CFDate describes them (`2024-05-01 12:00:00 +0000`). */
function parseDate(text: string, what: string): Date {
  const apple = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?) ([+-]\d\d)(\d\d)$/.exec(text);
  const iso = apple === null ? text : `${apple[1]}T${apple[2]}${apple[3]}:${apple[4]}`;
  const ms = /^\d{4}-\d\d-\d\d/.test(iso) ? Date.parse(iso) : Number.NaN;
  if (Number.isNaN(ms)) throw new ValueError(`${what}: not an ISO 8601 date: "${text}"`);
  return new Date(ms);
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
function textValue(cls: ClassDef | undefined, key: string, text: string | true): unknown {
  if (key === kSecValuePersistentRef) {
    if (text === true) throw new ValueError(`${key}: needs a base64 value`);
    return base64Bytes(text, key);
  }
  if (key === kSecValueData) {
    if (text === true) throw new ValueError(`${key}: needs a value`);
    const hex = HEX_DATA.exec(text);
    return hex === null ? new Uint8Array(Buffer.from(text, 'utf8')) : new Uint8Array(Buffer.from(hex[1], 'hex'));
  }
  const attr: AttrDef | undefined = cls?.byCode.get(key);
  if (text === true) return attr?.kind === 'number' || attr?.kind === 'sync' ? 1 : true;
  if (attr === undefined) return text;
  switch (attr.kind) {
    case 'blob':
    case 'data': {
      const hex = HEX_DATA.exec(text);
      return hex === null ? text : new Uint8Array(Buffer.from(hex[1], 'hex'));
    }
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

// ── JSON (the -j format) ─────────────────────────────────────────────────────

/** A JSON value of the -j format. */
type JsonValue = string | number | boolean | { readonly [key: string]: unknown };

function isAccessControl(v: unknown): v is SecAccessControl {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'SecAccessControl';
}

/**
 * One attribute value as -j prints it: strings as strings, numbers as
 * numbers, the sync flag as a boolean, data as `{"base64": "…"}`, dates as
 * `{"date": "<ISO 8601>"}`, an access control as
 * `{"accessControl": {"protection": "ak", "flags": 1}}`.
 */
export function toJson(cls: ClassDef | undefined, key: string, value: unknown): JsonValue {
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
  if (typeof value === 'string') return key === kSecValuePersistentRef ? base64Bytes(value, key) : value === 'any' && key === 'sync' ? kSecAttrSynchronizableAny : value;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && typeof value.base64 === 'string') return base64Bytes(value.base64, key);
    if (keys.length === 1 && typeof value.date === 'string') return parseDate(value.date, key);
    if (keys.length === 1 && isPlainObject(value.accessControl)) {
      return createAccessControl(value.accessControl.protection, value.accessControl.flags);
    }
  }
  throw new ValueError(`${key}: not a value of the -j format: ${JSON.stringify(value)}`);
}

/** A JSON object argument as SecItem dictionary entries. */
function parseJsonObject(text: string): [string, unknown][] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ValueError('not a JSON object');
  }
  if (!isPlainObject(parsed)) throw new ValueError('not a JSON object');
  return Object.entries(parsed).map(([k, v]) => [k, fromJson(k, v)]);
}

// ── Printing ─────────────────────────────────────────────────────────────────

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

/** One value in a text line. */
function textOf(key: string, value: unknown): string {
  if (key === kSecValuePersistentRef && value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value instanceof Uint8Array) return dataText(value);
  if (value instanceof Date) return value.toISOString();
  if (isAccessControl(value)) return accessControlText(value);
  return String(value);
}

/** `display_item`: `key` padded to 10, ` : `, value; sorted keys; `====` after the item. */
function formatText(item: Readonly<Record<string, unknown>>): string {
  let out = '';
  for (const key of Object.keys(item).sort()) out += `${key.padEnd(10)} : ${textOf(key, item[key])}\n`;
  return `${out}====\n`;
}

/** One JSON line: keys sorted, values in the -j format. */
function formatJson(cls: ClassDef | undefined, item: Readonly<Record<string, unknown>>): string {
  const out: Record<string, JsonValue> = {};
  for (const key of Object.keys(item).sort()) out[key] = toJson(cls, key, item[key]);
  return `${JSON.stringify(out)}\n`;
}

// ── The command ──────────────────────────────────────────────────────────────

const options = {
  help: { short: 'h', type: 'boolean' },
  add: { short: 'a', type: 'boolean' },
  delete: { short: 'D', type: 'boolean' },
  update: { short: 'u', type: 'string', multiple: true },
  query: { short: 'q', type: 'string', multiple: true },
  group: { short: 's', type: 'string' },
  json: { short: 'j', type: 'boolean' },
  jsonInput: { short: 'J', type: 'string', multiple: true, secret: true },
  getData: { short: 'g', type: 'boolean' },
  limit: { short: 'l', type: 'string' },
  persistentRef: { short: 'p', type: 'string' },
  data: { short: 'd', type: 'string', secret: true },
  dataFile: { short: 'f', type: 'string' },
  keychain: { short: 'k', type: 'string' },
  verbose: { short: 'v', type: 'boolean' },
} as const satisfies OptionDefs;

type Mode = 'add' | 'query' | 'update' | 'delete';

/** Entries before typing: text pairs wait for the class; JSON values are already typed. */
type RawEntry = { readonly key: string; readonly text: string | true } | { readonly key: string; readonly value: unknown };

function typed(cls: ClassDef | undefined, entries: readonly RawEntry[]): Record<string, unknown> {
  const dict: Record<string, unknown> = {};
  for (const e of entries) dict[e.key] = 'text' in e ? textValue(cls, e.key, e.text) : e.value;
  return dict;
}

function textEntries(text: string): RawEntry[] {
  return parseAttributeText(text).map(({ key, value }) => ({ key, text: value }));
}

function jsonEntries(text: string): RawEntry[] {
  return parseJsonObject(text).map(([key, value]) => ({ key, value }));
}

/** The class a dictionary names: `class=`, else the persistent reference's first four bytes. */
function classOf(entries: readonly RawEntry[], pref: Uint8Array | undefined): string | undefined {
  let named: string | undefined;
  for (const e of entries) {
    if (e.key !== kSecClass) continue;
    const v = 'text' in e ? e.text : e.value;
    if (typeof v === 'string') named = v;
  }
  if (named !== undefined) return named;
  return pref !== undefined && pref.length >= 4 ? Buffer.from(pref.subarray(0, 4)).toString('latin1') : undefined;
}

/** For -v: the dictionary as JSON with the data hidden. */
function shown(cls: ClassDef | undefined, dict: Readonly<Record<string, unknown>>): string {
  const out: Record<string, JsonValue> = {};
  for (const key of Object.keys(dict)) out[key] = key === kSecValueData ? '********' : toJson(cls, key, dict[key]);
  return JSON.stringify(out);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

async function itemRun(args: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = getopt(args, options);
  if (values.help) return EXIT_USAGE;
  const update = values.update ?? [];
  const modes = [values.add === true, values.delete === true, update.length > 0].filter(Boolean).length;
  if (modes > 1) return EXIT_USAGE;
  const mode: Mode = values.add ? 'add' : values.delete ? 'delete' : update.length > 0 ? 'update' : 'query';
  // Apple: -g goes with a query only; -j and -l with a query (and -j with an add: the new item).
  if (values.getData && mode !== 'query') return EXIT_USAGE;
  if (values.limit !== undefined && mode !== 'query') return EXIT_USAGE;
  if (values.json && (mode === 'update' || mode === 'delete')) return EXIT_USAGE;
  if (values.data !== undefined && values.dataFile !== undefined) return EXIT_USAGE;
  if (positionals.some((p) => p.startsWith('-'))) throw new UsageError('options come before attributes');
  let limit: number | undefined;
  if (values.limit !== undefined) {
    if (!/^\d+$/.test(values.limit) || Number(values.limit) === 0) return EXIT_USAGE;
    limit = Number(values.limit);
  }

  let queryDict: Record<string, unknown>;
  let updateDict: Record<string, unknown> | undefined;
  let cls: ClassDef | undefined;
  try {
    const entries: RawEntry[] = [];
    for (const j of values.jsonInput ?? []) entries.push(...jsonEntries(j));
    for (const q of values.query ?? []) entries.push(...textEntries(q));
    for (const p of positionals) entries.push(...textEntries(p));
    let pref: Uint8Array | undefined;
    if (values.persistentRef !== undefined) pref = base64Bytes(values.persistentRef, '-p');
    const className = classOf(entries, pref);
    if (className === undefined) {
      ctx.error('item: class=genp|inet|cert|keys is required');
      return EXIT_USAGE;
    }
    cls = itemClasses.get(className);
    queryDict = typed(cls, entries);
    if (pref !== undefined) queryDict[kSecValuePersistentRef] = pref;
    if (values.group !== undefined) queryDict[kSecAttrAccessGroup] = values.group;
    if (mode === 'update') {
      const changes: RawEntry[] = [];
      for (const u of update) changes.push(...(u.trimStart().startsWith('{') ? jsonEntries(u) : textEntries(u)));
      updateDict = typed(cls, changes);
    }
  } catch (error) {
    if (error instanceof ValueError) {
      ctx.error(`item: ${error.message}`);
      return 1;
    }
    throw error;
  }

  // -d / -f: the data of a new item, or the new data of an update.
  let data: Uint8Array | undefined;
  if (values.data !== undefined) data = new Uint8Array(Buffer.from(values.data, 'utf8'));
  if (values.dataFile !== undefined) {
    try {
      data = new Uint8Array(readFileSync(values.dataFile));
    } catch (error) {
      ctx.error(`item: ${values.dataFile}: ${error instanceof Error && 'code' in error ? String(error.code) : 'unreadable'}`);
      return 1;
    }
  }
  if (data !== undefined) (updateDict ?? queryDict)[kSecValueData] = data;

  if (mode === 'add') {
    // A persistent reference names an item of one keychain: a re-added -j object drops it.
    delete queryDict[kSecValuePersistentRef];
    if (values.json) {
      queryDict[kSecReturnAttributes] = true;
      queryDict[kSecReturnPersistentRef] = true;
    }
  } else if (mode === 'query') {
    queryDict[kSecReturnAttributes] = true;
    queryDict[kSecReturnPersistentRef] = true;
    if (values.getData) queryDict[kSecReturnData] = true;
    queryDict[kSecMatchLimit] = limit ?? kSecMatchLimitAll;
  }
  if (values.verbose) {
    ctx.err(`${shown(cls, queryDict)}\n`);
    if (updateDict !== undefined) ctx.err(`${shown(cls, updateDict)}\n`);
  }

  const target = values.keychain === undefined ? defaultTarget(ctx) : namedKeychain(values.keychain, ctx);
  await unlockTargets([target], ctx);
  const what = { add: 'SecItemAdd', query: 'SecItemCopyMatching', update: 'SecItemUpdate', delete: 'SecItemDelete' }[mode];
  try {
    return withKeychain(target, (app) => {
      switch (mode) {
        case 'add': {
          const { status, result } = app.SecItemAdd(queryDict);
          if (status !== 0) return ctx.perror(what, status);
          if (values.json && isRecord(result)) ctx.out(formatJson(cls, { [kSecClass]: cls?.name, ...result }));
          return 0;
        }
        case 'update': {
          const status = app.SecItemUpdate(queryDict, updateDict ?? {});
          return status === 0 ? 0 : ctx.perror(what, status);
        }
        case 'delete': {
          const status = app.SecItemDelete(queryDict);
          return status === 0 ? 0 : ctx.perror(what, status);
        }
        case 'query': {
          const { status, result } = app.SecItemCopyMatching(queryDict);
          if (status !== 0) return ctx.perror(what, status);
          const items = (Array.isArray(result) ? result : [result]).filter(isRecord);
          for (const item of items) {
            const withClass = { [kSecClass]: cls?.name, ...item };
            ctx.out(values.json ? formatJson(cls, withClass) : formatText(withClass));
          }
          return 0;
        }
      }
    });
  } catch (error) {
    if (error instanceof SecError) return ctx.perror(what, error.status);
    throw error;
  }
}

export const itemCommand: Command = {
  name: 'item',
  usage:
    '[-h] [-v] [-k keychain] [-a|-D|-u attr=value,...|[-q attr=value,...][-j][-g][-l limit]] [-s group] [-p persistentref] [-J json] [-d password | -f datafile] [attr=value,...]\n' +
    '    -a  Add an item with the attributes given\n' +
    '    -D  Delete every item matching the attributes given\n' +
    '    -u  Update every matching item with these attributes (attr=value,... or a JSON object; repeatable)\n' +
    '    -q  Query attributes (querying is the default); the same as trailing attr=value,...\n' +
    '    -j  Print items as JSON, one object per line (with -a: the new item)\n' +
    '    -g  Print the data (kSecValueData) of each item too\n' +
    '    -l  Return at most this many items (default: all)\n' +
    '    -s  Restrict to (with -a: add to) this access group\n' +
    '    -p  The item with this persistent reference (base64, as printed)\n' +
    '    -J  Attributes as a JSON object in the -j format (repeatable)\n' +
    '    -d  Data (kSecValueData) as text; with -u the new data\n' +
    '    -f  Data read from a file; with -u the new data\n' +
    '    -k  Use this keychain instead of the default keychain\n' +
    '    -v  Print the dictionaries (data hidden) on stderr first\n' +
    'class=genp|inet|cert|keys is required unless -p names the item. Queries see\n' +
    'non-synchronizable items only; sync=1 selects synchronizable ones, sync=any both.\n' +
    'Values: blob/data <hex> for bytes, dates ISO 8601, accc=ak[;UserPresence;...].',
  help: 'Manipulate keychain items.',
  options,
  run: itemRun,
};
