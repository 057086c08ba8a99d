/**
 * add-certificates, find-certificate, find-identity, delete-certificate and
 * delete-identity (keychain_add.c, keychain_find.c, identity_find.c,
 * keychain_delete.c) on our keychain files.
 *
 * - Certificates are found by listing every certificate of the keychains
 *   searched (the search list, or the keychains named) and matching in the
 *   CLI, as `security`'s legacy search does: `-c` is a case-insensitive
 *   substring of the common name, `-e` one of the certificate's e-mail
 *   addresses, `-Z` its SHA-1 (or SHA-256) hash in hex.
 * - An identity is "valid" when its certificate is within its validity
 *   dates; nothing else of trust is evaluated, and `-p` changes only the
 *   policy name printed.
 * @module
 */
import { readFileSync } from 'node:fs';
import { errSecDuplicateItem, errSecItemNotFound, kSecValueRef, SecError } from '../../index.js';
import { certificateLayout, formatItemBlock } from '../attributes.js';
import { containsIgnoringCase, digestHex, tryCertificateFacts } from '../certs/x509.js';
import type { CertificateFacts } from '../certs/x509.js';
import { isPem, pemBlocks, pemEncode } from '../certs/pem.js';
import {
  addCertificatesCommand,
  deleteCertificateCommand,
  deleteIdentityCommand,
  findCertificateCommand,
  findIdentityCommand,
  IDENTITY_POLICIES,
} from '../commands/certificates.js';
import { CommandFailure, EXIT_FAILURE, UsageError } from '../failures.js';
import type { CommandContext } from '../io.js';
import { keychainTargets, targetOf, unlockTargets, withKeychain } from '../keychains.js';
import type { KeychainTarget } from '../keychains.js';
import { getopt } from '../options.js';
import { addRef, certificateFromDer, deleteByRef, listIdentities, listItems } from './objects.js';
import type { Listed, ListedIdentity } from './objects.js';
import { SecFailure, reportedAs } from './sec-failures.js';
import { SecCopyErrorMessageString } from '../../index.js';

const SEARCH = 'SecKeychainSearchCopyNext';

/** strerror(3)'s text for the errors reading a file can give. */
export function strerror(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ENOENT':
      return 'No such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'Permission denied';
    case 'EISDIR':
      return 'Is a directory';
    default:
      return typeof code === 'string' ? code : String(error);
  }
}

/** The certificates a file holds: every CERTIFICATE block of PEM text, else the bytes as DER. */
export function certificatesInFile(bytes: Uint8Array): Uint8Array[] {
  if (!isPem(bytes)) return [bytes];
  return pemBlocks(bytes)
    .filter((b) => b.label === 'CERTIFICATE' || b.label === 'X509 CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE')
    .map((b) => b.der);
}

// ── add-certificates ─────────────────────────────────────────────────────────

export async function addCertificates(args: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = getopt(args, addCertificatesCommand.options);
  if (positionals.length === 0) throw new UsageError('a file is required');
  const target = targetOf(values.keychain, ctx);
  await unlockTargets([target], ctx);
  let result = 0;
  for (const file of positionals) {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch (error) {
      ctx.error(`${file}: ${strerror(error)}`);
      result = EXIT_FAILURE;
      continue;
    }
    const ders = certificatesInFile(bytes);
    if (ders.length === 0) ders.push(new Uint8Array(0));
    for (const der of ders) {
      const cert = certificateFromDer(der);
      if (cert === null) {
        ctx.error(`SecCertificateCreateFromData: ${SecCopyErrorMessageString(-26275)}`);
        result = EXIT_FAILURE;
        continue;
      }
      let status: number;
      try {
        status = withKeychain(target, (app) => addRef(app, cert));
      } catch (error) {
        if (!(error instanceof SecError)) throw error;
        status = error.status;
      }
      if (status === 0) continue;
      result = EXIT_FAILURE;
      if (status === errSecDuplicateItem) ctx.error(`${file}: already in ${values.keychain ?? 'default keychain'}`);
      else ctx.error(`SecCertificateAddToKeychain: ${SecCopyErrorMessageString(status)}`);
    }
  }
  return result;
}

// ── find-certificate ─────────────────────────────────────────────────────────

/** A certificate item with its parsed facts. */
interface CertItem extends Listed {
  readonly facts: CertificateFacts | undefined;
}

/** Every certificate of the keychains, in search-list order. */
function allCertificates(targets: readonly KeychainTarget[]): CertItem[] {
  const out: CertItem[] = [];
  for (const target of targets) {
    const listed = withKeychain(target, (app) => listItems(app, target, 'cert'));
    for (const item of listed) out.push({ ...item, facts: tryCertificateFacts(item.data) });
  }
  return out;
}

function emailMatches(facts: CertificateFacts | undefined, email: string): boolean {
  return facts !== undefined && facts.emailAddresses.some((e) => e.toLowerCase() === email.toLowerCase());
}

function nameMatches(facts: CertificateFacts | undefined, name: string): boolean {
  return facts?.commonName !== undefined && containsIgnoringCase(facts.commonName, name);
}

export async function findCertificate(args: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = getopt(args, findCertificateCommand.options);
  const targets = keychainTargets(positionals, ctx);
  await unlockTargets(targets, ctx);
  const certs = reportedAs(SEARCH, () => allCertificates(targets));
  const { email, name } = values;
  // With -e, the search is by e-mail address and -c is not looked at (keychain_find.c).
  const matches = certs.filter((c) => (email !== undefined ? emailMatches(c.facts, email) : name === undefined || nameMatches(c.facts, name)));
  if (!values.all && matches.length === 0) {
    throw new SecFailure(email !== undefined ? 'SecCertificateFindByEmail' : SEARCH, errSecItemNotFound);
  }
  for (const cert of values.all ? matches : matches.slice(0, 1)) {
    if (values.hash) ctx.out(`SHA-256 hash: ${digestHex('sha256', cert.data)}\nSHA-1 hash: ${digestHex('sha1', cert.data)}\n`);
    if (values.showEmail) ctx.out(`email addresses: ${(cert.facts?.emailAddresses ?? []).join(', ')}\n`);
    if (values.pem) ctx.out(pemEncode('CERTIFICATE', cert.data));
    else ctx.out(formatItemBlock(cert.target.path, certificateLayout, cert.attributes));
  }
  return 0;
}

// ── find-identity ────────────────────────────────────────────────────────────

/** What a certificate's validity dates say at `now`: null when within them, else the CSSM error find-identity prints. */
export function validityError(facts: CertificateFacts | undefined, now: Date): string | null {
  if (facts === undefined) return 'CSSMERR_TP_INVALID_CERTIFICATE';
  if (now < facts.notBefore) return 'CSSMERR_TP_CERT_NOT_VALID_YET';
  if (now > facts.notAfter) return 'CSSMERR_TP_CERT_EXPIRED';
  return null;
}

interface IdentityRow {
  readonly sha1: string;
  readonly label: string;
  readonly error: string | null;
}

function identityRows(identities: readonly ListedIdentity[], now: Date): IdentityRow[] {
  return identities.map((id) => {
    const facts = tryCertificateFacts(id.certificate);
    const label = facts?.subjectSummary ?? '';
    return { sha1: digestHex('sha1', id.certificate), label: label === '' ? '<unknown>' : label, error: validityError(facts, now) };
  });
}

function identityLine(row: IdentityRow, n: number): string {
  return `${String(n).padStart(3)}) ${row.sha1} "${row.label}"${row.error === null ? '' : ` (${row.error})`}\n`;
}

export async function findIdentity(args: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = getopt(args, findIdentityCommand.options);
  const wanted = new Set<string>();
  for (const p of values.policy ?? []) {
    if (!IDENTITY_POLICIES.some(([name]) => name === p)) throw new UsageError(`unknown policy ${p}`);
    wanted.add(p);
  }
  if (wanted.size === 0) wanted.add('basic');
  const targets = keychainTargets(positionals, ctx);
  await unlockTargets(targets, ctx);
  const identities: ListedIdentity[] = [];
  for (const target of targets) {
    identities.push(...reportedAs('SecIdentitySearchCopyNext', () => withKeychain(target, (app) => listIdentities(app, target))));
  }
  const match = values.string;
  let rows = identityRows(identities, new Date());
  if (match !== undefined) {
    ctx.out(`Looking for identities matching "${match}"\n`);
    rows = rows.filter((r) => containsIgnoringCase(r.label, match));
  }
  for (const [policy, title] of IDENTITY_POLICIES) {
    if (!wanted.has(policy)) continue;
    if (policy === 'sys-default' || policy === 'sys-kerberos-kdc') {
      // No system identities here: the heading alone, as security prints when none is set.
      ctx.out(`\n  ${title}\n`);
      continue;
    }
    if (!values.validOnly) {
      ctx.out(`\nPolicy: ${title}\n  Matching identities\n`);
      rows.forEach((r, i) => ctx.out(identityLine(r, i + 1)));
      ctx.out(`     ${rows.length} identities found\n\n  Valid identities only\n`);
    }
    const valid = rows.filter((r) => r.error === null);
    valid.forEach((r, i) => ctx.out(identityLine(r, i + 1)));
    ctx.out(`     ${valid.length} valid identities found\n`);
  }
  return 0;
}

// ── delete-certificate, delete-identity ──────────────────────────────────────

/** One candidate of a unique search: its certificate and how to delete it. */
interface Candidate {
  readonly target: KeychainTarget;
  readonly certificate: Uint8Array;
  readonly remove: () => number;
}

/**
 * find_unique_certificate: by hash, the first certificate whose SHA-1 (or
 * SHA-256) is `hash`; by name, the certificate whose common name contains
 * `name`, an exact match beating a partial one; two different certificates
 * matching alike make it ambiguous (null, after saying so).
 */
function findUnique(candidates: readonly Candidate[], name: string | undefined, hash: string | undefined, ctx: CommandContext): Candidate | null {
  if (hash !== undefined) {
    const h = hash.toUpperCase();
    return candidates.find((c) => digestHex('sha1', c.certificate) === h || digestHex('sha256', c.certificate) === h) ?? null;
  }
  let found: Candidate | null = null;
  let exact = false;
  for (const c of candidates) {
    const cn = tryCertificateFacts(c.certificate)?.commonName;
    if (cn === undefined || !containsIgnoringCase(cn, name!)) continue;
    const isExact = cn.toLowerCase() === name!.toLowerCase();
    if (found !== null) {
      if (exact && !isExact) continue;
      if (exact === isExact) {
        if (Buffer.compare(found.certificate, c.certificate) === 0) continue;
        ctx.error(`"${name}" is ambiguous, matches more than one certificate`);
        return null;
      }
    }
    found = c;
    exact = isExact;
  }
  return found;
}

async function deleteUnique(
  args: readonly string[],
  ctx: CommandContext,
  options: typeof deleteCertificateCommand.options,
  what: 'certificate' | 'identity',
): Promise<number> {
  const { values, positionals } = getopt(args, options);
  if (values.name === undefined && values.hash === undefined) throw new UsageError('-c or -Z is required');
  const targets = keychainTargets(positionals, ctx);
  await unlockTargets(targets, ctx);
  const search = (): Candidate[] => {
    const out: Candidate[] = [];
    for (const target of targets) {
      if (what === 'certificate') {
        const listed = withKeychain(target, (app) => listItems(app, target, 'cert'));
        for (const item of listed) {
          out.push({ target, certificate: item.data, remove: () => withKeychain(target, (app) => deleteByRef(app, item.persistentRef)) });
        }
      } else {
        // Listed again when deleting: an identity object belongs to the keychain that made it.
        const listed = withKeychain(target, (app) => listIdentities(app, target));
        for (const id of listed) {
          out.push({
            target,
            certificate: id.certificate,
            remove: () =>
              withKeychain(target, (app) => {
                const again = listIdentities(app, target).find((x) => Buffer.compare(x.certificate, id.certificate) === 0);
                return again === undefined ? errSecItemNotFound : app.SecItemDelete({ [kSecValueRef]: again.identity });
              }),
          });
        }
      }
    }
    return out;
  };
  const candidates = reportedAs(SEARCH, search);
  const chosen = findUnique(candidates, values.name, values.hash, ctx);
  if (chosen === null) {
    throw new CommandFailure(`Unable to delete ${what} matching "${values.name ?? values.hash ?? ''}"`, EXIT_FAILURE);
  }
  const status = reportedAs('SecKeychainItemDelete', chosen.remove);
  if (status !== 0) throw new SecFailure('SecKeychainItemDelete', status);
  return 0;
}

export function deleteCertificate(args: readonly string[], ctx: CommandContext): Promise<number> {
  return deleteUnique(args, ctx, deleteCertificateCommand.options, 'certificate');
}

export function deleteIdentity(args: readonly string[], ctx: CommandContext): Promise<number> {
  return deleteUnique(args, ctx, deleteIdentityCommand.options, 'identity');
}

