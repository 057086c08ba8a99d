/**
 * `item` on our keychain files: the script-friendly face of the whole
 * engine. A SecItem dictionary is written as `attr=value,...` words
 * (../item/attribute-text.ts) or a JSON object (../item/json.ts), and every
 * attribute of every class is reachable.
 *
 *     secitem item [options] class=genp,acct=me          query (the default)
 *     secitem item -a -d secret class=genp,acct=me       add
 *     secitem item -u labl=new class=genp,acct=me        update (query attrs positional)
 *     secitem item -D class=genp,acct=me                 delete every match
 * @module
 */
import { readFileSync } from 'node:fs';
import {
  kSecAttrAccessGroup,
  kSecClass,
  kSecMatchLimit,
  kSecMatchLimitAll,
  kSecReturnAttributes,
  kSecReturnData,
  kSecReturnPersistentRef,
  kSecValueData,
  kSecValuePersistentRef,
} from '../../index.js';
import type { ClassDef } from '../../schema/model.js';
import { CLASS_CHOICES, itemCommand } from '../commands/item.js';
import { ToolFailure, UsageError } from '../failures.js';
import type { CommandContext } from '../io.js';
import { targetOf, unlockTargets, withKeychain } from '../keychains.js';
import { getopt } from '../options.js';
import type { OptionValues } from '../options.js';
import { parseAttributeText, textValue } from '../item/attribute-text.js';
import { formatText } from '../item/display.js';
import { classDefOf, IDENTITY_CLASS } from '../item/identity.js';
import { formatHidingData, formatJson, parseJsonObject } from '../item/json.js';
import { base64Bytes } from '../item/values.js';
import { isRecord, resultItems } from './results.js';
import { check, reportedAs } from './sec-failures.js';

type Mode = 'add' | 'query' | 'update' | 'delete';

type ItemOptions = OptionValues<typeof itemCommand.options>;

const CALL: Readonly<Record<Mode, string>> = {
  add: 'SecItemAdd',
  query: 'SecItemCopyMatching',
  update: 'SecItemUpdate',
  delete: 'SecItemDelete',
};

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

/** The mode the options ask for; a usage error for options that do not go together (Apple's rules). */
function modeOf(values: ItemOptions): Mode {
  const update = values.update ?? [];
  if ([values.add === true, values.delete === true, update.length > 0].filter(Boolean).length > 1) {
    throw new UsageError('one of -a, -D, -u');
  }
  const mode: Mode = values.add ? 'add' : values.delete ? 'delete' : update.length > 0 ? 'update' : 'query';
  // -g goes with a query only; -j and -l with a query (and -j with an add: the new item).
  if (values.getData && mode !== 'query') throw new UsageError('-g with a query only');
  if (values.limit !== undefined && mode !== 'query') throw new UsageError('-l with a query only');
  if (values.json && (mode === 'update' || mode === 'delete')) throw new UsageError('-j with a query or an add');
  if (values.data !== undefined && values.dataFile !== undefined) throw new UsageError('-d or -f');
  return mode;
}

function limitOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) === 0) throw new UsageError('-l takes a positive number');
  return Number(text);
}

/** -d / -f: the data of a new item, or the new data of an update. */
function dataOf(values: ItemOptions): Uint8Array | undefined {
  if (values.data !== undefined) return new Uint8Array(Buffer.from(values.data, 'utf8'));
  if (values.dataFile === undefined) return undefined;
  try {
    return new Uint8Array(readFileSync(values.dataFile));
  } catch (error) {
    const why = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    throw new ToolFailure(`item: ${values.dataFile}: ${why}`);
  }
}

/** The query (or add) dictionary and, for an update, the changes. */
interface Dictionaries {
  readonly cls: ClassDef | undefined;
  /** The class named (`class=` or the persistent reference's). */
  readonly className: string;
  readonly query: Record<string, unknown>;
  readonly changes: Record<string, unknown> | undefined;
}

function dictionariesOf(values: ItemOptions, positionals: readonly string[], mode: Mode): Dictionaries {
  const entries: RawEntry[] = [];
  for (const j of values.jsonInput ?? []) entries.push(...jsonEntries(j));
  for (const q of values.query ?? []) entries.push(...textEntries(q));
  for (const p of positionals) entries.push(...textEntries(p));
  const pref = values.persistentRef === undefined ? undefined : base64Bytes(values.persistentRef, '-p');
  const className = classOf(entries, pref);
  if (className === undefined) throw new UsageError(`item: class=${CLASS_CHOICES} is required`, { shown: true });
  const cls = classDefOf(className);
  const query = typed(cls, entries);
  if (pref !== undefined) query[kSecValuePersistentRef] = pref;
  if (values.group !== undefined) query[kSecAttrAccessGroup] = values.group;
  let changes: Record<string, unknown> | undefined;
  if (mode === 'update') {
    const raw: RawEntry[] = [];
    for (const u of values.update ?? []) raw.push(...(u.trimStart().startsWith('{') ? jsonEntries(u) : textEntries(u)));
    changes = typed(cls, raw);
  }
  return { cls, className, query, changes };
}

export async function item(args: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = getopt(args, itemCommand.options);
  const mode = modeOf(values);
  if (positionals.some((p) => p.startsWith('-'))) throw new UsageError('options come before attributes');
  const limit = limitOf(values.limit);
  const { cls, className, query, changes } = dictionariesOf(values, positionals, mode);
  if (mode === 'add' && className === IDENTITY_CLASS) {
    // SecItemAdd takes an identity by reference only (kSecValueRef): its halves are items of their own.
    throw new UsageError('item: class=idnt cannot be added: an identity is its certificate and its private key; add those (class=cert, class=keys) or import a PKCS#12 file', { shown: true });
  }

  const data = dataOf(values);
  if (data !== undefined) (changes ?? query)[kSecValueData] = data;

  if (mode === 'add') {
    // A persistent reference names an item of one keychain: a re-added -j object drops it.
    delete query[kSecValuePersistentRef];
    if (values.json) {
      query[kSecReturnAttributes] = true;
      query[kSecReturnPersistentRef] = true;
    }
  } else if (mode === 'query') {
    query[kSecReturnAttributes] = true;
    query[kSecReturnPersistentRef] = true;
    if (values.getData) query[kSecReturnData] = true;
    query[kSecMatchLimit] = limit ?? kSecMatchLimitAll;
  }
  if (values.verbose) {
    ctx.err(`${formatHidingData(cls, query)}\n`);
    if (changes !== undefined) ctx.err(`${formatHidingData(cls, changes)}\n`);
  }

  const target = targetOf(values.keychain, ctx);
  await unlockTargets([target], ctx);
  const what = CALL[mode];
  const withClass = (found: Readonly<Record<string, unknown>>) => ({ [kSecClass]: className, ...found });
  reportedAs(what, () =>
    withKeychain(target, (app) => {
      switch (mode) {
        case 'add': {
          const { status, result } = app.SecItemAdd(query);
          check(what, status);
          if (values.json && isRecord(result)) ctx.out(formatJson(cls, withClass(result)));
          return;
        }
        case 'update':
          return check(what, app.SecItemUpdate(query, changes ?? {}));
        case 'delete':
          return check(what, app.SecItemDelete(query));
        case 'query': {
          const { status, result } = app.SecItemCopyMatching(query);
          check(what, status);
          for (const found of resultItems(result)) ctx.out(values.json ? formatJson(cls, withClass(found)) : formatText(withClass(found)));
          return;
        }
      }
    }),
  );
  return 0;
}
