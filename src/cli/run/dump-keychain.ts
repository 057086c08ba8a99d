/**
 * `dump-keychain`: the attribute block of every item of every class
 * (generic and internet passwords, certificates, keys), with `-d` its data.
 * Synchronizable items are included. Items have no ACLs here: `-a` prints
 * `no access control for this item` for each; `-r` (raw encrypted data) and
 * `-i` (interactive ACL editing) are accepted and add nothing. Failures exit
 * 1, as Apple's dump-keychain does.
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
} from '../../index.js';
import { itemClasses } from '../../schema/classes.js';
import { formatItemBlock, layoutFor } from '../attributes.js';
import { dumpKeychainCommand } from '../commands/dump-keychain.js';
import { EXIT_FAILURE } from '../failures.js';
import type { CommandContext } from '../io.js';
import { keychainTargets, unlockTargets, withKeychain } from '../keychains.js';
import { getopt } from '../options.js';
import { printBuffer } from '../print.js';
import { resultItems } from './results.js';
import { SecFailure, reportedAs } from './sec-failures.js';

const SEARCH = 'SecKeychainSearchCopyNext';

export async function dumpKeychain(args: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = getopt(args, dumpKeychainCommand.options);
  const targets = keychainTargets(positionals, ctx);
  await unlockTargets(targets, ctx);
  for (const target of targets) {
    reportedAs(
      SEARCH,
      () =>
        withKeychain(target, (app) => {
          // Every stored class, in the schema's order.
          for (const cls of itemClasses.keys()) {
            const { status, result } = app.SecItemCopyMatching({
              [kSecClass]: cls,
              [kSecAttrSynchronizable]: kSecAttrSynchronizableAny,
              [kSecReturnAttributes]: true,
              ...(values.data ? { [kSecReturnData]: true } : {}),
              [kSecMatchLimit]: kSecMatchLimitAll,
            });
            if (status === errSecItemNotFound) continue;
            if (status !== 0) throw new SecFailure(SEARCH, status, EXIT_FAILURE);
            for (const item of resultItems(result)) {
              ctx.out(formatItemBlock(target.path, layoutFor(cls, item), item));
              if (values.data) {
                const data = item[kSecValueData];
                ctx.out(`data:\n${printBuffer(data instanceof Uint8Array ? data : new Uint8Array(0))}\n`);
              }
              if (values.acl || values.interactive) ctx.out('no access control for this item\n');
            }
          }
        }),
      EXIT_FAILURE,
    );
  }
  return 0;
}
