/**
 * `error [error-code...]`: Apple's message for each OSStatus, as
 * `Error: 0x%08X %d <message>` on stdout.
 * Codes are read as strtol(3) with base 0 reads them: decimal, 0x hex or
 * 0 octal, with a sign; a word that is not a number is 0.
 * @module
 */
import { SecCopyErrorMessageString } from '../../index.js';
import { EXIT_FAILURE } from '../failures.js';
import type { CommandContext } from '../io.js';

/** strtol(text, NULL, 0) cast to a 32-bit OSStatus. */
export function parseStatus(text: string): number {
  const m = /^\s*([+-]?)(0[xX](?=[0-9a-fA-F])|0(?=[0-7]))?([0-9a-fA-F]*)/.exec(text);
  if (m === null) return 0;
  const negative = m[1] === '-';
  const base = m[2] === undefined ? 10 : m[2].length === 2 ? 16 : 8;
  const digitRe = base === 16 ? /^[0-9a-fA-F]+/ : base === 8 ? /^[0-7]+/ : /^[0-9]+/;
  const digits = digitRe.exec(m[3])?.[0] ?? '';
  if (digits === '') return 0;
  let value = 0n;
  for (const d of digits) value = value * BigInt(base) + BigInt(Number.parseInt(d, base));
  if (negative) value = -value;
  // strtol clamps to a 64-bit long; the cast to OSStatus keeps the low 32 bits.
  const max = (1n << 63n) - 1n;
  if (value > max) value = max;
  if (value < -max - 1n) value = -max - 1n;
  return Number(BigInt.asIntN(32, value));
}

export function errorLine(status: number): string {
  const hex = (status >>> 0).toString(16).toUpperCase().padStart(8, '0');
  return `Error: 0x${hex} ${status} ${SecCopyErrorMessageString(status)}\n`;
}

/** Prints each code's line; exits 1 whatever the codes, as Apple's does. */
export function errorCommand(args: readonly string[], ctx: CommandContext): number {
  for (const word of args) ctx.out(errorLine(parseStatus(word)));
  return EXIT_FAILURE;
}
