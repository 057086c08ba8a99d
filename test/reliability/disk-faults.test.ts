/**
 * Disk faults (issue 5 §2): a write that fails returns an OSStatus and
 * leaves the previous state intact.
 *  - A read-only keychain file: needs a user chmod binds (skipped as root,
 *    where chmod does not stop writes).
 *  - An injected I/O failure without root: a child runs under
 *    `prlimit --fsize`, so writes past a size fail with EFBIG (a tiny tmpfs
 *    would need root to mount).
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import {
  SecError,
  errSecSuccess,
  errSecDiskFull,
  errSecIO,
  errSecReadOnly,
  errSecInvalidKeychain,
  kSecAttrAccount,
  kSecAttrService,
  kSecClass,
  kSecClassGenericPassword,
  kSecReturnData,
  openKeychain,
} from '../../src/index.js';
import { TempKeychain, genpWithData, statusName } from '../helpers.js';
import { assertNoPlaintext, integrityCheck, permissionsEnforced, snapshot, spawnFixture, wildcardClient } from './harness/common.js';

function hasPrlimit(): boolean {
  try {
    execFileSync('prlimit', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

it('a read-only keychain file: writes answer an OSStatus (or the open a SecError) and the items stay as they were', { skip: permissionsEnforced() ? false : 'running as root: chmod does not stop root from writing, so a read-only file cannot be simulated' }, () => {
  const tk = new TempKeychain();
  try {
    const app = tk.client('DISKTEAM.app');
    assert.equal(app.SecItemAdd(genpWithData('ro-service', 'ro-account', 'ro-secret-Kiwi')).status, errSecSuccess);
    tk.kc.close();
    const before = (() => {
      const kc = openKeychain({ path: tk.path });
      const s = snapshot(wildcardClient(kc));
      kc.close();
      return s;
    })();
    chmodSync(tk.path, 0o400);
    chmodSync(tk.dir, 0o500);
    try {
      let kc;
      try {
        kc = openKeychain({ path: tk.path });
      } catch (e) {
        assert.ok(e instanceof SecError && [errSecReadOnly, errSecInvalidKeychain, errSecIO].includes(e.status), String(e));
        return;
      }
      const client = kc.client({ applicationIdentifier: 'DISKTEAM.app' });
      const s = client.SecItemAdd(genpWithData('ro-service', 'ro-account-2', 'ro-secret-2')).status;
      assert.ok([errSecReadOnly, errSecIO, errSecDiskFull].includes(s), statusName(s));
      kc.close();
    } finally {
      chmodSync(tk.dir, 0o700);
      chmodSync(tk.path, 0o600);
    }
    const kc = openKeychain({ path: tk.path });
    assert.equal(snapshot(wildcardClient(kc)), before);
    kc.close();
  } finally {
    tk.cleanup();
  }
});

it('writes past a file-size limit (prlimit --fsize, EFBIG): the failing add answers an OSStatus, every acknowledged add survives, the failed ones are absent, integrity_check is ok', { skip: hasPrlimit() ? false : 'prlimit (util-linux) is not installed' }, async () => {
  const tk = new TempKeychain();
  try {
    const app = tk.client('DISKTEAM.app');
    assert.equal(app.SecItemAdd(genpWithData('disk-service', 'disk-before', 'disk-before-secret-Emu')).status, errSecSuccess);
    tk.kc.close();
    assert.ok(!existsSync(`${tk.path}-wal`) || statSync(`${tk.path}-wal`).size === 0);
    const limit = statSync(tk.path).size + 400 * 1024;
    const lines: string[] = [];
    const { done } = spawnFixture('fsize-child', [tk.path, '200'], (l) => lines.push(l), { prefix: ['prlimit', `--fsize=${limit}`, '--'] });
    const exit = await done;
    assert.equal(exit.code, 0, `child: ${exit.code}/${exit.signal} ${exit.stderr}`);
    const acked = new Set<number>();
    const failed: number[] = [];
    for (const l of lines) {
      const [kind, i, status] = l.split(' ');
      assert.notEqual(kind, 'T', `an add threw: ${l}`);
      if (kind === 'A') {
        if (Number(status) === errSecSuccess) acked.add(Number(i));
        else {
          assert.ok([errSecDiskFull, errSecIO].includes(Number(status)), `a failed write answered ${statusName(Number(status))}`);
          failed.push(Number(i));
        }
      }
      if (kind === 'R') assert.equal(Number(i), errSecSuccess, 'reads keep working after a failed write');
    }
    assert.ok(acked.size > 0 && failed.length > 0, `expected some adds to succeed and some to fail: ${lines.join(' | ')}`);
    const kc = openKeychain({ path: tk.path });
    const client = kc.client({ applicationIdentifier: 'DISKTEAM.app' });
    for (const i of [...acked, ...failed]) {
      const r = client.SecItemCopyMatching({ [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'disk-service', [kSecAttrAccount]: `disk-account-${i}`, [kSecReturnData]: true });
      if (acked.has(i)) {
        assert.equal(r.status, errSecSuccess, `acknowledged add ${i}: ${statusName(r.status)}`);
        assert.ok(Buffer.from(r.result as Uint8Array).equals(Buffer.alloc(32 * 1024, i % 251)), `add ${i} holds its bytes`);
      } else {
        assert.notEqual(r.status, errSecSuccess, `failed add ${i} is absent`);
      }
    }
    const before = client.SecItemCopyMatching({ [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'disk-service', [kSecAttrAccount]: 'disk-before', [kSecReturnData]: true });
    assert.equal(Buffer.from(before.result as Uint8Array).toString(), 'disk-before-secret-Emu');
    snapshot(wildcardClient(kc));
    kc.close();
    assert.equal(integrityCheck(tk.path), 'ok');
    assertNoPlaintext(tk.dir, ['disk-before-secret-Emu', 'disk-service', 'disk-before'], 'after the disk fault');
  } finally {
    tk.cleanup();
  }
});

