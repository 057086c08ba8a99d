/**
 * `secitem profile …` and `secitem daemon …` (issue 16, parts 2 and 5):
 * the whole path from a new signer to an identified caller, through the
 * command line, and the audit log's verification.
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditLog, auditKey } from '../../src/daemon/audit.js';
import { ProfileRegistry, sha256File } from '../../src/daemon/profiles.js';
import { defaultStateDir } from '../../src/daemon/files.js';
import { makeHome, run } from './helpers.js';
import type { Home } from './helpers.js';

const APP = 'SKMME9E2Y8.com.example.app';

describe('profile and daemon commands', () => {
  let home: Home;
  beforeEach(() => {
    home = makeHome();
  });
  afterEach(() => home.cleanup());

  it('signer-create, create, sign, trust, register, apps, unregister', async () => {
    writeFileSync(join(home.dir, 'app.js'), 'console.log(1);\n');
    let r = await run(home, 'profile', 'signer-create', 'team');
    assert.equal(r.code, 0, r.stderr);
    const keyId = /key ID: ([0-9a-f]{64})/.exec(r.stdout)![1];
    assert.equal((await run(home, 'profile', 'signer-create', 'team')).code, 1);

    r = await run(home, 'profile', 'create', '--app-id', APP, '--group', 'SKMME9E2Y8.shared', '--app-group', 'group.com.example', '--script', 'app.js', '-o', 'app.json');
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(readFileSync(join(home.dir, 'app.json'), 'utf8')) as { requirement: { script: { path: string; sha256: string } } };
    assert.equal(doc.requirement.script.sha256, sha256File(join(home.dir, 'app.js')));
    assert.equal((await run(home, 'profile', 'create', '--app-id', 'nope', '--script', 'app.js')).code, 1);
    assert.equal((await run(home, 'profile', 'create', '--app-id', APP)).code, 2);

    r = await run(home, 'profile', 'sign', '--signer', 'team.key', 'app.json', '-o', 'app.signed');
    assert.equal(r.code, 0, r.stderr);
    r = await run(home, 'daemon', 'register', 'app.signed');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not trusted/);
    r = await run(home, 'daemon', 'trust', 'team.pub');
    assert.deepEqual([r.code, r.stdout], [0, `trusted signer ${keyId}\n`]);
    r = await run(home, 'daemon', 'register', 'app.signed');
    assert.equal(r.code, 0, r.stderr);
    r = await run(home, 'daemon', 'apps');
    assert.equal(r.stdout, `${APP}\tgroups:SKMME9E2Y8.shared\tapp-groups:group.com.example\tsigner:${keyId.slice(0, 16)}\tscript:${realpathSync(join(home.dir, 'app.js'))}\n`);

    // What the CLI wrote is what a daemon's registry reads.
    const reg = ProfileRegistry.open(defaultStateDir(home.env));
    const who = reg.identify({
      pid: 1, uid: 0, executable: '/usr/bin/node', executableSha256: '0'.repeat(64), script: realpathSync(join(home.dir, 'app.js')),
      scriptSha256: sha256File(join(home.dir, 'app.js')), startTime: 0,
    });
    assert.ok('entitlements' in who && who.entitlements.applicationIdentifier === APP);

    r = await run(home, 'daemon', 'untrust', keyId.slice(0, 10));
    assert.equal(r.code, 0, r.stderr);
    assert.match((await run(home, 'daemon', 'apps')).stdout, /UNTRUSTED/);
    assert.equal((await run(home, 'daemon', 'unregister', APP)).code, 0);
    assert.equal((await run(home, 'daemon', 'unregister', APP)).code, 1);
    assert.equal((await run(home, 'daemon', 'apps')).stdout, '');
  });

  it('--state overrides the state directory', async () => {
    await run(home, 'profile', 'signer-create', 's');
    const r = await run(home, 'daemon', 'trust', '--state', 'elsewhere', 's.pub');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(ProfileRegistry.open(join(home.dir, 'elsewhere')).signers().length, 1);
  });

  it('daemon audit --verify: 0 for an intact log, 93 for a changed one', async () => {
    const state = join(home.dir, 'state');
    assert.equal((await run(home, 'daemon', 'audit', '--verify', '--state', 'state')).code, 1); // no key, no log
    const log = AuditLog.open(join(state, 'audit.log'), { key: auditKey(state), maxBytes: 1 << 20 });
    log.record({ time: Date.now(), applicationIdentifier: APP, pid: 7, fn: 'SecItemAdd', cls: 'genp', status: 0 });
    log.close();
    let r = await run(home, 'daemon', 'audit', '--verify', '--state', 'state');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /ok: 2 lines verified/);
    const file = join(state, 'audit.log');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"pid":7', '"pid":8'));
    r = await run(home, 'daemon', 'audit', '--verify', '--state', 'state', '--log', join(state, 'audit.log'));
    assert.equal(r.code, 93);
    assert.match(r.stdout, /FAILED at line 2/);
    assert.equal((await run(home, 'daemon', 'audit', '--state', 'state')).code, 2);
  });

  it('help lists both commands and an unknown subcommand asks for the usage', async () => {
    const list = await run(home, 'help');
    assert.match(list.stdout, /profile +Create signers/);
    assert.match(list.stdout, /daemon +Run secitemd/);
    const bad = await run(home, 'daemon', 'frobnicate');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown subcommand/);
  });
});
