/**
 * `keychain verify` and `keychain repair`: open the keychain as every
 * command does (unlocking it for the command when it can).
 * Not while secitemd owns the keychain (stop it first).
 * - verify asks it for its report (Keychain.verify) and prints the ledger's
 *   state, the item counts and each item that is damaged or locked, by class
 *   and persistent reference (base64, as `item` prints and takes them).
 *   Nothing is changed.
 * - repair rebuilds the ledger (Keychain.repair) and prints what it did.
 * @module
 */
import { errSecDecode } from '../../index.js';
import { keychainCommand } from '../commands/keychain.js';
import { ToolFailure, UsageError } from '../failures.js';
import type { CommandContext } from '../io.js';
import { daemonOf, targetOf, unlockTargets, withKeychainFile } from '../keychains.js';
import { getopt } from '../options.js';
import { reportedAs } from './sec-failures.js';

export async function keychain(args: readonly string[], ctx: CommandContext): Promise<number> {
  // The action first, then getopt's options and the keychain (`repair --delete-damaged x.keychain`).
  const [action, ...after] = args;
  const { values, positionals } = getopt(after, keychainCommand.options);
  const [name, ...rest] = positionals;
  if ((action !== 'verify' && action !== 'repair') || rest.length > 0 || (action === 'verify' && values.deleteDamaged)) {
    throw new UsageError(action === undefined ? 'keychain: verify or repair' : `keychain: unknown action or option for "${action}"`);
  }
  const target = targetOf(name, ctx);
  // The file itself is checked here: not while secitemd owns it (its memory is the keychain's state).
  if (daemonOf(target) !== undefined) throw new ToolFailure(`keychain ${action}: secitemd owns "${target.path}": stop it (secitem daemon stop) to ${action} the file`);
  await unlockTargets([target], ctx);
  if (action === 'repair') {
    const done = reportedAs('SecKeychainRepair', () => withKeychainFile(target, (kc) => kc.repair({ deleteDamaged: values.deleteDamaged === true })));
    ctx.out(`keychain: "${target.path}"\nvouched for: ${done.vouched}\ndamaged: ${done.damaged}${done.deleted > 0 ? ` (deleted: ${done.deleted})` : ' (kept)'}\n`);
    return 0;
  }
  const report = reportedAs('SecKeychainVerify', () => withKeychainFile(target, (kc) => kc.verify()));
  const { ok, damaged, locked } = report.counts;
  let out = `keychain: "${target.path}"\nledger: ${report.ledger}\nitems: ${ok} ok, ${damaged} damaged, ${locked} locked\n`;
  for (const p of report.problems) out += `${p.state}: ${p.className} ${Buffer.from(p.persistentRef).toString('base64')}\n`;
  ctx.out(out);
  return report.ledger === 'trusted' && damaged === 0 ? 0 : errSecDecode & 0xff;
}
