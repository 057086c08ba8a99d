/**
 * The shape of one entry of the command table (after security.c's
 * `command` struct: name, usage, help, function) and the usage text derived
 * from it. The function is loaded on first use, so that `help`, `error` and
 * `--version` never load the keychain engine.
 * @module
 */
import type { CommandContext } from './io.js';
import { optionLines } from './options.js';
import type { OptionTable } from './options.js';

/**
 * A command handler: gets the words after the command name and returns the
 * exit status. It fails by throwing (failures.ts); a UsageError makes the
 * dispatcher print the command's usage.
 */
export type CommandHandler = (args: readonly string[], ctx: CommandContext) => number | Promise<number>;

export interface Command<O extends OptionTable = OptionTable> {
  /** The full name; users may type any prefix of it. */
  readonly name: string;
  /** The usage line after the name (`[-h] [-a account] … [keychain]`). */
  readonly synopsis: string;
  /** Its options: parsed by getopt, listed in the usage, hidden by `-v` when secret. */
  readonly options: O;
  /** Lines of the usage after the option lines. */
  readonly notes?: string;
  /** One line for `help`. */
  readonly help: string;
  /** Loads the handler; undefined for a command that is in the table but not built yet. */
  readonly load?: () => Promise<CommandHandler>;
  /** How `-v` shows each word of its command line, for secrets that are not option values (`item`'s `v_Data=…`). */
  readonly echoWord?: (word: string) => string;
}

/** The usage after the name, as `Usage: <name> <usage>` prints it (may span lines). */
export function usageOf(c: Command): string {
  const body = `${c.synopsis}\n${optionLines(c.options)}${c.notes ?? ''}`;
  return body.endsWith('\n') ? body.slice(0, -1) : body;
}

/** The handler named `name` of a module, loaded by `load`. */
export function handlerOf<M>(load: () => Promise<M>, name: { [K in keyof M]: M[K] extends CommandHandler ? K : never }[keyof M]) {
  return async (): Promise<CommandHandler> => (await load())[name] as CommandHandler;
}

/**
 * A command of the table, declared in one call: name, usage synopsis, help
 * line, handler, options (in usage order) and the usage's closing lines.
 */
export function command<const O extends OptionTable>(
  name: string,
  synopsis: string,
  help: string,
  load: () => Promise<CommandHandler>,
  options: O,
  notes?: string,
  echoWord?: (word: string) => string,
): Command<O> {
  return { name, synopsis, options, notes, help, load, echoWord };
}

/** A table slot for a command that is not implemented yet. */
export function planned(name: string): Command {
  return { name, synopsis: '', options: {}, help: '' };
}
