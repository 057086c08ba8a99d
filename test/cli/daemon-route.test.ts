/**
 * The `secitem` command line through secitemd: a daemon started here (a Unix
 * socket in a temp directory, stand-in profiles granting the CLI's entry
 * script the CLI's entitlements and the owner's rights), and the real
 * executable run as separate processes with SECITEM_SOCKET. Lock state is
 * the daemon's: an unlock lasts across invocations until lock-keychain or the
 * idle lock of set-keychain-settings -u -t N.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { openKeychain } from '../../src/index.js';
import { startDaemon, type AuditEntry, type Daemon, type ProfileRegistryLike } from '../../src/daemon/server.js';
import type { Caller } from '../../src/daemon/caller.js';

/** dist/test/cli/… → the bundled executable the daemon recognises as its owner's tool. */
const BIN = realpathSync(fileURLToPath(new URL('../../src/cli/bin.js', import.meta.url)));
const PASSWORD = 'correct horse';
const EXIT_LOCKED = 36; // errSecInteractionNotAllowed & 0xFF

/** Stand-in profiles: the CLI's entry script, run by this uid, is the owner with the CLI's entitlements (secitem.cli + '*'). */
class CliOwnerProfiles implements ProfileRegistryLike {
  identify(caller: Caller) {
    if (caller.script === BIN && caller.uid === process.getuid!()) {
      return { entitlements: { applicationIdentifier: 'secitem.cli', keychainAccessGroups: ['secitem.cli', '*'] }, owner: true };
    }
    return { refused: 'not the CLI' };
  }
}

interface Exec {
  code: number | null;
  stdout: string;
  stderr: string;
  pid: number;
}

describe('secitem through secitemd', () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'secitem-route-')));
  const keychain = join(dir, 'route.keychain-db');
  const socket = join(dir, 'run', 'secitemd.sock');
  const audit: AuditEntry[] = [];
  const env = { HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config'), SECITEM_SOCKET: socket, PATH: process.env['PATH'] ?? '' };
  let daemon: Daemon;

  /** `secitem …` as its own process (async: the daemon answers from this process's event loop). */
  function secitem(args: string[], extraEnv: Record<string, string | undefined> = {}): Promise<Exec> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('error', reject);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr, pid: child.pid! });
      });
    });
  }

  before(async () => {
    openKeychain({ path: keychain, passcode: PASSWORD }).close();
    daemon = await startDaemon({
      keychainPath: keychain, socketPath: socket, stateDir: join(dir, 'state'), profiles: new CliOwnerProfiles(),
      audit: { record: (e) => audit.push(e) }, log: () => {},
    });
  });
  after(async () => {
    await daemon.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('add-generic-password and find-generic-password -w go through the daemon, whose unlock lasts across invocations', async () => {
    assert.equal(daemon.keychain.lockState, 'beforeFirstUnlock');
    const unlock = await secitem(['unlock-keychain', '-p', PASSWORD, keychain]);
    assert.equal(unlock.code, 0, unlock.stderr);
    assert.equal(daemon.keychain.lockState, 'unlocked');

    const add = await secitem(['add-generic-password', '-s', 'svc', '-a', 'acct', '-w', 's3cret', keychain]);
    assert.equal(add.code, 0, add.stderr);
    assert.ok(audit.some((e) => e.pid === add.pid && e.fn === 'SecItemAdd' && e.status === 0 && e.applicationIdentifier === 'secitem.cli'));

    // A later, separate invocation, without any password: the daemon's unlock lasted.
    const find = await secitem(['find-generic-password', '-s', 'svc', '-w', keychain]);
    assert.equal(find.code, 0, find.stderr);
    assert.equal(find.stdout, 's3cret\n');
    assert.ok(audit.some((e) => e.pid === find.pid && e.fn === 'SecItemCopyMatching' && e.status === 0));

    // The same command opening the file itself (no daemon at its socket path) finds the keychain locked.
    const alone = await secitem(['find-generic-password', '-s', 'svc', '-w', keychain], { SECITEM_SOCKET: join(dir, 'nobody.sock') });
    assert.equal(alone.code, EXIT_LOCKED, alone.stderr);
    assert.ok(!audit.some((e) => e.pid === alone.pid));
  });

  it('lock-keychain locks the daemon\'s keychain for every later command', async () => {
    const lock = await secitem(['lock-keychain', keychain]);
    assert.equal(lock.code, 0, lock.stderr);
    assert.equal(daemon.keychain.lockState, 'locked');
    const find = await secitem(['find-generic-password', '-s', 'svc', '-w', keychain]);
    assert.equal(find.code, EXIT_LOCKED);
    // A password of the invocation (SECITEM_KEYCHAIN_PASSWORD) unlocks it for that command only.
    const once = await secitem(['find-generic-password', '-s', 'svc', '-w', keychain], { SECITEM_KEYCHAIN_PASSWORD: PASSWORD });
    assert.equal(once.code, 0, once.stderr);
    assert.equal(once.stdout, 's3cret\n');
    assert.equal(daemon.keychain.lockState, 'locked');
    const wrong = await secitem(['unlock-keychain', '-p', 'wrong', keychain]);
    assert.equal(wrong.code, -25293 & 0xff); // errSecAuthFailed & 0xFF
    assert.equal(daemon.keychain.lockState, 'locked');
  });

  it('set-keychain-settings -u -t 1: the daemon locks the keychain after a second without a call', async () => {
    assert.equal((await secitem(['unlock-keychain', '-p', PASSWORD, keychain])).code, 0);
    const set = await secitem(['set-keychain-settings', '-u', '-t', '1', keychain]);
    assert.equal(set.code, 0, set.stderr);
    const info = await secitem(['show-keychain-info', keychain]);
    assert.match(info.stderr, /use-lock-interval timeout=1s/);
    await sleep(2000);
    assert.equal(daemon.keychain.lockState, 'locked');
    const find = await secitem(['find-generic-password', '-s', 'svc', '-w', keychain]);
    assert.equal(find.code, EXIT_LOCKED);
    // No idle lock again: an unlock lasts.
    assert.equal((await secitem(['set-keychain-settings', keychain])).code, 0);
    assert.equal((await secitem(['unlock-keychain', '-p', PASSWORD, keychain])).code, 0);
    await sleep(1500);
    assert.equal(daemon.keychain.lockState, 'unlocked');
  });

  it('set-keychain-password changes the daemon\'s passcode; keychain verify refuses while the daemon owns the file', async () => {
    const change = await secitem(['set-keychain-password', '-o', PASSWORD, '-p', 'new one', keychain]);
    assert.equal(change.code, 0, change.stderr);
    assert.equal((await secitem(['lock-keychain', keychain])).code, 0);
    assert.notEqual((await secitem(['unlock-keychain', '-p', PASSWORD, keychain])).code, 0);
    assert.equal((await secitem(['unlock-keychain', '-p', 'new one', keychain])).code, 0);
    assert.equal((await secitem(['find-generic-password', '-s', 'svc', '-w', keychain])).stdout, 's3cret\n');
    const verify = await secitem(['keychain', 'verify', keychain]);
    assert.equal(verify.code, 1);
    assert.match(verify.stderr, /secitemd owns/);
    // lock-keychain -a locks the daemon's keychain too.
    assert.equal((await secitem(['lock-keychain', '-a'])).code, 0);
    assert.equal(daemon.keychain.lockState, 'locked');
  });
});
