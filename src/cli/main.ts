/**
 * The `secitem` command line: Apple's `security` tool on our keychain files.
 *
 * `main(argv, io)` is the whole program, minus the process: it takes the
 * arguments after the program name and the streams/environment, and resolves
 * to the exit status. bin.ts wires it to the real process; tests call it
 * in-process.
 *
 * Global behaviour (security.c): `secitem [-h] [-i] [-p prompt] [-q] [-v]
 * command [opt ...]`; command names match by prefix, first in table order;
 * no command prints the usage on stdout and exits 2; an unknown command exits
 * 1; a command returning 2 gets its usage printed on stderr; keychain
 * failures exit with `OSStatus & 0xFF`.
 * @module
 */
import { SecError } from '../index.js';
import type { Command } from './command.js';
import { commands, findCommand } from './commands.js';
import { echoLine, getopt } from './getopt.js';
import type { OptionDefs, ParsedArgs } from './getopt.js';
import { commandList, help } from './help.js';
import { CommandContext, EXIT_USAGE, exitCodeFor, PROGRAM, UsageError } from './io.js';
import type { CliIo } from './io.js';

export type { CliIo, CliReadable, CliWritable } from './io.js';

const globalOptions = {
  help: { short: 'h', type: 'boolean' },
  interactive: { short: 'i', type: 'boolean' },
  // -l ran /usr/bin/leaks on Apple's tool; accepted and ignored here.
  leaks: { short: 'l', type: 'boolean' },
  prompt: { short: 'p', type: 'string' },
  quiet: { short: 'q', type: 'boolean' },
  verbose: { short: 'v', type: 'boolean' },
  // -R (hidden recovery mode) has no meaning here; accepted and ignored.
  recovery: { short: 'R', type: 'boolean' },
} as const satisfies OptionDefs;

/** The program usage: stdout, with the command list. */
function usage(ctx: CommandContext): number {
  ctx.out(
    `Usage: ${PROGRAM} [-h] [-i] [-p prompt] [-q] [-v] [command] [opt ...]\n` +
      '    -i    Run in interactive mode.\n' +
      '    -p    Set the prompt to "prompt" (implies -i).\n' +
      '    -q    Be less verbose.\n' +
      '    -v    Be more verbose about what\'s going on.\n' +
      `${PROGRAM} commands are:\n` +
      commandList(commands),
  );
  return EXIT_USAGE;
}

/** The usage lines the dispatcher prints when a command returns 2. */
export function commandUsage(c: Command): string {
  return `Usage: ${c.name} ${c.usage}\n        ${c.help}\n`;
}

/** `execute_command`: one command line, already split into words. */
export async function executeCommand(words: readonly string[], ctx: CommandContext): Promise<number> {
  if (words.length === 0) return 0;
  const [typed, ...args] = words;
  const c = findCommand(typed);
  if (c === undefined) {
    ctx.error(`unknown command "${typed}"`);
    return 1;
  }
  if (c.run === undefined) {
    ctx.error(`${c.name}: this command is not implemented yet`);
    return 1;
  }
  if (ctx.verbose) ctx.err(`${echoLine(c.name, args, c.options)}\n`);
  let result: number;
  try {
    result = await c.run(args, ctx);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    result = EXIT_USAGE;
  }
  if (result === EXIT_USAGE) ctx.err(commandUsage(c));
  return result;
}

/**
 * Runs `secitem` with `argv` (the words after the program name).
 * @returns the exit status, 0–255
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let ctx = new CommandContext(io);
  let result: number;
  try {
    let parsed: ParsedArgs<typeof globalOptions>;
    try {
      parsed = getopt(argv, globalOptions);
    } catch (error) {
      if (error instanceof UsageError) return usage(ctx);
      throw error;
    }
    const { values, positionals } = parsed;
    ctx = new CommandContext(io, { quiet: values.quiet, verbose: values.verbose });
    if (values.help) result = await help(positionals, ctx, '-h');
    else if (positionals.length > 0) result = await executeCommand(positionals, ctx);
    else if (values.interactive || values.prompt !== undefined) {
      ctx.error('interactive mode is not implemented yet');
      result = 1;
    } else result = usage(ctx);
  } catch (error) {
    if (error instanceof SecError) {
      ctx.error(error.message);
      return exitCodeFor(error.status);
    }
    // Never print arguments here: they may hold a password.
    const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    ctx.error(`internal error: ${what}`);
    return 1;
  }
  return exitCodeFor(result);
}
