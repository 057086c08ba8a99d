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

/** Attributes the two password classes share. */
const password: readonly AttrDef[] = [
  attr('desc', 'blob', shown),
  attr('icmt', 'blob', shown),
  attr('crtr', 'number', shown),
  attr('type', 'number', shown),
  attr('scrp', 'number', shown),
  attr('invi', 'number', shown),
  attr('nega', 'number', shown),
  attr('cusi', 'number', shown),
  attr('prot', 'blob', shown),
  attr('acct', 'blob', pkEmpty),
];

export const genp: ClassDef = defineClass('genp', 'ak', [
  ...common,
  ...password,
  attr('svce', 'blob', pkEmpty),
  attr('gena', 'blob', shown),
], [['svce', 'acct'], ['acct']]);

export const inet: ClassDef = defineClass('inet', 'ak', [
  ...common,
  ...password,
  attr('sdmn', 'blob', pkEmpty),
  attr('srvr', 'blob', pkEmpty),
  attr('ptcl', 'number', pkZero),
  attr('atyp', 'blob', pkEmpty),
  attr('port', 'number', pkZero),
  attr('path', 'blob', pkEmpty),
  // Extra secret fields: returned only with kSecReturnData, never as attributes.
  ...['binn', 'bini', 'bin0', 'bin1', 'bin2', 'bin3'].map((c) => attr(c, 'data', { secretData: true })),
], [['srvr', 'acct'], ['acct']]);

export const cert: ClassDef = defineClass('cert', 'dk', [
  ...common,
  attr('ctyp', 'number', pkZero),
  attr('cenc', 'number', shown),
  attr('subj', 'data', shown),
  attr('issr', 'data', pkEmpty),
  attr('slnr', 'data', pkEmpty),
  attr('skid', 'data', shown),
  attr('pkhh', 'data', shown),
], [['issr', 'slnr'], ['subj'], ['pkhh'], ['labl']]);

export const keys: ClassDef = defineClass('keys', 'ak', [
  ...common,
  attr('kcls', 'number', pkZero),
  attr('perm', 'number', shown),
  attr('priv', 'number', shown),
  attr('modi', 'number', shown),
  attr('klbl', 'data', pkEmpty),
  attr('atag', 'blob', pkEmpty),
  attr('crtr', 'number', pkZero),
  attr('type', 'number', pkZero),
  attr('bsiz', 'number', pkZero),
  attr('esiz', 'number', pkZero),
  attr('sdat', 'date', pkZero),
  attr('edat', 'date', pkZero),
  ...['sens', 'asen', 'extr', 'next', 'encr', 'decr', 'drve', 'sign', 'vrfy', 'snrc', 'vyrc', 'wrap', 'unwp'].map(
    (c) => attr(c, 'number', shown),
  ),
], [['klbl'], ['atag'], ['labl']]);

/** The stored classes, by kSecClass value. */
export const itemClasses: ReadonlyMap<string, ClassDef> = new Map([genp, inet, cert, keys].map((c) => [c.name, c]));

/** kSecClassIdentity: a pseudo-class joining cert and keys (a later issue). */
export const identityClassName = 'idnt';

/** Four-character keys that are never attributes a client may pass. */
export const rejectedAttributeKeys: ReadonlySet<string> = new Set(['clip']);
/** Four-character keys that are accepted and ignored (kSecUseDataProtectionKeychain). */
export const ignoredAttributeKeys: ReadonlySet<string> = new Set(['nleg']);
