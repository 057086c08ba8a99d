/**
 * create-keypair (key_create.c) and find-key (keychain_find.c) on our
 * keychain files.
 *
 * create-keypair makes an RSA or EC key pair with SecKeyCreateRandomKey,
 * kSecAttrIsPermanent: the private key and its public key are stored,
 * labelled with the description. Apple's dh, dsa and fee algorithms are
 * refused (exit 1), and its 512-bit RSA default, which the engine refuses,
 * is 2048 here.
 * @module
 */
import {
  errSecItemNotFound,
  kSecAttrApplicationLabel,
  kSecAttrCanDecrypt,
  kSecAttrCanDerive,
  kSecAttrCanEncrypt,
  kSecAttrCanSign,
  kSecAttrCanUnwrap,
  kSecAttrCanVerify,
  kSecAttrCanWrap,
  kSecAttrComment,
  kSecAttrDescription,
  kSecAttrEndDate,
  kSecAttrKeyClass,
  kSecAttrKeyCreator,
  kSecAttrKeySizeInBits,
  kSecAttrKeyType,
  kSecAttrKeyTypeEC,
  kSecAttrKeyTypeRSA,
  kSecAttrLabel,
  kSecAttrAccessGroup,
  kSecAttrIsPermanent,
  kSecAttrStartDate,
  SecError,
} from '../../index.js';
import { formatItemBlock, keyLayout } from '../attributes.js';
import { createKeypairCommand, findKeyCommand } from '../commands/certificates.js';
import { CommandFailure, EXIT_FAILURE, ToolFailure, UsageError } from '../failures.js';
import type { CommandContext } from '../io.js';
import { PROGRAM } from '../io.js';
import { keychainTargets, targetOf, unlockTargets, withKeychain } from '../keychains.js';
import { parseFourCharCode } from './four-char-code.js';
import { getopt } from '../options.js';
import { SecCopyErrorMessageString } from '../../index.js';
import { createRandomKey, listItems } from './objects.js';
import type { Listed } from './objects.js';
import { reportedAs, SecFailure } from './sec-failures.js';

/** parse_algorithm's names, in its order: a typed prefix picks the first that starts with it. */
const ALGORITHMS = ['rsa', 'dsa', 'dh', 'fee', 'ec'] as const;
const SUPPORTED: ReadonlySet<string> = new Set(['rsa', 'ec']);

/** C's atoi: leading blanks, a sign, digits; anything else stops it (0 when nothing). */
function atoi(text: string): number {
  const m = /^\s*([+-]?\d+)/.exec(text);
  return m === null ? 0 : Number.parseInt(m[1], 10);
}

/** A date of -f/-t: ISO 8601, or anything Date parses; else Apple's message and exit 1. */
function parseDate(text: string): Date {
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new ToolFailure(`${text} is not a valid date`);
  return d;
}

function groupOf(trusted: readonly string[] | undefined): string | undefined {
  const g = (trusted ?? []).find((t) => t.startsWith('group://') && t.length > 'group://'.length);
  return g?.slice('group://'.length);
}

export async function createKeypair(args: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = getopt(args, createKeypairCommand.options);
  let algorithm: string = 'rsa';
  if (values.algorithm !== undefined) {
    const typed = values.algorithm;
    const found = ALGORITHMS.find((a) => a.startsWith(typed));
    if (found === undefined) throw new UsageError(`Invalid algorithm: ${typed}`, { shown: true });
    if (!SUPPORTED.has(found)) throw new ToolFailure(`create-keypair: ${found} keys are not supported (use rsa or ec)`);
    algorithm = found;
  }
  const size = values.size !== undefined ? atoi(values.size) : algorithm === 'rsa' ? 2048 : 256;
  let from: Date | undefined;
  let to: Date | undefined;
  if (values.from !== undefined) from = parseDate(values.from);
  if (values.to !== undefined) to = parseDate(values.to);
  if (values.days !== undefined) {
    const days = Number.parseFloat(values.days);
    if (!(days >= 1)) throw new UsageError('-d needs at least 1 day');
    from = new Date();
    to = new Date(from.getTime() + days * 86_400_000);
  }
  if (positionals.length > 1 || positionals[0] === '') throw new UsageError('one description at most');
  const description = positionals[0] ?? '<key>';
  const group = groupOf(values.trustedApp);
  const target = targetOf(values.keychain, ctx);
  await unlockTargets([target], ctx);

  const dates = { ...(from ? { [kSecAttrStartDate]: from } : {}), ...(to ? { [kSecAttrEndDate]: to } : {}) };
  const parameters: Record<string, unknown> = {
    [kSecAttrKeyType]: algorithm === 'rsa' ? kSecAttrKeyTypeRSA : kSecAttrKeyTypeEC,
    [kSecAttrKeySizeInBits]: size,
    [kSecAttrIsPermanent]: true,
    [kSecAttrLabel]: description,
    ...(group === undefined ? {} : { [kSecAttrAccessGroup]: group }),
    private: { ...dates },
    public: { ...dates },
  };
  let status: number;
  try {
    status = withKeychain(target, (app) => createRandomKey(app, parameters).status);
  } catch (error) {
    if (!(error instanceof SecError)) throw error;
    status = error.status;
  }
  if (status !== 0) {
    throw new CommandFailure(`${PROGRAM}: SecKeyCreatePair ${values.keychain ?? '<NULL>'}: ${SecCopyErrorMessageString(status)}\n`, EXIT_FAILURE);
  }
  return 0;
}

// ── find-key ─────────────────────────────────────────────────────────────────

const KEY_CLASSES: Readonly<Record<string, number>> = { public: 0, private: 1, symmetric: 2 };

export async function findKey(args: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = getopt(args, findKeyCommand.options);
  const query: Record<string, unknown> = {};
  if (values.applicationLabel !== undefined) query[kSecAttrApplicationLabel] = new Uint8Array(Buffer.from(values.applicationLabel, 'utf8'));
  if (values.creator !== undefined) query[kSecAttrKeyCreator] = parseFourCharCode(values.creator);
  if (values.description !== undefined) query[kSecAttrDescription] = values.description;
  if (values.comment !== undefined) query[kSecAttrComment] = values.comment;
  if (values.label !== undefined) query[kSecAttrLabel] = values.label;
  if (values.type !== undefined) {
    const kcls = KEY_CLASSES[values.type];
    if (kcls === undefined) throw new UsageError(`unknown key type ${values.type}`);
    query[kSecAttrKeyClass] = kcls;
  }
  const flags: [boolean | undefined, string][] = [
    [values.decrypt, kSecAttrCanDecrypt],
    [values.encrypt, kSecAttrCanEncrypt],
    [values.derive, kSecAttrCanDerive],
    [values.sign, kSecAttrCanSign],
    [values.unwrap, kSecAttrCanUnwrap],
    [values.verify, kSecAttrCanVerify],
    [values.wrap, kSecAttrCanWrap],
  ];
  for (const [on, attr] of flags) if (on) query[attr] = true;
  const targets = keychainTargets(positionals, ctx);
  await unlockTargets(targets, ctx);
  const found: Listed[] = [];
  for (const target of targets) {
    found.push(...reportedAs('SecItemCopyMatching', () => withKeychain(target, (app) => listItems(app, target, 'keys', query, false)), EXIT_FAILURE));
  }
  if (found.length === 0) throw new SecFailure('SecItemCopyMatching', errSecItemNotFound, EXIT_FAILURE);
  for (const key of found) ctx.out(formatItemBlock(key.target.path, keyLayout(key.attributes[kSecAttrKeyClass]), key.attributes));
  return 0;
}
