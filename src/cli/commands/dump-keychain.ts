/**
 * `dump-keychain [-adhir] [keychain...]`: the attribute block of every item
 * of every class (generic and internet passwords, certificates, keys), with
 * `-d` its data. Synchronizable items are included. Items have no ACLs here:
 * `-a` prints `no access control for this item` for each; `-r` (raw
 * encrypted data) and `-i` (interactive ACL editing) are accepted and add
 * nothing. Failures exit 1, as Apple's dump-keychain does.
 * @module
 */
import {
  errSecItemNotFound,
  kSecAttrSynchronizable,
  kSecAttrSynchronizableAny,
  kSecClass,
  kSecMatchLimit,
  kSecMatchLimitAll,
  kSecReturnAttributes,
  kSecReturnData,
  kSecValueData,
  SecError,
} from '../../index.js';
import { formatItemBlock, layoutFor } from '../attributes.js';
import type { Command } from '../command.js';
import { getopt } from '../getopt.js';
import type { OptionDefs } from '../getopt.js';
import { EXIT_USAGE } from '../io.js';
import type { CommandContext } from '../io.js';
import { keychainTargets, unlockTargets, withKeychain } from '../keychains.js';
import { printBuffer } from '../print.js';

/** The stored classes, in the order they are dumped. */
export const ITEM_CLASSES = ['genp', 'inet', 'cert', 'keys'] as const;

const options = {
  help: { short: 'h', type: 'boolean' },
  acl: { short: 'a', type: 'boolean' },
  data: { short: 'd', type: 'boolean' },
  interactive: { short: 'i', type: 'boolean' },
  raw: { short: 'r', type: 'boolean' },
} as const satisfies OptionDefs;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

async function dumpKeychainRun(args: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = getopt(args, options);
  if (values.help) return EXIT_USAGE;
  const targets = keychainTargets(positionals, ctx);
  await unlockTargets(targets, ctx);
  for (const target of targets) {
    try {
      withKeychain(target, (app) => {
        for (const cls of ITEM_CLASSES) {
          const { status, result } = app.SecItemCopyMatching({
            [kSecClass]: cls,
            [kSecAttrSynchronizable]: kSecAttrSynchronizableAny,
            [kSecReturnAttributes]: true,
            ...(values.data ? { [kSecReturnData]: true } : {}),
            [kSecMatchLimit]: kSecMatchLimitAll,
          });
          if (status === errSecItemNotFound) continue;
          if (status !== 0) throw new SecError(status);
          for (const item of Array.isArray(result) ? result : []) {
            if (!isRecord(item)) continue;
            ctx.out(formatItemBlock(target.path, layoutFor(cls, item), item));
            if (values.data) {
              const data = item[kSecValueData];
              ctx.out(`data:\n${printBuffer(data instanceof Uint8Array ? data : new Uint8Array(0))}\n`);
            }
            if (values.acl || values.interactive) ctx.out('no access control for this item\n');
          }
        }
      });
    } catch (error) {
      if (error instanceof SecError) {
        ctx.perror('SecKeychainSearchCopyNext', error.status);
        return 1;
      }
      throw error;
    }
  }
  return 0;
}

export const dumpKeychain: Command = {
  name: 'dump-keychain',
  usage: '[-adhir] [keychain...]\n' +
    '    -a  Dump access control list of items (none here: no access control for this item)\n' +
    '    -d  Dump (decrypted) data of items\n' +
    '    -i  Interactive access control list editing (accepted; items have no ACLs here)\n' +
    '    -r  Dump the raw (encrypted) data of items (accepted; never printed)',
  help: 'Dump the contents of one or more keychains.',
  options,
  run: dumpKeychainRun,
};
