/**
 * add-generic-password, find-generic-password, delete-generic-password:
 * `security`'s commands for generic password items (keychain_add.c,
 * keychain_find.c), on our keychain files.
 * @module
 */
import {
  errSecItemNotFound,
  kSecAttrAccount,
  kSecAttrComment,
  kSecAttrCreator,
  kSecAttrDescription,
  kSecAttrGeneric,
  kSecAttrLabel,
  kSecAttrService,
  kSecAttrType,
  kSecClass,
  kSecClassGenericPassword,
  kSecValueData,
  kSecValuePersistentRef,
  SecError,
} from '../../index.js';
import { formatItemBlock, genericPasswordLayout } from '../attributes.js';
import type { Command } from '../command.js';
import { getopt } from '../getopt.js';
import type { OptionDefs } from '../getopt.js';
import { EXIT_USAGE, UsageError } from '../io.js';
import type { CommandContext } from '../io.js';
import { defaultKeychain, keychainTargets, namedKeychain, withKeychain } from '../keychains.js';
import type { KeychainTarget } from '../keychains.js';
import { passwordForStdout, printBuffer } from '../print.js';
import { firstMatchIn, withFirstMatch } from './items.js';
import type { FoundItem, ItemRecord } from './items.js';

// ── Options ──────────────────────────────────────────────────────────────────

/** The match options find- and delete-generic-password share. */
const matchOptions = {
  help: { short: 'h', type: 'boolean' },
  account: { short: 'a', type: 'string' },
  creator: { short: 'c', type: 'string' },
  type: { short: 'C', type: 'string' },
  kind: { short: 'D', type: 'string' },
  generic: { short: 'G', type: 'string' },
  comment: { short: 'j', type: 'string' },
  label: { short: 'l', type: 'string' },
  service: { short: 's', type: 'string' },
} as const satisfies OptionDefs;

const findOptions = {
  ...matchOptions,
  showPassword: { short: 'g', type: 'boolean' },
  passwordOnly: { short: 'w', type: 'boolean' },
} as const satisfies OptionDefs;

const addOptions = {
  help: { short: 'h', type: 'boolean' },
  account: { short: 'a', type: 'string' },
  creator: { short: 'c', type: 'string' },
  type: { short: 'C', type: 'string' },
  kind: { short: 'D', type: 'string' },
  generic: { short: 'G', type: 'string' },
  comment: { short: 'j', type: 'string' },
  label: { short: 'l', type: 'string' },
  service: { short: 's', type: 'string' },
  legacyPassword: { short: 'p', type: 'string', secret: true },
  password: { short: 'w', type: 'string', secret: true },
  hexPassword: { short: 'X', type: 'string', secret: true },
  update: { short: 'U', type: 'boolean' },
  anyApp: { short: 'A', type: 'boolean' },
  trustedApp: { short: 'T', type: 'string', multiple: true },
} as const satisfies OptionDefs;

// ── Shared pieces ────────────────────────────────────────────────────────────

/** Thrown after parseFourCharCode has printed its message; exits 1. */
class FourCharCodeError extends Error {}

/**
 * `parse_fourcharcode`: exactly four bytes, else Apple's message on stderr
 * and exit 1 (returned as a number).
 */
function parseFourCharCode(text: string, ctx: CommandContext): number {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length !== 4) {
    ctx.err('Error: four-character types must be exactly 4 characters long.\n');
    if (bytes.length === 3) ctx.err(`(Try "${text} " instead of "${text}")\n`);
    throw new FourCharCodeError();
  }
  return bytes.readUInt32BE(0);
}

/** What find/delete/add -U match on, from the parsed options. */
interface GenericMatch {
  account?: string;
  service?: string;
  creator?: number;
  type?: number;
  kind?: string;
  generic?: string;
  comment?: string;
  label?: string;
}

function matchFromOptions(
  values: {
    account?: string;
    service?: string;
    creator?: string;
    type?: string;
    kind?: string;
    generic?: string;
    comment?: string;
    label?: string;
  },
  ctx: CommandContext,
): GenericMatch {
  return {
    account: values.account,
    service: values.service,
    creator: values.creator === undefined ? undefined : parseFourCharCode(values.creator, ctx),
    type: values.type === undefined ? undefined : parseFourCharCode(values.type, ctx),
    kind: values.kind,
    generic: values.generic,
    comment: values.comment,
    label: values.label,
  };
}

function hasMatchOption(m: GenericMatch): boolean {
  return Object.values(m).some((v) => v !== undefined);
}

/**
 * The SecItem query for a legacy generic-password search. When both account
 * and service are given they are the primary key and every other match option
 * is ignored, as find_first_generic_password does.
 */
function genericQuery(m: GenericMatch): ItemRecord {
  const query: Record<string, unknown> = { [kSecClass]: kSecClassGenericPassword };
  if (m.account !== undefined && m.service !== undefined) {
    query[kSecAttrAccount] = m.account;
    query[kSecAttrService] = m.service;
    return query;
  }
  if (m.account !== undefined) query[kSecAttrAccount] = m.account;
  if (m.service !== undefined) query[kSecAttrService] = m.service;
  if (m.creator !== undefined) query[kSecAttrCreator] = m.creator;
  if (m.type !== undefined) query[kSecAttrType] = m.type;
  if (m.kind !== undefined) query[kSecAttrDescription] = m.kind;
  if (m.generic !== undefined) query[kSecAttrGeneric] = m.generic;
  if (m.comment !== undefined) query[kSecAttrComment] = m.comment;
  if (m.label !== undefined) query[kSecAttrLabel] = m.label;
  return query;
}

/** Runs a handler body, turning the shared early exits into statuses. */
function guarded(body: () => number): number {
  try {
    return body();
  } catch (error) {
    if (error instanceof FourCharCodeError) return 1;
    throw error;
  }
}

// ── add-generic-password ─────────────────────────────────────────────────────

/** `-X` hex → bytes, or null when it is not whole bytes of hex digits. */
function parseHex(text: string): Uint8Array | null {
  return /^(?:[0-9a-fA-F]{2})*$/.test(text) ? Buffer.from(text, 'hex') : null;
}

function addGenericPasswordRun(rawArgs: readonly string[], ctx: CommandContext): number {
  // A trailing "-w" asks for a prompt instead of a password on the command line.
  const promptRequested = rawArgs.length > 0 && rawArgs[rawArgs.length - 1] === '-w';
  const args = promptRequested ? rawArgs.slice(0, -1) : rawArgs;
  const { values, positionals } = getopt(args, addOptions);
  if (values.help) return EXIT_USAGE;
  return guarded(() => {
    const m = matchFromOptions(values, ctx);
    if (m.account === undefined || m.service === undefined) return EXIT_USAGE;
    if (positionals.length > 1 || positionals[0] === '') return EXIT_USAGE;

    let data: Uint8Array | undefined;
    if (values.hexPassword !== undefined) {
      const bytes = parseHex(values.hexPassword);
      if (bytes === null) {
        ctx.error('Unable to convert password data (-X must specify valid hex digits)');
        return EXIT_USAGE;
      }
      data = bytes;
    } else if (values.password !== undefined || values.legacyPassword !== undefined) {
      data = Buffer.from(values.password ?? values.legacyPassword ?? '', 'utf8');
    } else if (promptRequested) {
      ctx.error('add-generic-password: prompting for the password is not supported yet; give it with -w PASSWORD');
      return 1;
    }

    const keychainName = positionals[0];
    const target: KeychainTarget =
      keychainName === undefined ? defaultKeychain(ctx.env) : namedKeychain(keychainName, ctx);
    const label = m.label ?? m.service;

    // The attributes -U writes over an existing item, and a new item starts with.
    const attributes: Record<string, unknown> = { [kSecAttrLabel]: label };
    if (m.creator !== undefined) attributes[kSecAttrCreator] = m.creator;
    if (m.type !== undefined) attributes[kSecAttrType] = m.type;
    if (m.kind !== undefined) attributes[kSecAttrDescription] = m.kind;
    if (m.generic !== undefined) attributes[kSecAttrGeneric] = m.generic;
    if (m.comment !== undefined) attributes[kSecAttrComment] = m.comment;

    if (values.update) {
      const updated = updateFirstGenericPassword(target, m, attributes, data, ctx);
      if (updated !== null) return updated;
    }

    const what = `SecKeychainItemCreateFromContent (${keychainName ?? '<default>'})`;
    try {
      const status = withKeychain(target, (app) =>
        app.SecItemAdd({
          [kSecClass]: kSecClassGenericPassword,
          [kSecAttrAccount]: m.account,
          [kSecAttrService]: m.service,
          ...attributes,
          [kSecValueData]: data ?? new Uint8Array(0),
        }).status,
      );
      return status === 0 ? 0 : ctx.perror(what, status);
    } catch (error) {
      if (error instanceof SecError) return ctx.perror(what, error.status);
      throw error;
    }
  });
}

/**
 * `-U`: modifies the first item with the same account and service (its
 * attributes, and its data when a password was given). Returns the exit
 * status, or null when there is nothing to update (or the look-up failed),
 * so the caller adds, as do_update_generic_password's caller does.
 */
function updateFirstGenericPassword(
  target: KeychainTarget,
  m: GenericMatch,
  attributes: ItemRecord,
  data: Uint8Array | undefined,
  ctx: CommandContext,
): number | null {
  let status: number | null;
  try {
    status = withKeychain(target, (app) => {
      const found = firstMatchIn(app, target, genericQuery(m), false);
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
    '    -w  Specify password to be added\n' +
    '    -X  Specify password data to be added as a hexadecimal string\n' +
    '    -A  Allow any application to access this item (accepted; every item the CLI adds goes to its secitem.cli access group)\n' +
    '    -T  Specify an application which may access this item (accepted, as -A)\n' +
    '    -U  Update item if it already exists (if omitted, the item cannot already exist)\n' +
    '\n' +
    'If no keychain is specified, the password is added to the default keychain.\n' +
    'Use of the -p or -w options is insecure.',
  help: 'Add a generic password item.',
  options: addOptions,
  run: addGenericPasswordRun,
};

// ── find-generic-password ────────────────────────────────────────────────────

function findGenericPasswordRun(args: readonly string[], ctx: CommandContext): number {
  const { values, positionals } = getopt(args, findOptions);
  if (values.help) return EXIT_USAGE;
  return guarded(() => {
    const m = matchFromOptions(values, ctx);
    const passwordOnly = values.passwordOnly === true;
    const withData = passwordOnly || values.showPassword === true;
    let found: { value: FoundItem } | null;
    try {
      found = withFirstMatch(keychainTargets(positionals, ctx), genericQuery(m), withData, (item) => item);
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
    ctx.out(formatItemBlock(item.target.path, genericPasswordLayout, item.attributes));
    if (withData) ctx.err(`password: ${printBuffer(data)}\n`);
    return 0;
  });
}

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
  options: findOptions,
  run: findGenericPasswordRun,
};

// ── delete-generic-password ──────────────────────────────────────────────────

function deleteGenericPasswordRun(args: readonly string[], ctx: CommandContext): number {
  const { values, positionals } = getopt(args, matchOptions);
  if (values.help) return EXIT_USAGE;
  return guarded(() => {
    const m = matchFromOptions(values, ctx);
    if (!hasMatchOption(m)) throw new UsageError('delete-generic-password needs a match option');
    let outcome: { value: number } | null;
    try {
      outcome = withFirstMatch(keychainTargets(positionals, ctx), genericQuery(m), false, (item, app) => {
        ctx.out(formatItemBlock(item.target.path, genericPasswordLayout, item.attributes));
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
}

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
  options: matchOptions,
  run: deleteGenericPasswordRun,
};
