/** Caller identification: node command lines, start times, the addon. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { entryScriptOf, identifyProcess, isNodeExecutable, readStartTime, uptimeTicks } from '../../src/daemon/caller.js';
import { peerCredAddon } from '../../src/daemon/native.js';

describe('caller identification', () => {
  it('finds the entry script of a node command line, and refuses code besides it', () => {
    assert.deepEqual(entryScriptOf(['node', 'app.js', '--flag']), { script: 'app.js' });
    assert.deepEqual(entryScriptOf(['node', '--max-old-space-size', '100', '--no-warnings', 'a/b.mjs']), { script: 'a/b.mjs' });
    assert.deepEqual(entryScriptOf(['node', '--', '-weird.js']), { script: '-weird.js' });
    for (const argv of [['node'], ['node', '-e', '1'], ['node', '-r', 'x', 'app.js'], ['node', '--import=x', 'app.js'], ['node', '--inspect', 'app.js'], ['node', '-']]) {
      assert.ok('refused' in entryScriptOf(argv), argv.join(' '));
    }
  });

  it('knows node executables and reads start times', () => {
    assert.ok(isNodeExecutable(process.execPath));
    assert.ok(isNodeExecutable('/usr/bin/node20'));
    assert.ok(!isNodeExecutable('/usr/bin/python3'));
    const t = readStartTime(process.pid);
    assert.ok(typeof t === 'number' && t > 0);
    assert.equal(readStartTime(2 ** 30), undefined);
  });

  it('the native addon is built and checks its arguments', () => {
    const addon = peerCredAddon();
    assert.throws(() => addon.peerCredentials(-1), TypeError);
    assert.throws(() => addon.peerCredentials(99_999), (e: NodeJS.ErrnoException) => e.code === 'EBADF');
    const fd = addon.pidfdOpen(process.pid);
    assert.equal(addon.pidfdAlive(fd), true);
    closeSync(fd);
  });

  it('identifyProcess: a process known by pid and uid (a bus caller), its executable hashed, another uid refused', async () => {
    const uid = process.getuid!();
    const child = spawn('/bin/sleep', ['30'], { stdio: 'ignore' });
    try {
      await new Promise((r) => child.once('spawn', r));
      const who = await identifyProcess(child.pid!, uid);
      assert.ok(!('refused' in who), JSON.stringify(who));
      assert.equal(who.pid, child.pid);
      assert.match(who.executable, /sleep$/);
      assert.match(who.executableSha256, /^[0-9a-f]{64}$/);
      assert.equal(who.script, undefined);
      const other = await identifyProcess(child.pid!, 4343, { daemonUid: 4242 });
      assert.ok('refused' in other && /uid/.test(other.refused));
      assert.equal(other.notThisUser, true, 'another uid is not this user\'s process: refused outright, even by the Secret Service');
      // connectedBefore is on the start time's clock: now is after the start, long before it is not (a reused pid)
      assert.ok(!('refused' in (await identifyProcess(child.pid!, uid, { connectedBefore: uptimeTicks() }))));
      const early = await identifyProcess(child.pid!, uid, { connectedBefore: readStartTime(child.pid!)! - 100 });
      assert.ok('refused' in early && /started after the connection/.test(early.refused), JSON.stringify(early));
      assert.equal(early.notThisUser, undefined, 'a reused pid: a process of this user, not identified as an app');
    } finally {
      child.kill();
    }
    const gone = await identifyProcess(2 ** 22 + 12345, uid);
    assert.ok('refused' in gone && gone.notThisUser === true, JSON.stringify(gone));
  });
});
