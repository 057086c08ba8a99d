/**
 * import and export (keychain_import.c, keychain_export.c) on our keychain
 * files.
 *
 * import reads a PKCS#12 file (SecPKCS12Import: each identity and the rest
 * of its chain), or certificates and keys as PEM blocks or one DER object
 * (../certs/material.ts; keys through SecKeyCreateWithData), and adds them
 * to the keychain (`-k`, else the default keychain), printing Apple's counts:
 * `<n> identit(y|ies) imported.`, `<n> key(s) imported.`,
 * `<n> certificate(s) imported.`.
 *
 * export writes the certificates and keys of the keychains (`-k`, else the
 * search list) as pemseq (PEM blocks: CERTIFICATE, PRIVATE KEY as PKCS#8,
 * PUBLIC KEY), x509 (one DER certificate), openssl (one key: PKCS#1 or SEC1
 * private key, SubjectPublicKeyInfo public key), pkcs8 (one private key,
 * encrypted PKCS#8 under the passphrase) or pkcs12 (what `openssl pkcs12
 * -export` writes). The default format is Apple's: pemseq for more than one
 * item, x509 for one certificate, openssl for one key.
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { KeyObject } from 'node:crypto';
import {
  errSecAuthFailed,
  errSecDecode,
  errSecDuplicateItem,
  errSecParam,
  errSecPkcs12VerifyFailure,
  errSecUnimplemented,
  errSecUnsupportedFormat,
  kSecAttrApplicationLabel,
  kSecAttrKeyClass,
  kSecAttrKeyType,
  kSecAttrLabel,
  kSecAttrPublicKeyHash,
  kSecReturnPersistentRef,
  kSecValueRef,
  SecCopyErrorMessageString,
  SecError,
} from '../../index.js';
import { isPem, pemBlocks, pemEncode } from '../certs/pem.js';
import { writePkcs12 } from '../certs/pkcs12-write.js';
import type { Pkcs12Entry } from '../certs/pkcs12-write.js';
import { tryCertificateFacts } from '../certs/x509.js';
import { externalRepresentation, formatAllows, MaterialError, readMaterial, typeAllows } from '../certs/material.js';
import type { Material } from '../certs/material.js';
import { EXPORT_FORMATS, EXPORT_TYPES, exportCommand, IMPORT_FORMATS, IMPORT_TYPES, importCommand } from '../commands/certificates.js';
import { Canceled, CommandFailure, EXIT_FAILURE, UsageError } from '../failures.js';
import type { CommandContext } from '../io.js';
import { PROGRAM } from '../io.js';
import { keychainTargets, targetOf, unlockTargets, withKeychain } from '../keychains.js';
import type { KeychainTarget } from '../keychains.js';
import { getopt } from '../options.js';
import { strerror } from './certificates.js';
import { addRef, certificateFromDer, deleteByRef, identityPrivateKey, keyFromExternal, keyObjectFromExternal, keyObjectOf, listIdentities, listItems, pkcs12Import } from './objects.js';

/** `secitem: <what>: <Apple's message>`, exit 1 (import and export fail with 1). */
function failure(what: string, status: number): CommandFailure {
  return new CommandFailure(`${PROGRAM}: ${what}: ${SecCopyErrorMessageString(status)}\n`, EXIT_FAILURE);
}

const IMPORT = 'SecKeychainItemImport';
const EXPORT = 'SecKeychainItemExport';

/** `-w` only goes with the openssl, openssh and pkcs8 formats (or none). */
function checkWrapped(wrapped: boolean | undefined, format: string | undefined, ctx: CommandContext): void {
  if (!wrapped) return;
  if (format === undefined || ['openssl', 'openssh1', 'openssh2', 'pkcs8'].includes(format)) return;
  ctx.err("Don't know how to wrap in specified format/type\n");
  throw new UsageError('-w with this format');
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n > 1 ? many : one} imported.\n`;
}

// ── import ───────────────────────────────────────────────────────────────────

/** Whether DER bytes look like a PFX: SEQUENCE { INTEGER 3, … }. */
function looksLikePkcs12(bytes: Uint8Array): boolean {
  if (bytes.length < 8 || bytes[0] !== 0x30) return false;
  const lenBytes = bytes[1] & 0x80 ? bytes[1] & 0x7f : 0;
  const at = 2 + lenBytes;
  return bytes[at] === 0x02 && bytes[at + 1] === 0x01 && bytes[at + 2] === 0x03;
}

/** The passphrase asked on a terminal: `password to unlock <file name>: `. */
async function promptFor(inFile: string, ctx: CommandContext): Promise<string> {
  const typed = await ctx.promptPassword(`password to unlock ${basename(inFile)}: `);
  if (typed === null) throw new Canceled();
  return typed;
}

/** Whether PEM text holds an encrypted private key, whose passphrase a terminal is asked for (DER ones need -P). */
function encryptedKeyIn(bytes: Uint8Array): boolean {
  return isPem(bytes) && pemBlocks(bytes).some((b) => b.label === 'ENCRYPTED PRIVATE KEY');
}

/** Formats read without PKCS#12: PEM or DER certificates and keys. Others are not implemented. */
const MATERIAL_FORMATS: ReadonlySet<string | undefined> = new Set([undefined, 'openssl', 'pkcs8', 'pemseq', 'x509']);

/**
 * The certificates and keys of a file, checked against -f and -t: a block
 * the format or type does not allow fails the import (errSecUnsupportedFormat),
 * data that decodes as nothing fails it with errSecDecode.
 */
function materialOf(bytes: Uint8Array, format: string | undefined, type: string | undefined, passphrase: string | undefined): Material[] {
  if (!MATERIAL_FORMATS.has(format) || type === 'session') throw failure(IMPORT, errSecUnimplemented);
  if (format === 'pemseq' && !isPem(bytes)) throw failure(IMPORT, errSecDecode);
  const allowed = (m: Material): boolean => formatAllows(format, m) && typeAllows(type, m);
  let materials: Material[];
  try {
    materials = readMaterial(bytes, passphrase, allowed);
  } catch (error) {
    if (!(error instanceof MaterialError)) throw error;
    throw failure(IMPORT, error.reason === 'passphrase' ? errSecAuthFailed : errSecDecode);
  }
  if (materials.length === 0) throw failure(IMPORT, errSecDecode);
  if (!materials.every(allowed)) throw failure(IMPORT, errSecUnsupportedFormat);
  return materials;
}

/** The label `security import` gives keys (SecImportExportCrypto.cpp). */
const KEY_LABELS = { private: 'Imported Private Key', public: 'Imported Public Key' } as const;

/**
 * Adds every certificate and key (SecCertificateCreateWithData /
 * SecKeyCreateWithData, then SecItemAdd of the reference) in one keychain
 * session. A failure of one (a duplicate: errSecDuplicateItem) removes what
 * this import added before it and fails the import: nothing is half imported.
 */
function addMaterials(target: KeychainTarget, materials: readonly Material[]): { keys: number; certificates: number } {
  const refs: { ref: unknown; extra: Record<string, unknown>; kind: 'key' | 'cert' }[] = [];
  for (const m of materials) {
    if (m.kind === 'cert') {
      const cert = certificateFromDer(m.der);
      if (cert === null) throw failure(IMPORT, errSecDecode);
      refs.push({ ref: cert, extra: {}, kind: 'cert' });
      continue;
    }
    let external: ReturnType<typeof externalRepresentation>;
    try {
      external = externalRepresentation(m.key, m.isPrivate);
    } catch (error) {
      if (error instanceof MaterialError) throw failure(IMPORT, errSecUnsupportedFormat);
      throw error;
    }
    const { key, status } = keyFromExternal(external.data, external.type, m.isPrivate);
    if (key === undefined) throw failure(IMPORT, status || errSecDecode);
    refs.push({ ref: key, extra: { [kSecAttrLabel]: m.isPrivate ? KEY_LABELS.private : KEY_LABELS.public }, kind: 'key' });
  }
  const counts = { keys: 0, certificates: 0 };
  const status = reportedStatus(() =>
    withKeychain(target, (app) => {
      const added: Uint8Array[] = [];
      for (const { ref, extra, kind } of refs) {
        const { status, result } = app.SecItemAdd({ ...extra, [kSecValueRef]: ref, [kSecReturnPersistentRef]: true });
        if (status !== 0) {
          for (const pref of added) deleteByRef(app, pref);
          return status;
        }
        if (result instanceof Uint8Array) added.push(result);
        if (kind === 'key') counts.keys++;
        else counts.certificates++;
      }
      return 0;
    }),
  );
  if (status !== 0) throw failure(IMPORT, status);
  return counts;
}

/** The OSStatus of a keychain session: its result, or the status of a SecError it throws. */
function reportedStatus(body: () => number): number {
  try {
    return body();
  } catch (error) {
    if (error instanceof SecError) return error.status;
    throw error;
  }
}

export async function importItems(rawArgs: readonly string[], ctx: CommandContext): Promise<number> {
  if (rawArgs.length < 1 || (rawArgs.length === 1 && rawArgs[0].startsWith('-'))) throw new UsageError('an input file is required');
  const [inFile, ...rest] = rawArgs;
  // -a takes two words (name and value): extended attributes, accepted and not kept.
  const args: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '-a') {
      if (i + 2 >= rest.length) throw new UsageError('-a needs a name and a value');
      i += 2;
      continue;
    }
    args.push(rest[i]);
  }
  const { values, positionals } = getopt(args, importCommand.options);
  if (positionals.length > 0) throw new UsageError('unexpected arguments');
  if (values.type !== undefined && !(IMPORT_TYPES as readonly string[]).includes(values.type)) throw new UsageError(`unknown type ${values.type}`);
  if (values.format !== undefined && !(IMPORT_FORMATS as readonly string[]).includes(values.format)) throw new UsageError(`unknown format ${values.format}`);
  checkWrapped(values.wrapped, values.format, ctx);

  let bytes: Uint8Array;
  try {
    bytes = readFileSync(inFile);
  } catch (error) {
    throw new CommandFailure(`${PROGRAM}: Error reading infile ${inFile}: ${strerror(error)}\n`, EXIT_FAILURE);
  }
  const target = targetOf(values.keychain, ctx);
  await unlockTargets([target], ctx);

  const pkcs12 =
    values.format === 'pkcs12' ||
    (values.format === undefined && (/\.(p12|pfx)$/i.test(inFile) || (!isPem(bytes) && looksLikePkcs12(bytes))));
  const counts = { identities: 0, keys: 0, certificates: 0 };
  const add = (ref: unknown, extra: Record<string, unknown> = {}): number => {
    try {
      return withKeychain(target, (app) => addRef(app, ref, extra));
    } catch (error) {
      if (error instanceof SecError) return error.status;
      throw error;
    }
  };

  if (pkcs12) {
    const passphrase = values.passphrase ?? (ctx.interactiveInput ? await promptFor(inFile, ctx) : undefined);
    const { status, items } = pkcs12Import(bytes, passphrase ?? '');
    // SecPKCS12Import answers a wrong passphrase with errSecAuthFailed; SecKeychainItemImport, which security reports, with errSecPkcs12VerifyFailure.
    if (status !== 0) throw failure(IMPORT, status === errSecAuthFailed ? errSecPkcs12VerifyFailure : status);
    for (const item of items) {
      const s = add(item.identity, item.label === undefined ? {} : { [kSecAttrLabel]: item.label });
      if (s !== 0) throw failure(IMPORT, s);
      counts.identities++;
      for (const cert of item.chain.slice(1)) {
        const c = add(cert);
        if (c === 0) counts.certificates++;
        else if (c !== errSecDuplicateItem) throw failure(IMPORT, c);
      }
    }
  } else {
    const passphrase = values.passphrase ?? (encryptedKeyIn(bytes) && ctx.interactiveInput ? await promptFor(inFile, ctx) : undefined);
    const materials = materialOf(bytes, values.format, values.type, passphrase);
    const added = addMaterials(target, materials);
    counts.keys += added.keys;
    counts.certificates += added.certificates;
  }
  if (counts.identities + counts.keys + counts.certificates === 0) throw new CommandFailure(`${PROGRAM}: No keychain items found\n`, EXIT_FAILURE);
  if (counts.identities) ctx.out(plural(counts.identities, 'identity', 'identities'));
  if (counts.keys) ctx.out(plural(counts.keys, 'key', 'keys'));
  if (counts.certificates) ctx.out(plural(counts.certificates, 'certificate', 'certificates'));
  return 0;
}

// ── export ───────────────────────────────────────────────────────────────────

/** One exportable item. */
type Exported =
  | { readonly kind: 'cert'; readonly der: Uint8Array; readonly label?: string; readonly pkhh?: Uint8Array }
  | { readonly kind: 'key'; readonly key: KeyObject; readonly isPrivate: boolean; readonly label?: string; readonly klbl?: Uint8Array }
  | { readonly kind: 'identity'; readonly der: Uint8Array; readonly key: KeyObject; readonly label?: string };

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  return undefined;
}

function bytesOf(v: unknown): Uint8Array | undefined {
  return v instanceof Uint8Array ? v : undefined;
}

function gather(ctx: CommandContext, keychain: string | undefined, type: string): Exported[] {
  const targets = keychainTargets(keychain === undefined ? [] : [keychain], ctx);
  const out: Exported[] = [];
  const certs = type === 'certs' || type === 'all';
  const priv = type === 'privKeys' || type === 'allKeys' || type === 'all';
  const pub = type === 'pubKeys' || type === 'allKeys';
  for (const target of targets) {
    withKeychain(target, (app) => {
      if (type === 'identities') {
        for (const id of listIdentities(app, target, true)) {
          const label = text(id.attributes[kSecAttrLabel]) ?? tryCertificateFacts(id.certificate)?.subjectSummary;
          const key = id.keyData !== undefined ? keyObjectFromExternal(id.keyData, String(id.attributes[kSecAttrKeyType]) === '73', true) : keyObjectOf(identityPrivateKey(id.identity));
          out.push({ kind: 'identity', der: id.certificate, key, label });
        }
        return;
      }
      if (certs) {
        for (const c of listItems(app, target, 'cert')) {
          out.push({ kind: 'cert', der: c.data, label: text(c.attributes[kSecAttrLabel]), pkhh: bytesOf(c.attributes[kSecAttrPublicKeyHash]) });
        }
      }
      for (const [wanted, kcls] of [[priv, 1], [pub, 0]] as const) {
        if (!wanted) continue;
        for (const k of listItems(app, target, 'keys', { [kSecAttrKeyClass]: kcls })) {
          const isEc = String(k.attributes[kSecAttrKeyType]) === '73';
          out.push({
            kind: 'key',
            key: keyObjectFromExternal(k.data, isEc, kcls === 1),
            isPrivate: kcls === 1,
            label: text(k.attributes[kSecAttrLabel]),
            klbl: bytesOf(k.attributes[kSecAttrApplicationLabel]),
          });
        }
      }
    });
  }
  return out;
}

/** PKCS#12 entries: identities, then certificates paired with their private keys (pkhh = klbl), then the rest. */
function pkcs12Entries(items: readonly Exported[]): Pkcs12Entry[] {
  const entries: Pkcs12Entry[] = [];
  const keys = items.filter((i): i is Extract<Exported, { kind: 'key' }> => i.kind === 'key' && i.isPrivate);
  const used = new Set<unknown>();
  for (const item of items) {
    if (item.kind === 'identity') entries.push({ certificate: item.der, privateKey: item.key, friendlyName: item.label });
    else if (item.kind === 'cert') {
      const key = keys.find((k) => !used.has(k) && k.klbl !== undefined && item.pkhh !== undefined && Buffer.compare(k.klbl, item.pkhh) === 0);
      if (key !== undefined) used.add(key);
      entries.push({ certificate: item.der, privateKey: key?.key, friendlyName: item.label });
    }
  }
  for (const k of keys) if (!used.has(k)) entries.push({ privateKey: k.key, friendlyName: k.label });
  return entries;
}

function pemOfKey(key: KeyObject, isPrivate: boolean): string {
  return isPrivate ? (key.export({ format: 'pem', type: 'pkcs8' }) as string) : (key.export({ format: 'pem', type: 'spki' }) as string);
}

/** The openssl format of one key: PKCS#1 (RSA) or SEC1 (EC) for a private key, SubjectPublicKeyInfo for a public one. */
function opensslKey(key: KeyObject, isPrivate: boolean, pem: boolean): Uint8Array | string {
  if (!isPrivate) return pem ? (key.export({ format: 'pem', type: 'spki' }) as string) : key.export({ format: 'der', type: 'spki' });
  const type = key.asymmetricKeyType === 'ec' ? 'sec1' : 'pkcs1';
  return pem ? (key.export({ format: 'pem', type }) as string) : key.export({ format: 'der', type });
}

async function passphraseFor(values: { passphrase?: string }, ctx: CommandContext): Promise<string> {
  if (values.passphrase !== undefined) return values.passphrase;
  if (!ctx.interactiveInput) return '';
  const typed = await ctx.promptNewPassword('Enter passphrase: ', 'Verify passphrase: ');
  if (typed === null) throw new Canceled();
  return typed;
}

export async function exportItems(args: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = getopt(args, exportCommand.options);
  if (positionals.length > 0) throw new UsageError('unexpected arguments');
  const type = values.type ?? 'all';
  if (!(EXPORT_TYPES as readonly string[]).includes(type)) throw new UsageError(`unknown type ${type}`);
  if (values.format !== undefined && !(EXPORT_FORMATS as readonly string[]).includes(values.format)) throw new UsageError(`unknown format ${values.format}`);
  checkWrapped(values.wrapped, values.format, ctx);
  await unlockTargets(keychainTargets(values.keychain === undefined ? [] : [values.keychain], ctx), ctx);
  let items: Exported[];
  try {
    items = gather(ctx, values.keychain, type);
  } catch (error) {
    if (error instanceof SecError) throw failure(EXPORT, error.status);
    throw error;
  }
  if (items.length === 0) throw failure(EXPORT, errSecParam);
  const format = values.format ?? (items.length > 1 || items[0].kind === 'identity' ? 'pemseq' : items[0].kind === 'cert' ? 'x509' : 'openssl');
  const pem = values.pem === true;
  let output: Uint8Array | string;
  switch (format) {
    case 'pemseq': {
      let text = '';
      for (const item of items) {
        if (item.kind !== 'key') text += pemEncode('CERTIFICATE', item.der);
        if (item.kind === 'identity') text += pemOfKey(item.key, true);
        if (item.kind === 'key') text += pemOfKey(item.key, item.isPrivate);
      }
      output = text;
      break;
    }
    case 'x509': {
      const only = items[0];
      if (items.length !== 1 || only.kind !== 'cert') throw failure(EXPORT, errSecParam);
      output = pem ? pemEncode('CERTIFICATE', only.der) : only.der;
      break;
    }
    case 'openssl': {
      const only = items[0];
      if (items.length !== 1 || only.kind !== 'key') throw failure(EXPORT, errSecParam);
      output = opensslKey(only.key, only.isPrivate, pem);
      break;
    }
    case 'pkcs8': {
      const only = items[0];
      if (items.length !== 1 || only.kind !== 'key' || !only.isPrivate) throw failure(EXPORT, errSecParam);
      const passphrase = await passphraseFor(values, ctx);
      const options = { format: pem ? 'pem' : 'der', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase } as const;
      output = only.key.export(options as never) as unknown as Uint8Array | string;
      break;
    }
    case 'pkcs12': {
      const passphrase = await passphraseFor(values, ctx);
      const der = writePkcs12(pkcs12Entries(items), passphrase);
      output = pem ? pemEncode('PKCS12', der) : der;
      break;
    }
    default:
      throw failure(EXPORT, errSecUnimplemented);
  }
  const bytes = typeof output === 'string' ? Buffer.from(output, 'utf8') : Buffer.from(output);
  if (values.output !== undefined) {
    try {
      writeFileSync(values.output, bytes);
    } catch (error) {
      throw new CommandFailure(`${PROGRAM}: Error writing to ${values.output}: ${strerror(error)}\n`, EXIT_FAILURE);
    }
    if (!ctx.quiet) ctx.err(`...${bytes.length} bytes written to ${values.output}\n`);
  } else ctx.out(bytes);
  return 0;
}
