/**
 * The `secitem` command line: Apple's `security` tool on our keychain files.
 *
 * `main(argv, io)` is the whole program, minus the process: it takes the
 * arguments after the program name and the streams/environment, and resolves
 * to the exit status. bin.ts wires it to the real process; tests call it
 * in-process.
 *
 * Global behaviour (security.c): `secitem [-h] [-i] [-p prompt] [-q] [-v]
 * command [opt ...]`, and `-V` / `--version`; command names match by prefix, first in table order;
 * no command prints the usage on stdout and exits 2; an unknown command exits
 * 1; a command returning 2 gets its usage printed on stderr; keychain
 * failures exit with `OSStatus & 0xFF`.
 * @module
 */
import { usageOf } from './command.js';
import type { Command } from './command.js';
import { findCommand } from './commands.js';
import { EXIT_USAGE, exitStatusFor, exitStatusOf, isFailure, ToolFailure, UsageError } from './failures.js';
import { commandList, help } from './help.js';
import { CommandContext, PROGRAM } from './io.js';
import type { CliIo } from './io.js';
import { echoLine, getopt, optionLines } from './options.js';
import type { OptionTable, ParsedArgs } from './options.js';
import { versionLine } from './version.js';

export type { CliIo, CliReadable, CliWritable } from './io.js';

const globalOptions = {
  help: { letter: 'h' },
  interactive: { letter: 'i', help: 'Run in interactive mode.' },
  // -l ran /usr/bin/leaks on Apple's tool; accepted and ignored here.
  leaks: { letter: 'l' },
  prompt: { letter: 'p', value: 'prompt', help: 'Set the prompt to "prompt" (implies -i).' },
  quiet: { letter: 'q', help: 'Be less verbose.' },
  verbose: { letter: 'v', help: "Be more verbose about what's going on." },
  // -R (hidden recovery mode) has no meaning here; accepted and ignored.
  recovery: { letter: 'R' },
  // Apple's tool has no -V or --version; neither means anything else to it.
  version: { letter: 'V', long: 'version' },
} as const satisfies OptionTable;

/** The program usage: stdout, with the command list. */
function usage(ctx: CommandContext): number {
  ctx.out(
    `Usage: ${PROGRAM} [-h] [-i] [-p prompt] [-q] [-v] [command] [opt ...]\n` +
      optionLines(globalOptions, 4) +
      `${PROGRAM} commands are:\n` +
      commandList(),
  );
  return EXIT_USAGE;
}

/** The usage lines the dispatcher prints when a command exits 2. */
export function commandUsage(c: Command): string {
  return `Usage: ${c.name} ${usageOf(c)}\n        ${c.help}\n`;
}

/**
 * `execute_command`: one command line, already split into words. Failures
 * become the exit status here; anything else is a bug, left to main.
 */
export async function executeCommand(words: readonly string[], ctx: CommandContext): Promise<number> {
  if (words.length === 0) return 0;
  const [typed, ...args] = words;
  const c = findCommand(typed);
  let result: number;
  try {
    if (c === undefined) throw new ToolFailure(`unknown command "${typed}"`);
    if (c.load === undefined) throw new ToolFailure(`${c.name}: this command is not implemented yet`);
    if (ctx.verbose) ctx.err(`${echoLine(c.name, args, c.options, c.echoWord)}\n`);
    const handler = await c.load();
    result = await handler(args, ctx);
  } catch (error) {
    if (!isFailure(error)) throw error;
    result = exitStatusOf(error, (text) => ctx.err(text));
  }
  if (result === EXIT_USAGE && c !== undefined) ctx.err(commandUsage(c));
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
    const result = await executeCommand(words, ctx);
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
    if (values.version) {
      ctx.out(versionLine());
      return 0;
    }
    if (values.help) result = help(positionals, ctx, '-h');
    else if (positionals.length > 0) {
      result = await executeCommand(positionals, ctx);
      if (interactive) result = await interactiveLoop(ctx, values.prompt ?? `${PROGRAM}> `);
    } else if (interactive) result = await interactiveLoop(ctx, values.prompt ?? `${PROGRAM}> `);
    else result = usage(ctx);
  } catch (error) {
    return exitStatusOf(error, (text) => ctx.err(text));
  }
  return exitStatusFor(result);
}
