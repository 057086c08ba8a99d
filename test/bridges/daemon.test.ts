/**
 * The bridges go through secitemd when one answers on the socket: a daemon
 * started here (its caller identification stood in for, as the daemon's own
 * tests do) on the default keychain, and secitem/keytar's and
 * secitem/keyring's AsyncEntry calls reach it (its audit sees them), many at
 * once over one connection; the items are in the daemon's keychain.
 */
import { bridgeEnv, defaultKeychain, home } from './env.js';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as keytar from '../../src/bridges/keytar.js';
import { AsyncEntry } from '../../src/bridges/keyring.js';
import { startDaemon, type AuditEntry, type Daemon } from '../../src/daemon/server.js';
import type { Caller } from '../../src/daemon/caller.js';

describe('through secitemd', () => {
  const socket = join(home, 'run', 'secitemd.sock');
  const audit: AuditEntry[] = [];
  let daemon: Daemon;

  before(async () => {
    mkdirSync(dirname(defaultKeychain), { recursive: true, mode: 0o700 });
    const caller: Caller = { pid: process.pid, uid: process.getuid!(), gid: process.getgid!(), executable: process.execPath, executableSha256: '0'.repeat(64), startTime: 0 };
    daemon = await startDaemon({
      keychainPath: defaultKeychain, socketPath: socket, stateDir: join(home, 'state'),
      profiles: { identify: () => ({ entitlements: { applicationIdentifier: 'test.bridges-app' }, owner: false }) },
      identify: async () => caller,
      audit: { record: (e) => audit.push(e) }, log: () => {},
    });
    process.env['SECITEM_SOCKET'] = socket;
  });
  after(async () => {
    process.env['SECITEM_SOCKET'] = bridgeEnv['SECITEM_SOCKET'];
    await daemon.close();
  });

  it('keytar and AsyncEntry calls are the daemon\'s, and land in its keychain as the app the daemon identified', async () => {
    await Promise.all(Array.from({ length: 100 }, (_, i) => keytar.setPassword('via daemon', `a${i}`, `p${i}`)));
    assert.deepEqual(await Promise.all(Array.from({ length: 100 }, (_, i) => keytar.getPassword('via daemon', `a${i}`))), Array.from({ length: 100 }, (_, i) => `p${i}`));
    const entry = new AsyncEntry('via daemon', 'async');
    await entry.setPassword('é');
    assert.equal(await entry.getPassword(), 'é');
    assert.equal((await keytar.findCredentials('via daemon')).length, 101);
    assert.ok(audit.some((e) => e.fn === 'SecItemAdd' && e.applicationIdentifier === 'test.bridges-app'));
    const r = daemon.keychain.client({ applicationIdentifier: 'test.bridges-app' }).SecItemCopyMatching({ class: 'genp', svce: 'via daemon', acct: 'async', r_Attributes: true });
    assert.equal((r.result as Record<string, unknown>)['agrp'], 'test.bridges-app');
  });
});
