/**
 * Where secitemd's socket is by default, for the daemon and its clients.
 * @module
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** $SECITEM_SOCKET, else $XDG_RUNTIME_DIR/secitem/secitemd.sock, else ~/.local/state/secitem/secitemd.sock. */
export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env['SECITEM_SOCKET']) return env['SECITEM_SOCKET'];
  const runtime = env['XDG_RUNTIME_DIR'];
  return runtime ? join(runtime, 'secitem', 'secitemd.sock') : join(homedir(), '.local', 'state', 'secitem', 'secitemd.sock');
}
