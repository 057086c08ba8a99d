/**
 * `help [command ...]`: the command list, or each named command's usage.
 * @module
 */
import { usageOf } from './command.js';
import { commands, findCommand } from './commands.js';
import { ToolFailure } from './failures.js';
import type { CommandContext } from './io.js';

/** `    %-36s %s` per implemented command, in table order. */
export function commandList(): string {
  return commands
    .filter((c) => c.load !== undefined)
    .map((c) => `    ${c.name.padEnd(36)} ${c.help}\n`)
    .join('');
}

/**
 * Prints the list (no names) or `Usage: <name> <usage>` per name on stdout.
 * An unknown name fails with `secitem: <invokedAs>: no such command: <x>`
 * (exit 1), as Apple's help does.
 */
export function help(names: readonly string[], ctx: CommandContext, invokedAs = 'help'): number {
  if (names.length === 0) {
    ctx.out(commandList());
    return 0;
  }
  for (const name of names) {
    const c = findCommand(name);
    if (c === undefined || c.load === undefined) throw new ToolFailure(`${invokedAs}: no such command: ${name}`);
    ctx.out(`Usage: ${c.name} ${usageOf(c)}\n`);
  }
  return 0;
}

/** The `help` command's handler. */
export function helpCommand(args: readonly string[], ctx: CommandContext): number {
  return help(args, ctx);
}
