/**
 * `parse_fourcharcode` of Apple's tool (creator and type options): exactly
 * four bytes, else Apple's message on stderr and exit 1.
 * @module
 */
import { CommandFailure, EXIT_FAILURE } from '../failures.js';

export function parseFourCharCode(text: string): number {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length !== 4) {
    const hint = bytes.length === 3 ? `(Try "${text} " instead of "${text}")\n` : '';
    throw new CommandFailure(`Error: four-character types must be exactly 4 characters long.\n${hint}`, EXIT_FAILURE);
  }
  return bytes.readUInt32BE(0);
}
