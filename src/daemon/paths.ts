/**
 * Where secitemd's socket is by default, for the daemon and its clients.
 * node:os is loaded only when HOME is not set: the CLI's dispatcher imports
 * this module, and node:os is a module node does not load at start (a few
 * ms of every command, `--version` included, for a value it rarely needs).
 * @module
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** os.homedir(): $HOME when set, else the user database (node:os, loaded then). */
function homedir(): string {
  const home = process.env['HOME'];
  if (home) return home;
  return (createRequire(import.meta.url)('node:os') as typeof import('node:os')).homedir();
}

/** $SECITEM_SOCKET, else $XDG_RUNTIME_DIR/secitem/secitemd.sock, else ~/.local/state/secitem/secitemd.sock. */
export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env['SECITEM_SOCKET']) return env['SECITEM_SOCKET'];
  const runtime = env['XDG_RUNTIME_DIR'];
  return runtime ? join(runtime, 'secitem', 'secitemd.sock') : join(homedir(), '.local', 'state', 'secitem', 'secitemd.sock');
}
