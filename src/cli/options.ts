/**
 * A command's options, declared once as a table, and everything derived from
 * that table: the parser, the option lines of the usage text, and the `-v`
 * echo with passwords hidden.
 *
 * Parsing follows the BSD getopt(3) Apple's tool uses:
 *
 * - single-letter options, bundled (`-gU`) or not, values attached
 *   (`-wsecret`) or in the next word (`-w secret`), even when that word
 *   starts with `-` (`-w -secret` is the password "-secret");
 * - a declared long option (`--access-group GROUP`, `--access-group=GROUP`)
 *   wherever a short option may stand;
 * - options end at the first word that is not one (or after `--`): every
 *   later word is a positional, as in `find-generic-password -s x kc -g`
 *   where `-g` names a keychain;
 * - an unknown option or a missing value is a usage error (exit 2). `-h` is
 *   declared by no command: like any option a command does not know, it asks
 *   for the usage, which is what Apple's `-h` does.
 * @module
 */
import { UsageError } from './failures.js';

/** One option of a command. */
export interface OptionSpec {
  /** The letter after `-`; absent for an option that has a long name only. */
  readonly letter?: string;
  /** The name after `--`, if the option has one. */
  readonly long?: string;
  /** Present when the option takes a value: what the value is called (`--access-group GROUP`). */
  readonly value?: string;
  /** Collect every occurrence (repeated `-T app`); otherwise the last wins. */
  readonly multiple?: boolean;
  /** The value is a password or other secret: `-v` shows it as `********`. */
  readonly secret?: boolean;
  /** Its lines in the usage text (a second line continues it); absent: not listed. */
  readonly help?: string;
}

/** A command's options, keyed by the name their values are returned under, in usage order. */
export type OptionTable = Readonly<Record<string, OptionSpec>>;

/** The parsed value of one option. */
export type OptionValue<S extends OptionSpec> = S extends { readonly value: string }
  ? S extends { readonly multiple: true }
    ? string[]
    : string
  : boolean;

/** Parsed options: present ones only. */
export type OptionValues<T extends OptionTable> = { -readonly [K in keyof T]?: OptionValue<T[K]> };

export interface ParsedArgs<T extends OptionTable> {
  values: OptionValues<T>;
  positionals: string[];
}

const HIDDEN = '********';

/** How a scan treats a word getopt would refuse. */
type Refusal = (reason: string) => void;

interface Scan {
  readonly values: Record<string, string | boolean | string[]>;
  readonly positionals: string[];
  /** Every word as `-v` shows it. */
  readonly shown: string[];
}

/**
 * Splits options from positionals. `refuse` is called for anything getopt
 * would refuse: parsing throws there; the echo goes on with what it can
 * classify (an unknown letter is skipped, a missing value ends the options).
 */
function scan(args: readonly string[], table: OptionTable, refuse: Refusal): Scan {
  const entries = Object.entries(table);
  const byLetter = new Map(entries.filter(([, s]) => s.letter !== undefined).map(([n, s]) => [s.letter!, [n, s] as const]));
  const byLong = new Map(entries.filter(([, s]) => s.long !== undefined).map(([n, s]) => [s.long!, [n, s] as const]));
  const values: Record<string, string | boolean | string[]> = {};
  const shown: string[] = [];
  const set = (name: string, spec: OptionSpec, value: string | true): void => {
    if (value === true) values[name] = true;
    else if (spec.multiple) values[name] = [...((values[name] as string[] | undefined) ?? []), value];
    else values[name] = value;
  };
  const hide = (spec: OptionSpec, value: string): string => (spec.secret ? HIDDEN : value);
  let i = 0;
  words: for (; i < args.length; i++) {
    const word = args[i];
    if (word === '--') {
      shown.push(word);
      i++;
      break;
    }
    if (!word.startsWith('-') || word.length === 1) break;
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const long = word.slice(2, eq < 0 ? undefined : eq);
      const found = byLong.get(long);
      if (found === undefined) {
        refuse(`unknown option ${word}`);
        shown.push(word);
        continue;
      }
      const [name, spec] = found;
      if (spec.value === undefined) {
        if (eq >= 0) refuse(`option --${long} takes no value`);
        else set(name, spec, true);
        shown.push(word);
      } else if (eq >= 0) {
        set(name, spec, word.slice(eq + 1));
        shown.push(`${word.slice(0, eq + 1)}${hide(spec, word.slice(eq + 1))}`);
      } else {
        shown.push(word);
        if (i + 1 >= args.length) {
          refuse(`option --${long} requires an argument`);
          i++;
          break;
        }
        const value = args[++i];
        set(name, spec, value);
        shown.push(hide(spec, value));
      }
      continue;
    }
    for (let j = 1; j < word.length; j++) {
      const found = byLetter.get(word[j]);
      if (found === undefined) {
        refuse(`unknown option -${word[j]}`);
        continue;
      }
      const [name, spec] = found;
      if (spec.value === undefined) {
        set(name, spec, true);
        continue;
      }
      if (j < word.length - 1) {
        set(name, spec, word.slice(j + 1));
        shown.push(`${word.slice(0, j + 1)}${hide(spec, word.slice(j + 1))}`);
        continue words;
      }
      shown.push(word);
      if (i + 1 >= args.length) {
        refuse(`option -${word[j]} requires an argument`);
        i++;
        break words;
      }
      const value = args[++i];
      set(name, spec, value);
      shown.push(hide(spec, value));
      continue words;
    }
    shown.push(word);
  }
  const positionals = args.slice(i);
  shown.push(...hiddenInOperands(positionals, byLetter, byLong));
  return { values, positionals, shown };
}

/**
 * The operands as `-v` shows them. A command may read options after an
 * operand (`import inputfile … -P passphrase`, as Apple's tool does), so a
 * word there that looks like a secret option has its value hidden too: the
 * rest of the word, or the next word. (An operand that only looks like one
 * is hidden as well; the echo errs on the side of hiding.)
 */
function hiddenInOperands(
  operands: readonly string[],
  byLetter: ReadonlyMap<string, readonly [string, OptionSpec]>,
  byLong: ReadonlyMap<string, readonly [string, OptionSpec]>,
): string[] {
  const shown: string[] = [];
  for (let k = 0; k < operands.length; k++) {
    const word = operands[k];
    const long = /^--([^=]+)(=?)/.exec(word);
    const spec = long !== null ? byLong.get(long[1])?.[1] : word.length > 1 && word[0] === '-' ? byLetter.get(word[1])?.[1] : undefined;
    if (spec?.secret !== true) {
      shown.push(word);
      continue;
    }
    const attached = long !== null ? (long[2] === '=' ? long[0].length : -1) : word.length > 2 ? 2 : -1;
    if (attached >= 0) shown.push(`${word.slice(0, attached)}${HIDDEN}`);
    else {
      shown.push(word);
      if (k + 1 < operands.length) shown.push(HIDDEN), k++;
    }
  }
  return shown;
}

/**
 * Parses a command's arguments (the words after its name).
 * @throws UsageError for an unknown option or a missing value.
 */
export function getopt<T extends OptionTable>(args: readonly string[], table: T): ParsedArgs<T> {
  const { values, positionals } = scan(args, table, (reason) => {
    throw new UsageError(reason);
  });
  return { values: values as OptionValues<T>, positionals };
}

/**
 * The command line as `-v` echoes it, `name "arg1" "arg2"…`, with the values
 * of secret options replaced by `********`, even on a command line that does
 * not parse.
 */
export function echoLine(name: string, args: readonly string[], table: OptionTable = {}, echoWord: (word: string) => string = (w) => w): string {
  const { shown } = scan(args, table, () => undefined);
  return `${name}${shown.map((w) => ` "${echoWord(w)}"`).join('')}`;
}

/**
 * The usage lines of the options that have help: `    -x  text`, or
 * `    --name VALUE  text` for an option with a long name only; a help's
 * second line is indented under the first. `width` pads the flag column.
 */
export function optionLines(table: OptionTable, width = 0): string {
  let out = '';
  for (const spec of Object.values(table)) {
    if (spec.help === undefined) continue;
    const flag = spec.letter !== undefined ? `-${spec.letter}` : `--${spec.long} ${spec.value ?? ''}`.trimEnd();
    const [first, ...more] = spec.help.split('\n');
    out += `    ${flag.padEnd(width)}  ${first}\n`;
    for (const line of more) out += `        ${line}\n`;
  }
  return out;
}
