/**
 * The item classes as data: Apple's schema v12.11 (keychain/securityd/
 * SecItemSchema.c) restricted to the attributes a client can name.
 *
 * Left out on purpose: Apple-internal columns a client never sets (rowid,
 * data, v_pk, sha1, tomb, UUID, persistref, clip, sysb, pcs*, u_Tomb) and
 * `musr`/`ggrp`, which are always empty in a single-user keychain without
 * sharing groups, so leaving them out of the uniqueness constraint changes
 * nothing.
 * @module
 */
import { defineClass, type AttrDef, type AttrKind, type AttrFlags, type ClassDef, type ComputeHook } from './model.js';

const attr = (code: string, kind: AttrKind, flags: AttrFlags = {}): AttrDef => ({ code, kind, ...flags });
const shown = { returned: true } as const;
/** Part of the uniqueness constraint, defaulting to "" / empty data. */
const pkEmpty = { primaryKey: true, defaultEmpty: true, returned: true } as const;
/** Part of the uniqueness constraint, defaulting to 0. */
const pkZero = { primaryKey: true, defaultZero: true, returned: true } as const;

const now: ComputeHook = (_given, _current, ctx) => new Date(ctx.now.getTime());
/** A modification date moves forward on every update, even within one millisecond. */
const later: ComputeHook = (_given, current, ctx) =>
  new Date(Math.max(ctx.now.getTime(), current instanceof Date ? current.getTime() + 1 : 0));

/** Attributes every class has, with the access and sync columns of the key. */
const common: readonly AttrDef[] = [
  // Apple overwrites both dates on add (query_pre_add), whatever the caller gave.
  attr('cdat', 'date', { returned: true, role: 'creationDate', computeOnAdd: now }),
  attr('mdat', 'date', { returned: true, role: 'modificationDate', computeOnAdd: now, computeOnUpdate: later }),
  attr('labl', 'blob', shown),
  attr('alis', 'blob', shown),
  attr('agrp', 'string', {
    primaryKey: true,
    returned: true,
    role: 'accessGroup',
    computeOnAdd: (given, _current, ctx) => ctx.groupForAdd(given as string | undefined),
  }),
  attr('pdmn', 'access', { returned: true, role: 'protection', computeOnAdd: (_given, _current, ctx) => ctx.namedProtection ?? ctx.defaultProtection }),
  attr('accc', 'accessControl', { returned: true, role: 'accessControl' }),
  attr('sync', 'sync', { ...pkZero, role: 'sync' }),
  // vwht and tkid are in Apple's key; absent means "" there too.
  attr('vwht', 'string', { primaryKey: true, returned: true }),
  attr('tkid', 'string', { primaryKey: true, returned: true }),
];

/**
 * Attributes as a table, one per line: `code kind [flag]`, where the flag is
 * `key""` (in the uniqueness constraint, absent = "" or empty data), `key0`
 * (in it, absent = 0), or `secret` (secret data: returned with
 * kSecReturnData only); every other attribute is returned with kSecReturnAttributes.
 */
function table(lines: string): AttrDef[] {
  const flagsOf: Readonly<Record<string, AttrFlags>> = { 'key""': pkEmpty, key0: pkZero, secret: { secretData: true }, '': shown };
  return lines
    .trim()
    .split('\n')
    .map((line) => {
      const [code, kind, flag = ''] = line.trim().split(/\s+/);
      const flags = flagsOf[flag];
      if (code === undefined || kind === undefined || flags === undefined) throw new Error(`schema: bad line "${line.trim()}"`);
      return attr(code, kind as AttrKind, flags);
    });
}

/** Attributes the two password classes share. */
const password = table(`
  desc blob
  icmt blob
  crtr number
  type number
  scrp number
  invi number
  nega number
  cusi number
  prot blob
  acct blob key""
`);

export const genp: ClassDef = defineClass('genp', 'ak', [
  ...common,
  ...password,
  ...table(`
    svce blob key""
    gena blob
  `),
], [['svce', 'acct'], ['acct']]);

export const inet: ClassDef = defineClass('inet', 'ak', [
  ...common,
  ...password,
  ...table(`
    sdmn blob key""
    srvr blob key""
    ptcl number key0
    atyp blob key""
    port number key0
    path blob key""
    binn data secret
    bini data secret
    bin0 data secret
    bin1 data secret
    bin2 data secret
    bin3 data secret
  `),
], [['srvr', 'acct'], ['acct']]);

export const cert: ClassDef = defineClass('cert', 'dk', [
  ...common,
  ...table(`
    ctyp number key0
    cenc number
    subj data
    issr data key""
    slnr data key""
    skid data
    pkhh data
  `),
], [['issr', 'slnr'], ['subj'], ['pkhh'], ['labl']]);

export const keys: ClassDef = defineClass('keys', 'ak', [
  ...common,
  ...table(`
    kcls number key0
    perm number
    priv number
    modi number
    klbl data key""
    atag blob key""
    crtr number key0
    type number key0
    bsiz number key0
    esiz number key0
    sdat date key0
    edat date key0
    sens number
    asen number
    extr number
    next number
    encr number
    decr number
    drve number
    sign number
    vrfy number
    snrc number
    vyrc number
    wrap number
    unwp number
  `),
], [['klbl'], ['atag'], ['labl']]);

/** The stored classes, by kSecClass value. */
export const itemClasses: ReadonlyMap<string, ClassDef> = new Map([genp, inet, cert, keys].map((c) => [c.name, c]));

/** kSecClassIdentity: a pseudo-class joining cert and keys (a later issue). */
export const identityClassName = 'idnt';

/** Four-character keys that are never attributes a client may pass. */
export const rejectedAttributeKeys: ReadonlySet<string> = new Set(['clip']);
/** Four-character keys that are accepted and ignored (kSecUseDataProtectionKeychain). */
export const ignoredAttributeKeys: ReadonlySet<string> = new Set(['nleg']);
