/**
 * The bridges' tests run in a temporary home: HOME, XDG_DATA_HOME and
 * XDG_CONFIG_HOME under a fresh directory, so the default keychain is a new
 * file there, and SECITEM_SOCKET naming a socket no daemon answers on, so
 * the bridges work in-process. Import this module first.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

export const home = mkdtempSync(join(tmpdir(), 'secitem-bridges-'));
export const bridgeEnv: Record<string, string> = {
  HOME: home,
  XDG_DATA_HOME: join(home, 'data'),
  XDG_CONFIG_HOME: join(home, 'config'),
  SECITEM_SOCKET: join(home, 'no-daemon.sock'),
};
Object.assign(process.env, bridgeEnv);
delete process.env['XDG_RUNTIME_DIR'];
delete process.env['SECITEM_KEYCHAIN_PASSWORD'];

/** The default keychain file the bridges (and the CLI) use in this home. */
export const defaultKeychain = join(home, 'data', 'secitem', 'login.keychain-db');

after(() => rmSync(home, { recursive: true, force: true }));
