/**
 * `credential-helper <get|store|erase>`: git's credential helper protocol
 * (src/bridges/credential-helper.ts), for `credential.helper '!secitem
 * credential-helper'`; `git-credential-secitem` is the same helper as its own
 * executable, which `credential.helper secitem` runs.
 * @module
 */
import { credentialHelper } from '../../bridges/credential-helper.js';
import type { CommandContext } from '../io.js';

export async function credentialHelperCommand(args: readonly string[], ctx: CommandContext): Promise<number> {
  const lines: string[] = [];
  for (let l = await ctx.lines.readLine(); l !== null && l !== ''; l = await ctx.lines.readLine()) lines.push(l);
  const r = await credentialHelper(args[0], Buffer.from(lines.map((l) => `${l}\n`).join('')));
  if (r.stdout.length > 0) ctx.out(r.stdout);
  if (r.stderr !== '') ctx.err(r.stderr);
  return r.exitCode;
}
