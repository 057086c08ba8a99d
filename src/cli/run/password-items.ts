/**
 * add-, find- and delete-generic-password and -internet-password on our
 * keychain files, for either password class of ../commands/password-items.ts.
 * @module
 */
import {
  errSecItemNotFound,
  kSecAttrAccessGroup,
  kSecAttrLabel,
  kSecClass,
  kSecValueData,
  kSecValuePersistentRef,
  SecError,
} from '../../index.js';
import { formatItemBlock, layoutFor } from '../attributes.js';
import * as declared from '../commands/password-items.js';
import type { FieldDef, PasswordClass } from '../commands/password-items.js';
import { Canceled, CommandFailure, EXIT_FAILURE, UsageError } from '../failures.js';
import type { CommandContext } from '../io.js';
import { keychainTargets, targetOf, unlockTargets, withKeychain } from '../keychains.js';
import type { KeychainTarget } from '../keychains.js';
import { getopt } from '../options.js';
import { passwordForStdout, printBuffer } from '../print.js';
import { firstMatchIn, withFirstMatch } from './first-match.js';
import type { ItemRecord } from './results.js';
import { SecFailure, reportedAs } from './sec-failures.js';
import { parseFourCharCode } from './four-char-code.js';

/** `-X` hex → bytes, or null when it is not whole bytes of hex digits. */
function parseHex(text: string): Uint8Array | null {
  return /^(?:[0-9a-fA-F]{2})*$/.test(text) ? Buffer.from(text, 'hex') : null;
}

/** A match option's text as its attribute's value. */
function fieldValue(f: FieldDef, text: string): unknown {
  switch (f.kind) {
    case 'text':
      return text;
    case 'code':
      return parseFourCharCode(text);
    case 'codeText':
      parseFourCharCode(text);
      return text;
    case 'port': {
      const n = Number.parseInt(text, 10);
      return Number.isNaN(n) ? 0 : n >>> 0;
    }
  }
}

/**
 * The access group for a new item: `--access-group`, else the first
 * `-T group://NAME`, else the CLI's own group (undefined). `-A`, `-T path`
 * and `-T ""` are accepted and change nothing: apps are not told apart by
 * path here.
 */
function groupForNewItem(explicit: string | undefined, trusted: readonly string[] | undefined): string | undefined {
  if (explicit !== undefined) {
    if (explicit === '') throw new UsageError('--access-group needs a non-empty value');
    return explicit;
  }
  const g = (trusted ?? []).find((t) => t.startsWith('group://') && t.length > 'group://'.length);
  return g === undefined ? undefined : g.slice('group://'.length);
}

/** Parsed match values, by attribute. */
type Match = Map<string, unknown>;

function matchFromValues(pc: PasswordClass, values: Readonly<Record<string, unknown>>): Match {
  const m: Match = new Map();
  for (const f of pc.fields) {
    const text = values[f.name];
    if (typeof text === 'string') m.set(f.attr, fieldValue(f, text));
  }
  return m;
}

/**
 * The SecItem query for a legacy search. When every primary-key option is
 * given they are the whole query and the other match options are ignored,
 * as find_first_generic_password / find_first_internet_password do.
 */
function queryFor(pc: PasswordClass, m: Match): ItemRecord {
  const query: Record<string, unknown> = { [kSecClass]: pc.cls };
  const primary = pc.fields.filter((f) => f.primary);
  const onlyPrimary = primary.every((f) => m.has(f.attr));
  for (const f of pc.fields) {
    if (!m.has(f.attr) || (onlyPrimary && !f.primary)) continue;
    query[f.attr] = m.get(f.attr);
  }
  return query;
}

const SEARCH = 'SecKeychainSearchCopyNext';

// ── add-*-password ───────────────────────────────────────────────────────────

function addRun(pc: PasswordClass, { options }: typeof declared.addGenericPasswordCommand) {
  return async (rawArgs: readonly string[], ctx: CommandContext): Promise<number> => {
    // A trailing "-w" asks for a prompt instead of a password on the command line.
    const promptRequested = rawArgs.length > 0 && rawArgs[rawArgs.length - 1] === '-w';
    const { values, positionals } = getopt(promptRequested ? rawArgs.slice(0, -1) : rawArgs, options);
    const all = values as Record<string, unknown>;
    const group = groupForNewItem(values.accessGroup, values.trustedApp);
    for (const letter of pc.required) {
      const f = pc.fields.find((x) => x.letter === letter)!;
      if (typeof all[f.name] !== 'string') throw new UsageError(`-${letter} is required`);
    }
    if (positionals.length > 1 || positionals[0] === '') throw new UsageError('one keychain at most');
    const m = matchFromValues(pc, all);

    let data: Uint8Array | undefined;
    const legacy = all.legacyPassword as string | undefined;
    if (values.hexPassword !== undefined) {
      const bytes = parseHex(values.hexPassword);
      if (bytes === null) throw new UsageError('Unable to convert password data (-X must specify valid hex digits)', { shown: true });
      data = bytes;
    } else if (values.password !== undefined || legacy !== undefined) {
      data = Buffer.from(values.password ?? legacy ?? '', 'utf8');
    } else if (promptRequested) {
      const typed = await ctx.promptNewPassword('password data for new item: ', 'retype password for new item: ');
      if (typed === null) throw new Canceled();
      data = Buffer.from(typed, 'utf8');
    }

    const keychainName = positionals[0];
    const target = targetOf(keychainName, ctx);
    await unlockTargets([target], ctx);

    // The attributes -U writes over an existing item, and a new item starts with.
    const attributes: Record<string, unknown> = {};
    for (const [attr, value] of m) attributes[attr] = value;
    attributes[kSecAttrLabel] = m.get(kSecAttrLabel) ?? m.get(pc.labelFrom);

    if (values.update && updateFirst(pc, target, m, attributes, data)) return 0;

    const what = pc.addError(keychainName);
    const status = reportedAs(what, () =>
      withKeychain(target, (app) =>
        app.SecItemAdd({
          [kSecClass]: pc.cls,
          ...pc.addDefaults,
          ...attributes,
          ...(group === undefined ? {} : { [kSecAttrAccessGroup]: group }),
          [kSecValueData]: data ?? new Uint8Array(0),
        }).status,
      ),
    );
    if (status !== 0) throw new SecFailure(what, status);
    return 0;
  };
}

/**
 * `-U`: modifies the first item the same options find (its attributes, and
 * its data when a password was given). False when there is nothing to
 * update (or the look-up failed), so the caller adds.
 */
function updateFirst(
  pc: PasswordClass,
  target: KeychainTarget,
  m: Match,
  attributes: ItemRecord,
  data: Uint8Array | undefined,
): boolean {
  let status: number | null;
  try {
    status = withKeychain(target, (app) => {
      const found = firstMatchIn(app, target, queryFor(pc, m), false);
      if (found === null) return null;
      return app.SecItemUpdate(
        { [kSecValuePersistentRef]: found.persistentRef },
        data === undefined ? attributes : { ...attributes, [kSecValueData]: data },
      );
    });
  } catch (error) {
    if (error instanceof SecError) return false;
    throw error;
  }
  if (status === null) return false;
  if (status !== 0) throw new SecFailure('SecKeychainItemModifyContent', status);
  return true;
}

// ── find-*-password ──────────────────────────────────────────────────────────

function findRun(pc: PasswordClass, { options }: typeof declared.findGenericPasswordCommand) {
  const layout = layoutFor(pc.cls, {});
  return async (args: readonly string[], ctx: CommandContext): Promise<number> => {
    const { values, positionals } = getopt(args, options);
    const m = matchFromValues(pc, values as Record<string, unknown>);
    const passwordOnly = values.passwordOnly === true;
    const withData = passwordOnly || values.showPassword === true;
    const targets = keychainTargets(positionals, ctx);
    await unlockTargets(targets, ctx);
    const found = reportedAs(SEARCH, () => withFirstMatch(targets, queryFor(pc, m), withData, (item) => item));
    if (found === null) throw new SecFailure(SEARCH, errSecItemNotFound);
    const item = found.value;
    const data = item.data ?? new Uint8Array(0);
    if (passwordOnly) {
      ctx.out(`${passwordForStdout(data)}\n`);
      return 0;
    }
    ctx.out(formatItemBlock(item.target.path, layout, item.attributes));
    if (withData) ctx.err(`password: ${printBuffer(data)}\n`);
    return 0;
  };
}

// ── delete-*-password ────────────────────────────────────────────────────────

function deleteRun(pc: PasswordClass, { options }: typeof declared.deleteGenericPasswordCommand) {
  const layout = layoutFor(pc.cls, {});
  return async (args: readonly string[], ctx: CommandContext): Promise<number> => {
    const { values, positionals } = getopt(args, options);
    const m = matchFromValues(pc, values);
    if (m.size === 0) throw new UsageError('a match option is required');
    const targets = keychainTargets(positionals, ctx);
    await unlockTargets(targets, ctx);
    const outcome = reportedAs(SEARCH, () =>
      withFirstMatch(targets, queryFor(pc, m), false, (item, app) => {
        ctx.out(formatItemBlock(item.target.path, layout, item.attributes));
        return app.SecItemDelete({ [kSecValuePersistentRef]: item.persistentRef });
      }),
    );
    if (outcome === null) throw new SecFailure(SEARCH, errSecItemNotFound);
    if (outcome.value !== 0) throw new SecFailure('SecKeychainItemDelete', outcome.value);
    ctx.err('password has been deleted.\n');
    return 0;
  };
}

export const addGenericPassword = addRun(declared.genericClass, declared.addGenericPasswordCommand);
export const addInternetPassword = addRun(declared.internetClass, declared.addInternetPasswordCommand);
export const findGenericPassword = findRun(declared.genericClass, declared.findGenericPasswordCommand);
export const findInternetPassword = findRun(declared.internetClass, declared.findInternetPasswordCommand);
export const deleteGenericPassword = deleteRun(declared.genericClass, declared.deleteGenericPasswordCommand);
export const deleteInternetPassword = deleteRun(declared.internetClass, declared.deleteInternetPasswordCommand);
