/**
 * Option parsing for subcommands with the semantics of the BSD getopt(3)
 * Apple's tool uses, on top of node:util parseArgs:
 *
 * - only single-letter options, bundled (`-gU`) or not, values attached
 *   (`-wsecret`) or in the next word (`-w secret`), even when that word
 *   starts with `-` (`-w -secret` is the password "-secret");
 * - options end at the first word that is not one (or after `--`): every
 *   later word is a positional, as in `find-generic-password -s x kc -g`
 *   where `-g` names a keychain;
 * - an unknown option or a missing value is a usage error (exit 2).
 *
 * The pre-scan below only finds where options end and rejoins values that
 * start with `-` to their option (parseArgs would call those ambiguous);
 * parseArgs does the parsing and validation itself.
 * @module
 */
import { parseArgs } from 'node:util';
import { UsageError } from './io.js';

/** One single-letter option. */
export interface OptionDef {
  /** The letter, e.g. 'a' for `-a`. */
  readonly short: string;
  /** 'string' takes a value; 'boolean' is a flag. */
  readonly type: 'string' | 'boolean';
  /** Collect every occurrence (e.g. repeated `-T app`); otherwise the last wins. */
  readonly multiple?: boolean;
  /** The value is secret (a password): never echoed by `-v`. */
  readonly secret?: boolean;
}

/** A command's options, by descriptive name. */
export type OptionDefs = Readonly<Record<string, OptionDef>>;

/** The parsed value of one option. */
export type OptionValue<D extends OptionDef> = D['type'] extends 'string'
  ? D['multiple'] extends true
    ? string[]
    : string
  : boolean;

/** Parsed options: present ones only. */
export type OptionValues<D extends OptionDefs> = { -readonly [K in keyof D]?: OptionValue<D[K]> };

export interface ParsedArgs<D extends OptionDefs> {
  values: OptionValues<D>;
  positionals: string[];
}

/** A word of the command line, as the scan classified it. */
export interface ScannedWord {
  readonly word: string;
  /** The option letter whose value this word is, if it is one. */
  readonly optionLetter?: string;
}

interface Scan {
  /** The option words, values starting with '-' rejoined to their option. */
  readonly options: string[];
  readonly positionals: string[];
  /** Every word, classified (for `-v` echo with secrets hidden). */
  readonly words: ScannedWord[];
}

function byLetter(defs: OptionDefs): Map<string, OptionDef> {
  const map = new Map<string, OptionDef>();
  for (const def of Object.values(defs)) map.set(def.short, def);
  return map;
}

/**
 * Splits options from positionals. Strict (parsing) mode throws UsageError on
 * anything getopt would refuse; tolerant (echo) mode classifies what it can.
 */
function scan(args: readonly string[], defs: OptionDefs, tolerant = false): Scan {
  const letters = byLetter(defs);
  const options: string[] = [];
  const words: ScannedWord[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const word = args[i];
    if (word === '--') {
      words.push({ word });
      i++;
      break;
    }
    if (!word.startsWith('-') || word.length === 1) break;
    if (word.startsWith('--')) {
      if (!tolerant) throw new UsageError(`unknown option ${word}`);
      words.push({ word });
      continue;
    }
    words.push({ word });
    let rejoined = word;
    for (let j = 1; j < word.length; j++) {
      const letter = word[j];
      const def = letters.get(letter);
      if (def === undefined) {
        if (!tolerant) throw new UsageError(`unknown option -${letter}`);
        continue;
      }
      if (def.type !== 'string') continue;
      if (j === word.length - 1) {
        const value = args[i + 1];
        if (value === undefined) {
          if (!tolerant) throw new UsageError(`option -${letter} requires an argument`);
          break;
        }
        i++;
        words.push({ word: value, optionLetter: letter });
        // parseArgs refuses "-w -x" as ambiguous; "-w-x" is the same to getopt.
        if (value.startsWith('-')) rejoined = word + value;
        else {
          options.push(word);
          rejoined = value;
        }
      }
      break;
    }
    options.push(rejoined);
  }
  const positionals = args.slice(i);
  for (const word of positionals) words.push({ word });
  return { options, positionals, words };
}

/**
 * Parses a subcommand's arguments (the words after its name).
 * @throws UsageError for an unknown option, a long option, or a missing value.
 */
export function getopt<D extends OptionDefs>(args: readonly string[], defs: D): ParsedArgs<D> {
  const { options, positionals } = scan(args, defs);
  const config: Record<string, { type: 'string' | 'boolean'; short: string; multiple?: boolean }> = {};
  for (const [name, def] of Object.entries(defs)) {
    config[name] = { type: def.type, short: def.short, ...(def.multiple ? { multiple: true } : {}) };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: options, options: config, strict: true, allowPositionals: true });
  } catch (error) {
    if (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS_')) {
      throw new UsageError(error.message);
    }
    throw error;
  }
  if (parsed.positionals.length > 0) throw new UsageError('unexpected argument among options');
  const values: Record<string, string | boolean | string[]> = {};
  for (const name of Object.keys(defs)) {
    const value: unknown = parsed.values[name];
    if (typeof value === 'string' || typeof value === 'boolean') values[name] = value;
    else if (Array.isArray(value)) values[name] = value.map(String);
  }
  return { values: values as OptionValues<D>, positionals };
}

/**
 * The command line as `-v` echoes it, `name "arg1" "arg2"…`, with the values
 * of secret options (passwords) replaced by `********`, even on a command
 * line that does not parse.
 */
export function echoLine(name: string, args: readonly string[], defs: OptionDefs | undefined): string {
  const words: ScannedWord[] = defs === undefined ? args.map((word) => ({ word })) : scan(args, defs, true).words;
  const secretLetters = new Set(
    defs === undefined ? [] : Object.values(defs).filter((d) => d.secret).map((d) => d.short),
  );
  const shown = words.map(({ word, optionLetter }) => {
    if (optionLetter !== undefined && secretLetters.has(optionLetter)) return '********';
    // An attached secret value: "-wsecret" → "-w********".
    if (word.startsWith('-') && !word.startsWith('--') && optionLetter === undefined) {
      for (let j = 1; j < word.length; j++) {
        if (secretLetters.has(word[j]) && j < word.length - 1) return `${word.slice(0, j + 1)}********`;
        if (defs !== undefined && Object.values(defs).some((d) => d.short === word[j] && d.type === 'string')) break;
      }
    }
    return word;
  });
  return `${name}${shown.map((w) => ` "${w}"`).join('')}`;
}
