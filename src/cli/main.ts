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

/** Apple's limits on an interactive line. */
const MAX_LINE = 4096;
const MAX_ARGS = 32;

/**
 * Splits an interactive line into words: blanks separate words, `'…'` and
 * `"…"` quote (quotes join with adjacent text), `\` takes the next character
 * literally (outside single quotes). Null for an unterminated quote.
 */
export function splitLine(line: string): string[] | null {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote !== null) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += ch;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '\\' && i + 1 < line.length) word += line[++i];
    else word += ch;
  }
  if (quote !== null) return null;
  if (inWord) words.push(word);
  return words;
}

/**
 * `-i` / `-p prompt`: reads command lines from stdin (the prompt on stderr
 * only when stdin is a terminal) until end of input, `quit` or `exit`. A
 * failing command prints `<command>: returned <n>` unless -q. Keychains
 * unlocked with unlock-keychain stay unlocked for the rest of the session.
 */
async function interactiveLoop(ctx: CommandContext, prompt: string): Promise<number> {
  for (;;) {
    if (ctx.interactiveInput) ctx.err(prompt);
    const line = await ctx.lines.readLine();
    if (line === null) return 0;
    if (line.length > MAX_LINE) {
      ctx.error('line too long');
      continue;
    }
    const words = splitLine(line);
    if (words === null) {
      ctx.error('unterminated quote');
      continue;
    }
    if (words.length === 0) continue;
    if (words.length > MAX_ARGS) {
      ctx.error('too many arguments');
      continue;
    }
    if (words[0] === 'quit' || words[0] === 'exit') return 0;
    let result: number;
    try {
      result = await executeCommand(words, ctx);
    } catch (error) {
      if (!(error instanceof SecError)) throw error;
      ctx.error(error.message);
      result = exitCodeFor(error.status);
    }
    if (result !== 0 && !ctx.quiet) ctx.err(`${words[0]}: returned ${result}\n`);
  }
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
    const interactive = values.interactive === true || values.prompt !== undefined;
    if (values.help) result = await help(positionals, ctx, '-h');
    else if (positionals.length > 0) {
      result = await executeCommand(positionals, ctx);
      if (interactive) result = await interactiveLoop(ctx, values.prompt ?? `${PROGRAM}> `);
    } else if (interactive) result = await interactiveLoop(ctx, values.prompt ?? `${PROGRAM}> `);
    else result = usage(ctx);
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
