/**
 * `keychain verify`: opens the keychain as every command does (unlocking it
 * for the command when it can), asks it for its report (Keychain.verify),
 * and prints the ledger's state, the item counts and each item that is
 * damaged or locked, by class and persistent reference (base64, as `item`
 * prints and takes them). Nothing is changed.
 * @module
 */
import { errSecDecode } from '../../index.js';
import { keychainCommand } from '../commands/keychain.js';
import { UsageError } from '../failures.js';
import type { CommandContext } from '../io.js';
import { targetOf, unlockTargets, withKeychain } from '../keychains.js';
import { getopt } from '../options.js';
import { reportedAs } from './sec-failures.js';

export async function keychain(args: readonly string[], ctx: CommandContext): Promise<number> {
  const { positionals } = getopt(args, keychainCommand.options);
  const [action, name, ...rest] = positionals;
  if (action !== 'verify' || rest.length > 0) throw new UsageError(action === undefined ? 'keychain: an action is needed' : `keychain: unknown action "${action}"`);
  const target = targetOf(name, ctx);
  await unlockTargets([target], ctx);
  const report = reportedAs('SecKeychainVerify', () => withKeychain(target, (_app, kc) => kc.verify()));
  const { ok, damaged, locked } = report.counts;
  let out = `keychain: "${target.path}"\nledger: ${report.ledger}\nitems: ${ok} ok, ${damaged} damaged, ${locked} locked\n`;
  for (const p of report.problems) out += `${p.state}: ${p.className} ${Buffer.from(p.persistentRef).toString('base64')}\n`;
  ctx.out(out);
  return report.ledger === 'trusted' && damaged === 0 ? 0 : errSecDecode & 0xff;
}
