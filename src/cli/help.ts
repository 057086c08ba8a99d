/**
 * `help [command ...]`: the command list, or each named command's usage.
 * @module
 */
import type { Command } from './command.js';
import type { CommandContext } from './io.js';

/** `    %-36s %s` per implemented command, in table order. */
export function commandList(table: readonly Command[]): string {
  return table
    .filter((c) => c.run !== undefined)
    .map((c) => `    ${c.name.padEnd(36)} ${c.help}\n`)
    .join('');
}

/**
 * Prints the list (no names) or `Usage: <name> <usage>` per name on stdout.
 * An unknown name prints `secitem: <invokedAs>: no such command: <x>` and
 * returns 1, as Apple's help does.
 */
export async function help(names: readonly string[], ctx: CommandContext, invokedAs = 'help'): Promise<number> {
  // The table imports this module; load it lazily to keep the cycle harmless.
  const { commands, findCommand } = await import('./commands.js');
  if (names.length === 0) {
    ctx.out(commandList(commands));
    return 0;
  }
  for (const name of names) {
    const c = findCommand(name);
    if (c === undefined || c.run === undefined) {
      ctx.error(`${invokedAs}: no such command: ${name}`);
      return 1;
    }
    ctx.out(`Usage: ${c.name} ${c.usage}\n`);
  }
  return 0;
}

export const helpCommand: Command = {
  name: 'help',
  usage: '[command ...]',
  help: 'Show all commands, or show usage for a command.',
  run: (args, ctx) => help(args, ctx),
};
