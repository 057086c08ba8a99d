/**
 * The command line's LocalAuthentication: an item or key whose access
 * control asks for user presence (Touch ID, the device passcode) asks the
 * person at the terminal instead, on /dev/tty, yes or no. Without a
 * terminal there is nobody to ask: no context is given, and such items
 * answer errSecInteractionNotAllowed (exit 36), as on a locked device.
 * @module
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { LAContext } from '../index.js';

/** Asks a yes/no question on the controlling terminal; anything but y/yes is no. */
function askOnTerminal(question: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync('/dev/tty', 'r+');
    writeSync(fd, question);
    const answer = Buffer.alloc(64);
    const n = readSync(fd, answer, 0, answer.length, null);
    return /^\s*y(es)?\s*$/i.test(answer.subarray(0, n).toString('utf8'));
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The context the CLI passes as kSecUseAuthenticationContext, or undefined without a terminal. */
export function terminalAuthenticationContext(stdinIsTTY: boolean): LAContext | undefined {
  if (!stdinIsTTY) return undefined;
  return new LAContext({ userPresence: (reason) => askOnTerminal(`secitem: allow access to ${reason}? [y/N] `) });
}
