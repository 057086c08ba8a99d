/**
 * add-, find- and delete-generic-password and -internet-password (keychain_add.c,
 * keychain_find.c): their names, usage and options, and the two password
 * classes as data. The two classes differ only in data: their match options,
 * which of them are the primary key, and texts. What the commands do is in
 * ../run/password-items.ts.
 * @module
 */
import {
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
  kSecClassGenericPassword,
  kSecClassInternetPassword,
} from '../../index.js';
import { command, handlerOf } from '../command.js';
import type { OptionSpec, OptionTable } from '../options.js';
import type * as handlers from '../run/password-items.js';

/** How a match option's text becomes its attribute's value. */
export type FieldKind =
  /** The text itself. */
  | 'text'
  /** A four-character code, as its 32-bit number (creator, type). */
  | 'code'
  /** A four-character code, kept as its text (protocol, authentication type). */
  | 'codeText'
  /** A port number (atoi; not a number: 0). */
  | 'port';

/** A match/attribute option: its letter, the SecItem attribute, and its usage lines. */
export interface FieldDef {
  /** The name its value is parsed under. */
  readonly name: string;
  readonly letter: string;
  readonly attr: string;
  readonly kind: FieldKind;
  /** Part of the primary key `security` searches by when all of them are given. */
  readonly primary?: boolean;
  /** Its line in add-*-password's usage. */
  readonly addHelp: string;
  /** Its line in find- and delete-*-password's usage. */
  readonly matchHelp: string;
}

export interface PasswordClass {
  readonly cls: string;
  /** What the class is called in help lines: `generic password`. */
  readonly title: string;
  /** `service` or `server`, as the synopses name `-s`. */
  readonly serviceWord: string;
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

function field(
  name: string,
  letter: string,
  attr: string,
  addHelp: string,
  matchHelp: string,
  more: { kind?: FieldKind; primary?: boolean } = {},
): FieldDef {
  return { name, letter, attr, kind: more.kind ?? 'text', primary: more.primary, addHelp, matchHelp };
}

const account = field('account', 'a', kSecAttrAccount, 'Specify account name (required)', 'Match "account" string', { primary: true });
const creator = field('creator', 'c', kSecAttrCreator, 'Specify item creator (optional four-character code)', 'Match "creator" (four-character code)', { kind: 'code' });
const type = field('type', 'C', kSecAttrType, 'Specify item type (optional four-character code)', 'Match "type" (four-character code)', { kind: 'code' });
const kind = field('kind', 'D', kSecAttrDescription, 'Specify kind (optional)', 'Match "kind" string');
const comment = field('comment', 'j', kSecAttrComment, 'Specify comment string (optional)', 'Match "comment" string');
const label = (named: string): FieldDef =>
  field('label', 'l', kSecAttrLabel, `Specify label (if omitted, ${named} name is used as default label)`, 'Match "label" string');

export const genericClass: PasswordClass = {
  cls: kSecClassGenericPassword,
  title: 'generic password',
  serviceWord: 'service',
  fields: [
    account,
    creator,
    type,
    kind,
    field('generic', 'G', kSecAttrGeneric, 'Specify generic attribute (optional)', 'Match "value" string (generic attribute)'),
    comment,
    label('service'),
    field('service', 's', kSecAttrService, 'Specify service name (required)', 'Match "service" string', { primary: true }),
  ],
  labelFrom: kSecAttrService,
  required: ['a', 's'],
  legacyPassword: true,
  addDefaults: {},
  addError: (name) => `SecKeychainItemCreateFromContent (${name ?? '<default>'})`,
};

export const internetClass: PasswordClass = {
  cls: kSecClassInternetPassword,
  title: 'internet password',
  serviceWord: 'server',
  fields: [
    account,
    creator,
    type,
    field('domain', 'd', kSecAttrSecurityDomain, 'Specify security domain string (optional)', 'Match "securityDomain" string', { primary: true }),
    kind,
    comment,
    label('server'),
    field('path', 'p', kSecAttrPath, 'Specify path string (optional)', 'Match "path" string', { primary: true }),
    field('port', 'P', kSecAttrPort, 'Specify port number (optional)', 'Match port number', { kind: 'port', primary: true }),
    field('protocol', 'r', kSecAttrProtocol, 'Specify protocol (optional four-character SecProtocolType, e.g. "http", "ftp ")', 'Match "protocol" (four-character code)', { kind: 'codeText', primary: true }),
    field('server', 's', kSecAttrServer, 'Specify server name (required)', 'Match "server" string', { primary: true }),
    field('authType', 't', kSecAttrAuthenticationType, 'Specify authentication type (as a four-character SecAuthenticationType, default is "dflt")', 'Match "authenticationType" (four-character code)', { kind: 'codeText', primary: true }),
  ],
  labelFrom: kSecAttrServer,
  required: ['a', 's'],
  legacyPassword: false,
  addDefaults: { [kSecAttrAuthenticationType]: kSecAttrAuthenticationTypeDefault },
  addError: (name) => `SecKeychainAddInternetPassword ${name ?? '<NULL>'}`,
};

/** The match options of a class, with the usage line `help` picks. */
function fieldOptions(pc: PasswordClass, help: (f: FieldDef) => string): Record<string, OptionSpec> {
  const out: Record<string, OptionSpec> = {};
  for (const f of pc.fields) out[f.name] = { letter: f.letter, value: f.name, help: help(f) };
  return out;
}

/** add-*-password's options, in usage order. */
function addOptionsFor(pc: PasswordClass) {
  return {
    ...fieldOptions(pc, (f) => f.addHelp),
    ...(pc.legacyPassword
      ? { legacyPassword: { letter: 'p', value: 'password', secret: true, help: 'Specify password to be added (legacy option, equivalent to -w)' } }
      : {}),
    password: { letter: 'w', value: 'password', secret: true, help: 'Specify password to be added. Put at end of command to be prompted (recommended)' },
    hexPassword: { letter: 'X', value: 'hex', secret: true, help: 'Specify password data to be added as a hexadecimal string' },
    anyApp: { letter: 'A', help: 'Allow any application to access this item without warning (insecure, not recommended!)' },
    trustedApp: {
      letter: 'T',
      value: 'appPath',
      multiple: true,
      help:
        'Specify an application which may access this item (multiple -T options are allowed);\n' +
        '-T group://NAME puts the item in access group NAME',
    },
    accessGroup: { long: 'access-group', value: 'GROUP', help: 'Put the item in access group GROUP (default: secitem.cli)' },
    update: { letter: 'U', help: 'Update item if it already exists (if omitted, the item cannot already exist)' },
  } as const satisfies OptionTable;
}

/** find-*-password's options, in usage order. */
function findOptionsFor(pc: PasswordClass) {
  return {
    ...fieldOptions(pc, (f) => f.matchHelp),
    showPassword: { letter: 'g', help: 'Display the password for the item found' },
    passwordOnly: { letter: 'w', help: 'Display only the password on stdout' },
  } as const satisfies OptionTable;
}

/** delete-*-password's options. */
function deleteOptionsFor(pc: PasswordClass): OptionTable {
  return fieldOptions(pc, (f) => f.matchHelp);
}

const SEARCH_LIST_NOTE = 'If no keychains are specified to search, the default search list is used.';

type HandlerName = Parameters<typeof handlerOf<typeof handlers>>[1];

const handler = (name: HandlerName) => handlerOf(() => import('../run/password-items.js'), name);

function article(title: string): string {
  return /^[aeiou]/.test(title) ? `an ${title}` : `a ${title}`;
}

function addCommand(pc: PasswordClass, name: string, run: HandlerName) {
  const notes =
    '\nIf no keychain is specified, the password is added to the default keychain.\n' +
    `Use of the ${pc.legacyPassword ? '-p or -w options' : '-w option'} is insecure. Specify -w as the last option to be prompted.`;
  return command(name, `[-h] [-a account] [-s ${pc.serviceWord}] [-w password] [options...] [-A|-T appPath] [keychain]`,
    `Add ${article(pc.title)} item.`, handler(run), addOptionsFor(pc), notes);
}

function findCommand(pc: PasswordClass, name: string, run: HandlerName) {
  return command(name, `[-h] [-a account] [-s ${pc.serviceWord}] [options...] [-g] [keychain...]`,
    `Find ${article(pc.title)} item.`, handler(run), findOptionsFor(pc), SEARCH_LIST_NOTE);
}

function deleteCommand(pc: PasswordClass, name: string, run: HandlerName) {
  return command(name, `[-h] [-a account] [-s ${pc.serviceWord}] [options...] [keychain...]`,
    `Delete ${article(pc.title)} item.`, handler(run), deleteOptionsFor(pc), SEARCH_LIST_NOTE);
}

export const addGenericPasswordCommand = addCommand(genericClass, 'add-generic-password', 'addGenericPassword');
export const addInternetPasswordCommand = addCommand(internetClass, 'add-internet-password', 'addInternetPassword');
export const findGenericPasswordCommand = findCommand(genericClass, 'find-generic-password', 'findGenericPassword');
export const findInternetPasswordCommand = findCommand(internetClass, 'find-internet-password', 'findInternetPassword');
export const deleteGenericPasswordCommand = deleteCommand(genericClass, 'delete-generic-password', 'deleteGenericPassword');
export const deleteInternetPasswordCommand = deleteCommand(internetClass, 'delete-internet-password', 'deleteInternetPassword');
