/**
 * The shape of one entry of the command table (after security.c's
 * `command` struct: name, usage, help, function).
 * @module
 */
import type { OptionDefs } from './getopt.js';
import type { CommandContext } from './io.js';

/**
 * A command handler: gets the words after the command name and returns the
 * exit status. Returning 2 (or throwing UsageError) makes the dispatcher print
 * the command's usage on stderr.
 */
export type CommandHandler = (args: readonly string[], ctx: CommandContext) => number | Promise<number>;

export interface Command {
  /** The full name; users may type any prefix of it. */
  readonly name: string;
  /** Usage after the name, as `Usage: <name> <usage>` prints it (may span lines). */
  readonly usage: string;
  /** One line for `help`. */
  readonly help: string;
  /** Its options, for `-v` echo (secret values hidden). */
  readonly options?: OptionDefs;
  /** Undefined for a command that is in the table but not built yet. */
  readonly run?: CommandHandler;
}
