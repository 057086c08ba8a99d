/**
 * The owner sees every access group: a caller whose profile says
 * `owner: true`, or the daemon's own user running secitem's CLI entry script
 * (here the fixture client stands for it through `ownerScript`), gets the
 * in-process CLI's entitlements for its SecItem calls instead of -34018.
 * The daemon runs in process on a socket in a temp directory and is closed
 * in `after`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  connectKeychain, kSecClass, kSecClassGenericPassword, kSecAttrService, kSecAttrAccessGroup, kSecValueData, kSecMatchLimit, kSecMatchLimitAll,
  kSecReturnAttributes, errSecSuccess, errSecMissingEntitlement,
} from '../../src/index.js';
import { OWNER_ENTITLEMENTS, startDaemon, type AuditEntry, type Daemon, type ProfileRegistryLike } from '../../src/daemon/server.js';
import type { Caller } from '../../src/daemon/caller.js';
import type { Entitlements } from '../../src/types.js';
import { CLI_ACCESS_GROUPS, CLI_APPLICATION_IDENTIFIER } from '../../src/cli/keychains.js';

const clientScript = fileURLToPath(new URL('./fixtures/client-child.js', import.meta.url));
const genp = (svce: string, extra: Record<string, unknown> = {}) => ({ [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: svce, ...extra });

class PidProfiles implements ProfileRegistryLike {
  readonly byPid = new Map<number, { entitlements: Entitlements; owner: boolean }>();
  identify(caller: Caller) {
    return this.byPid.get(caller.pid) ?? { refused: 'no profile matches this caller' };
  }
}

function runClient(args: string[]): Promise<string[]> {
  const child = spawn(process.execPath, [clientScript, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) => child.on('exit', () => {
    clearTimeout(timer);
    resolve(out.split('\n').filter(Boolean));
  }));
}

describe('the owner sees every access group', () => {
  const dir = mkdtempSync(join(tmpdir(), 'secitemd-owner-'));
  const socket = join(dir, 'run', 'secitemd.sock');
  const profiles = new PidProfiles();
  const audit: AuditEntry[] = [];
  let daemon: Daemon;

  before(async () => {
    daemon = await startDaemon({
      keychainPath: join(dir, 'kc.keychain-db'), socketPath: socket, stateDir: join(dir, 'state'), profiles,
      audit: { record: (e) => audit.push(e) }, log: () => undefined, ownerScript: realpathSync(clientScript),
    });
    // An item of another app, in its own group.
    const other = daemon.keychain.client({ applicationIdentifier: 'TEAM.com.example.other' });
    assert.equal(other.SecItemAdd(genp('svc-other', { [kSecValueData]: new Uint8Array([1]) })).status, errSecSuccess);
  });
  after(async () => {
    await daemon.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the owner's entitlements are the in-process CLI's", () => {
    assert.equal(OWNER_ENTITLEMENTS.applicationIdentifier, CLI_APPLICATION_IDENTIFIER);
    assert.deepEqual([...OWNER_ENTITLEMENTS.keychainAccessGroups!], [...CLI_ACCESS_GROUPS]);
  });

  it("the daemon's user running the owner's script, with no profile, reads every group and adds to secitem.cli", async () => {
    const [line] = await runClient([socket, 'isolation', 'svc-owner-tool']);
    const r = JSON.parse(line!) as { add: number; copy: number; services: string[]; identity: { applicationIdentifier: string; accessGroups: string[]; owner: boolean } };
    assert.equal(r.add, errSecSuccess);
    assert.equal(r.copy, errSecSuccess);
    assert.deepEqual(r.services.sort(), ['svc-other', 'svc-owner-tool']);
    assert.equal(r.identity.applicationIdentifier, 'secitem.cli');
    assert.ok(r.identity.accessGroups.includes('*'));
    assert.equal(r.identity.owner, true);
    const add = audit.find((e) => e.fn === 'SecItemAdd' && e.applicationIdentifier === 'secitem.cli');
    assert.equal(add?.group, 'secitem.cli');
  });

  it('a profile with owner: true reads every group; one without sees its own; no profile gets -34018', async () => {
    const none = await connectKeychain({ socket });
    assert.equal((await none.SecItemCopyMatching(genp('svc-other'))).status, errSecMissingEntitlement);
    await none.close();

    profiles.byPid.set(process.pid, { entitlements: { applicationIdentifier: 'TEAM.com.example.plain' }, owner: false });
    const plain = await connectKeychain({ socket });
    assert.equal((await plain.SecItemCopyMatching(genp('svc-other'))).status, -25300);
    await plain.close();

    profiles.byPid.set(process.pid, { entitlements: { applicationIdentifier: 'TEAM.com.example.admin' }, owner: true });
    const owner = await connectKeychain({ socket });
    try {
      const all = await owner.SecItemCopyMatching({ [kSecClass]: kSecClassGenericPassword, [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnAttributes]: true });
      assert.equal(all.status, errSecSuccess);
      const seen = (all.result as Record<string, unknown>[]).map((a) => `${String(a[kSecAttrService])}@${String(a[kSecAttrAccessGroup])}`).sort();
      assert.deepEqual(seen, ['svc-other@TEAM.com.example.other', 'svc-owner-tool@secitem.cli']);
      assert.equal((await owner.status()).status, errSecSuccess);
      // The audit log names the owner's profile, not the CLI.
      assert.ok(audit.some((e) => e.fn === 'SecItemCopyMatching' && e.applicationIdentifier === 'TEAM.com.example.admin' && e.status === errSecSuccess));
    } finally {
      await owner.close();
      profiles.byPid.delete(process.pid);
    }
  });
});
