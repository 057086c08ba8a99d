/**
 * add-, find- and delete-generic-password and -internet-password: `security`'s
 * commands for password items (keychain_add.c, keychain_find.c), on our
 * keychain files. The two classes differ only in data: their options, which
 * options are the primary key, their attribute block and error texts.
 * @module
 */
import {
  errSecItemNotFound,
  kSecAttrAccessGroup,
  kSecAttrAccount,
  kSecAttrAuthenticationType,
  kSecAttrAuthenticationTypeDefault,
  kSecAttrComment,
  kSecAttrCreator,
  kSecAttrDescription,
  kSecAttrGeneric,
  kSecAttrLabel,
  kSecAttrPath,
  kSecAttrPort,
  kSecAttrProtocol,
  kSecAttrSecurityDomain,
  kSecAttrServer,
  kSecAttrService,
  kSecAttrType,
  kSecClass,
  kSecClassGenericPassword,
  kSecClassInternetPassword,
  kSecValueData,
  kSecValuePersistentRef,
  SecError,
} from '../../index.js';
import { formatItemBlock, genericPasswordLayout, internetPasswordLayout } from '../attributes.js';
import type { BlockLayout } from '../attributes.js';
import type { Command } from '../command.js';
import { getopt } from '../getopt.js';
import type { OptionDefs } from '../getopt.js';
import { EXIT_USAGE, UsageError } from '../io.js';
import type { CommandContext } from '../io.js';
import { defaultTarget, keychainTargets, namedKeychain, unlockTargets, withKeychain } from '../keychains.js';
import type { KeychainTarget } from '../keychains.js';
import { passwordForStdout, printBuffer } from '../print.js';
import { firstMatchIn, withFirstMatch } from './items.js';
import type { FoundItem, ItemRecord } from './items.js';

// ── Shared pieces ────────────────────────────────────────────────────────────

/** Thrown after parseFourCharCode has printed its message; exits 1. */
export class FourCharCodeError extends Error {}

/**
 * `parse_fourcharcode`: exactly four bytes, else Apple's message on stderr
 * and exit 1 (thrown as FourCharCodeError).
 */
export function parseFourCharCode(text: string, ctx: CommandContext): number {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length !== 4) {
    ctx.err('Error: four-character types must be exactly 4 characters long.\n');
    if (bytes.length === 3) ctx.err(`(Try "${text} " instead of "${text}")\n`);
    throw new FourCharCodeError();
  }
  return bytes.readUInt32BE(0);
}

/** Checks a four-character code and keeps it as its text (kSecAttrProtocol / AuthenticationType values). */
function fourCharText(text: string, ctx: CommandContext): string {
  parseFourCharCode(text, ctx);
  return text;
}

/** `-X` hex → bytes, or null when it is not whole bytes of hex digits. */
export function parseHex(text: string): Uint8Array | null {
  return /^(?:[0-9a-fA-F]{2})*$/.test(text) ? Buffer.from(text, 'hex') : null;
}

/** Runs a handler body, turning the shared early exits into statuses. */
export async function guarded(body: () => Promise<number> | number): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof FourCharCodeError) return 1;
    throw error;
  }
}

/**
 * Takes `--access-group GROUP` (or `--access-group=GROUP`) out of the options
 * (it may appear anywhere before the first positional); getopt sees the rest.
 */
export function takeAccessGroup(args: readonly string[]): { args: string[]; group: string | undefined } {
  const rest: string[] = [];
  let group: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const word = args[i];
    if (word === '--access-group') {
      if (i + 1 >= args.length) throw new UsageError('--access-group needs a value');
      group = args[++i];
    } else if (word.startsWith('--access-group=')) {
      group = word.slice('--access-group='.length);
    } else {
      rest.push(word);
    }
  }
  if (group === '') throw new UsageError('--access-group needs a non-empty value');
  return { args: rest, group };
}

/**
 * The access group for a new item: `--access-group`, else the first
 * `-T group://NAME`, else the CLI's own group (undefined). `-A`, `-T path`
 * and `-T ""` are accepted and change nothing: apps are not told apart by
 * path here.
 */
function groupForNewItem(explicit: string | undefined, trusted: readonly string[] | undefined): string | undefined {
  if (explicit !== undefined) return explicit;
  const g = (trusted ?? []).find((t) => t.startsWith('group://') && t.length > 'group://'.length);
  return g === undefined ? undefined : g.slice('group://'.length);
}

// ── The two classes as data ──────────────────────────────────────────────────

/** A match/attribute option: its letter, the SecItem attribute, and how its text converts. */
interface FieldDef {
  readonly name: string;
  readonly letter: string;
  readonly attr: string;
  readonly convert?: (text: string, ctx: CommandContext) => unknown;
  /** Part of the primary key `security` searches by when all of them are given. */
  readonly primary?: boolean;
}

interface PasswordClass {
  readonly cls: string;
  readonly layout: BlockLayout;
  readonly fields: readonly FieldDef[];
  /** The attribute the label defaults to. */
  readonly labelFrom: string;
  /** Letters required on add. */
  readonly required: readonly string[];
  /** The legacy password option of add (-p for genp; inet uses -p for the path). */
  readonly legacyPassword: boolean;
  /** Attributes a new item always gets unless given. */
  readonly addDefaults: Readonly<Record<string, unknown>>;
  /** What a failed add is reported as. */
  addError(keychainName: string | undefined): string;
}

const code = (text: string, ctx: CommandContext): number => parseFourCharCode(text, ctx);
const port = (text: string): number => {
  const n = Number.parseInt(text, 10);
  return Number.isNaN(n) ? 0 : n >>> 0;
};

const genericClass: PasswordClass = {
  cls: kSecClassGenericPassword,
  layout: genericPasswordLayout,
  fields: [
    { name: 'account', letter: 'a', attr: kSecAttrAccount, primary: true },
    { name: 'creator', letter: 'c', attr: kSecAttrCreator, convert: code },
    { name: 'type', letter: 'C', attr: kSecAttrType, convert: code },
    { name: 'kind', letter: 'D', attr: kSecAttrDescription },
    { name: 'generic', letter: 'G', attr: kSecAttrGeneric },
    { name: 'comment', letter: 'j', attr: kSecAttrComment },
    { name: 'label', letter: 'l', attr: kSecAttrLabel },
    { name: 'service', letter: 's', attr: kSecAttrService, primary: true },
  ],
  labelFrom: kSecAttrService,
  required: ['a', 's'],
  legacyPassword: true,
  addDefaults: {},
  addError: (name) => `SecKeychainItemCreateFromContent (${name ?? '<default>'})`,
};

const internetClass: PasswordClass = {
  cls: kSecClassInternetPassword,
  layout: internetPasswordLayout,
  fields: [
    { name: 'account', letter: 'a', attr: kSecAttrAccount, primary: true },
    { name: 'creator', letter: 'c', attr: kSecAttrCreator, convert: code },
    { name: 'type', letter: 'C', attr: kSecAttrType, convert: code },
    { name: 'domain', letter: 'd', attr: kSecAttrSecurityDomain, primary: true },
    { name: 'kind', letter: 'D', attr: kSecAttrDescription },
    { name: 'comment', letter: 'j', attr: kSecAttrComment },
    { name: 'label', letter: 'l', attr: kSecAttrLabel },
    { name: 'path', letter: 'p', attr: kSecAttrPath, primary: true },
    { name: 'port', letter: 'P', attr: kSecAttrPort, convert: port, primary: true },
    { name: 'protocol', letter: 'r', attr: kSecAttrProtocol, convert: fourCharText, primary: true },
    { name: 'server', letter: 's', attr: kSecAttrServer, primary: true },
    { name: 'authType', letter: 't', attr: kSecAttrAuthenticationType, convert: fourCharText, primary: true },
  ],
  labelFrom: kSecAttrServer,
  required: ['a', 's'],
  legacyPassword: false,
  addDefaults: { [kSecAttrAuthenticationType]: kSecAttrAuthenticationTypeDefault },
  addError: (name) => `SecKeychainAddInternetPassword ${name ?? '<NULL>'}`,
};

function fieldOptions(pc: PasswordClass): Record<string, { short: string; type: 'string' }> {
  const out: Record<string, { short: string; type: 'string' }> = {};
  for (const f of pc.fields) out[f.name] = { short: f.letter, type: 'string' };
  return out;
}

/** Parsed match values, by attribute. */
type Match = Map<string, unknown>;

function matchFromValues(pc: PasswordClass, values: Readonly<Record<string, unknown>>, ctx: CommandContext): Match {
  const m: Match = new Map();
  for (const f of pc.fields) {
    const text = values[f.name];
    if (typeof text !== 'string') continue;
    m.set(f.attr, f.convert === undefined ? text : f.convert(text, ctx));
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

// ── add-*-password ───────────────────────────────────────────────────────────

function addOptionsFor(pc: PasswordClass) {
  return {
    help: { short: 'h', type: 'boolean' },
    ...fieldOptions(pc),
    ...(pc.legacyPassword ? { legacyPassword: { short: 'p', type: 'string', secret: true } } : {}),
    password: { short: 'w', type: 'string', secret: true },
    hexPassword: { short: 'X', type: 'string', secret: true },
    update: { short: 'U', type: 'boolean' },
    anyApp: { short: 'A', type: 'boolean' },
    trustedApp: { short: 'T', type: 'string', multiple: true },
  } as const satisfies OptionDefs;
}

function addRun(pc: PasswordClass) {
  const options = addOptionsFor(pc);
  return async (rawArgs: readonly string[], ctx: CommandContext): Promise<number> => {
    const { args: withoutGroup, group } = takeAccessGroup(rawArgs);
    // A trailing "-w" asks for a prompt instead of a password on the command line.
    const promptRequested = withoutGroup.length > 0 && withoutGroup[withoutGroup.length - 1] === '-w';
    const args = promptRequested ? withoutGroup.slice(0, -1) : withoutGroup;
    const { values, positionals } = getopt(args, options);
    if (values.help) return EXIT_USAGE;
    const all = values as Record<string, unknown>;
    return guarded(async () => {
      for (const letter of pc.required) {
        const f = pc.fields.find((x) => x.letter === letter)!;
        if (typeof all[f.name] !== 'string') return EXIT_USAGE;
      }
      if (positionals.length > 1 || positionals[0] === '') return EXIT_USAGE;
      const m = matchFromValues(pc, all, ctx);

      let data: Uint8Array | undefined;
      const legacy = all.legacyPassword as string | undefined;
      if (values.hexPassword !== undefined) {
        const bytes = parseHex(values.hexPassword);
        if (bytes === null) {
          ctx.error('Unable to convert password data (-X must specify valid hex digits)');
          return EXIT_USAGE;
        }
        data = bytes;
      } else if (values.password !== undefined || legacy !== undefined) {
        data = Buffer.from(values.password ?? legacy ?? '', 'utf8');
      } else if (promptRequested) {
        const typed = await ctx.promptNewPassword('password data for new item: ', 'retype password for new item: ');
        if (typed === null) return 255;
        data = Buffer.from(typed, 'utf8');
      }

      const keychainName = positionals[0];
      const target: KeychainTarget = keychainName === undefined ? defaultTarget(ctx) : namedKeychain(keychainName, ctx);
      await unlockTargets([target], ctx);

      // The attributes -U writes over an existing item, and a new item starts with.
      const attributes: Record<string, unknown> = {};
      for (const [attr, value] of m) attributes[attr] = value;
      attributes[kSecAttrLabel] = m.get(kSecAttrLabel) ?? m.get(pc.labelFrom);
      const accessGroup = groupForNewItem(group, values.trustedApp);

      if (values.update) {
        const updated = updateFirst(pc, target, m, attributes, data, ctx);
        if (updated !== null) return updated;
      }

      const what = pc.addError(keychainName);
      try {
        const status = withKeychain(target, (app) =>
          app.SecItemAdd({
            [kSecClass]: pc.cls,
            ...pc.addDefaults,
            ...attributes,
            ...(accessGroup === undefined ? {} : { [kSecAttrAccessGroup]: accessGroup }),
            [kSecValueData]: data ?? new Uint8Array(0),
          }).status,
        );
        return status === 0 ? 0 : ctx.perror(what, status);
      } catch (error) {
        if (error instanceof SecError) return ctx.perror(what, error.status);
        throw error;
      }
    });
  };
}

/**
 * `-U`: modifies the first item the same options find (its attributes, and
 * its data when a password was given). Returns the exit status, or null when
 * there is nothing to update (or the look-up failed), so the caller adds.
 */
function updateFirst(
  pc: PasswordClass,
  target: KeychainTarget,
  m: Match,
  attributes: ItemRecord,
  data: Uint8Array | undefined,
  ctx: CommandContext,
): number | null {
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
    if (error instanceof SecError) return null;
    throw error;
  }
  if (status === null) return null;
  return status === 0 ? 0 : ctx.perror('SecKeychainItemModifyContent', status);
}

// ── find-*-password ──────────────────────────────────────────────────────────

function findRun(pc: PasswordClass) {
  const options = {
    help: { short: 'h', type: 'boolean' },
    ...fieldOptions(pc),
    showPassword: { short: 'g', type: 'boolean' },
    passwordOnly: { short: 'w', type: 'boolean' },
  } as const satisfies OptionDefs;
  const run = async (args: readonly string[], ctx: CommandContext): Promise<number> => {
    const { values, positionals } = getopt(args, options);
    if (values.help) return EXIT_USAGE;
    return guarded(async () => {
      const m = matchFromValues(pc, values as Record<string, unknown>, ctx);
      const passwordOnly = values.passwordOnly === true;
      const withData = passwordOnly || values.showPassword === true;
      const targets = keychainTargets(positionals, ctx);
      await unlockTargets(targets, ctx);
      let found: { value: FoundItem } | null;
      try {
        found = withFirstMatch(targets, queryFor(pc, m), withData, (item) => item);
      } catch (error) {
        if (error instanceof SecError) return ctx.perror('SecKeychainSearchCopyNext', error.status);
        throw error;
      }
      if (found === null) return ctx.perror('SecKeychainSearchCopyNext', errSecItemNotFound);
      const item = found.value;
      const data = item.data ?? new Uint8Array(0);
      if (passwordOnly) {
        ctx.out(`${passwordForStdout(data)}\n`);
        return 0;
      }
      ctx.out(formatItemBlock(item.target.path, pc.layout, item.attributes));
      if (withData) ctx.err(`password: ${printBuffer(data)}\n`);
      return 0;
    });
  };
  return { options, run };
}

// ── delete-*-password ────────────────────────────────────────────────────────

function deleteRun(pc: PasswordClass, name: string) {
  const options = { help: { short: 'h', type: 'boolean' }, ...fieldOptions(pc) } as const satisfies OptionDefs;
  const run = async (args: readonly string[], ctx: CommandContext): Promise<number> => {
    const { values, positionals } = getopt(args, options);
    if (values.help) return EXIT_USAGE;
    return guarded(async () => {
      const m = matchFromValues(pc, values as Record<string, unknown>, ctx);
      if (m.size === 0) throw new UsageError(`${name} needs a match option`);
      const targets = keychainTargets(positionals, ctx);
      await unlockTargets(targets, ctx);
      let outcome: { value: number } | null;
      try {
        outcome = withFirstMatch(targets, queryFor(pc, m), false, (item, app) => {
          ctx.out(formatItemBlock(item.target.path, pc.layout, item.attributes));
          return app.SecItemDelete({ [kSecValuePersistentRef]: item.persistentRef });
        });
      } catch (error) {
        if (error instanceof SecError) return ctx.perror('SecKeychainSearchCopyNext', error.status);
        throw error;
      }
      if (outcome === null) return ctx.perror('SecKeychainSearchCopyNext', errSecItemNotFound);
      if (outcome.value !== 0) return ctx.perror('SecKeychainItemDelete', outcome.value);
      ctx.err('password has been deleted.\n');
      return 0;
    });
  };
  return { options, run };
}

// ── The commands ─────────────────────────────────────────────────────────────

const ACCESS_HELP =
  '    -A  Allow any application to access this item without warning (insecure, not recommended!)\n' +
  '    -T  Specify an application which may access this item (multiple -T options are allowed);\n' +
  '        -T group://NAME puts the item in access group NAME\n' +
  '    --access-group GROUP  Put the item in access group GROUP (default: secitem.cli)\n' +
  '    -U  Update item if it already exists (if omitted, the item cannot already exist)\n';

export const addGenericPassword: Command = {
  name: 'add-generic-password',
  usage:
    '[-h] [-a account] [-s service] [-w password] [options...] [-A|-T appPath] [keychain]\n' +
    '    -a  Specify account name (required)\n' +
    '    -c  Specify item creator (optional four-character code)\n' +
    '    -C  Specify item type (optional four-character code)\n' +
    '    -D  Specify kind (optional)\n' +
    '    -G  Specify generic attribute (optional)\n' +
    '    -j  Specify comment string (optional)\n' +
    '    -l  Specify label (if omitted, service name is used as default label)\n' +
    '    -s  Specify service name (required)\n' +
    '    -p  Specify password to be added (legacy option, equivalent to -w)\n' +
    '    -w  Specify password to be added. Put at end of command to be prompted (recommended)\n' +
    '    -X  Specify password data to be added as a hexadecimal string\n' +
    ACCESS_HELP +
    '\n' +
    'If no keychain is specified, the password is added to the default keychain.\n' +
    'Use of the -p or -w options is insecure. Specify -w as the last option to be prompted.',
  help: 'Add a generic password item.',
  options: addOptionsFor(genericClass),
  run: addRun(genericClass),
};

export const addInternetPassword: Command = {
  name: 'add-internet-password',
  usage:
    '[-h] [-a account] [-s server] [-w password] [options...] [-A|-T appPath] [keychain]\n' +
    '    -a  Specify account name (required)\n' +
    '    -c  Specify item creator (optional four-character code)\n' +
    '    -C  Specify item type (optional four-character code)\n' +
    '    -d  Specify security domain string (optional)\n' +
    '    -D  Specify kind (optional)\n' +
    '    -j  Specify comment string (optional)\n' +
    '    -l  Specify label (if omitted, server name is used as default label)\n' +
    '    -p  Specify path string (optional)\n' +
    '    -P  Specify port number (optional)\n' +
    '    -r  Specify protocol (optional four-character SecProtocolType, e.g. "http", "ftp ")\n' +
    '    -s  Specify server name (required)\n' +
    '    -t  Specify authentication type (as a four-character SecAuthenticationType, default is "dflt")\n' +
    '    -w  Specify password to be added. Put at end of command to be prompted (recommended)\n' +
    '    -X  Specify password data to be added as a hexadecimal string\n' +
    ACCESS_HELP +
    '\n' +
    'If no keychain is specified, the password is added to the default keychain.\n' +
    'Use of the -w option is insecure. Specify -w as the last option to be prompted.',
  help: 'Add an internet password item.',
  options: addOptionsFor(internetClass),
  run: addRun(internetClass),
};

const findGeneric = findRun(genericClass);
export const findGenericPassword: Command = {
  name: 'find-generic-password',
  usage:
    '[-h] [-a account] [-s service] [options...] [-g] [keychain...]\n' +
    '    -a  Match "account" string\n' +
    '    -c  Match "creator" (four-character code)\n' +
    '    -C  Match "type" (four-character code)\n' +
    '    -D  Match "kind" string\n' +
    '    -G  Match "value" string (generic attribute)\n' +
    '    -j  Match "comment" string\n' +
    '    -l  Match "label" string\n' +
    '    -s  Match "service" string\n' +
    '    -g  Display the password for the item found\n' +
    '    -w  Display only the password on stdout\n' +
    'If no keychains are specified to search, the default search list is used.',
  help: 'Find a generic password item.',
  options: findGeneric.options,
  run: findGeneric.run,
};

const findInternet = findRun(internetClass);
export const findInternetPassword: Command = {
  name: 'find-internet-password',
  usage:
    '[-h] [-a account] [-s server] [options...] [-g] [keychain...]\n' +
    '    -a  Match "account" string\n' +
    '    -c  Match "creator" (four-character code)\n' +
    '    -C  Match "type" (four-character code)\n' +
    '    -d  Match "securityDomain" string\n' +
    '    -D  Match "kind" string\n' +
    '    -j  Match "comment" string\n' +
    '    -l  Match "label" string\n' +
    '    -p  Match "path" string\n' +
    '    -P  Match port number\n' +
    '    -r  Match "protocol" (four-character code)\n' +
    '    -s  Match "server" string\n' +
    '    -t  Match "authenticationType" (four-character code)\n' +
    '    -g  Display the password for the item found\n' +
    '    -w  Display only the password on stdout\n' +
    'If no keychains are specified to search, the default search list is used.',
  help: 'Find an internet password item.',
  options: findInternet.options,
  run: findInternet.run,
};

const deleteGeneric = deleteRun(genericClass, 'delete-generic-password');
export const deleteGenericPassword: Command = {
  name: 'delete-generic-password',
  usage:
    '[-h] [-a account] [-s service] [options...] [keychain...]\n' +
    '    -a  Match "account" string\n' +
    '    -c  Match "creator" (four-character code)\n' +
    '    -C  Match "type" (four-character code)\n' +
    '    -D  Match "kind" string\n' +
    '    -G  Match "value" string (generic attribute)\n' +
    '    -j  Match "comment" string\n' +
    '    -l  Match "label" string\n' +
    '    -s  Match "service" string\n' +
    'If no keychains are specified to search, the default search list is used.',
  help: 'Delete a generic password item.',
  options: deleteGeneric.options,
  run: deleteGeneric.run,
};

const deleteInternet = deleteRun(internetClass, 'delete-internet-password');
export const deleteInternetPassword: Command = {
  name: 'delete-internet-password',
  usage:
    '[-h] [-a account] [-s server] [options...] [keychain...]\n' +
    '    -a  Match "account" string\n' +
    '    -c  Match "creator" (four-character code)\n' +
    '    -C  Match "type" (four-character code)\n' +
    '    -d  Match "securityDomain" string\n' +
    '    -D  Match "kind" string\n' +
    '    -j  Match "comment" string\n' +
    '    -l  Match "label" string\n' +
    '    -p  Match "path" string\n' +
    '    -P  Match port number\n' +
    '    -r  Match "protocol" (four-character code)\n' +
    '    -s  Match "server" string\n' +
    '    -t  Match "authenticationType" (four-character code)\n' +
    'If no keychains are specified to search, the default search list is used.',
  help: 'Delete an internet password item.',
  options: deleteInternet.options,
  run: deleteInternet.run,
};
