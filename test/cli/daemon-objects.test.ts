/**
 * Certificates, keys and identities through secitemd: with a daemon
 * running, the command line is the owner's tool and goes through it, so
 * `import` of a PKCS#12 file (its private key sent as its external
 * representation), `find-identity`, `export -t identities` and
 * `delete-identity` act on the daemon's keychain, as the audit log shows.
 * Material is made by openssl; the built executable runs the commands.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runningDaemon } from '../../src/daemon/process.js';
import { OpenSSLDir } from '../objects/openssl-material.js';
import { repoFile } from '../helpers.js';
import { makeHome, type Home } from './helpers.js';

const BIN = repoFile('dist/src/cli/bin.js');

describe('certificate, key and identity commands through a running secitemd', () => {
  let home: Home;
  let o: OpenSSLDir;
  let env: Record<string, string>;
  let state: string;
  const cli = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [BIN, ...args], { env, cwd: o.path('.'), timeout: 60_000 }, (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 1, stdout, stderr });
      });
    });

  before(() => {
    home = makeHome();
    o = new OpenSSLDir();
    state = join(home.dir, 'state');
    env = { ...home.env, PATH: process.env.PATH ?? '/usr/bin:/bin', SECITEM_SOCKET: join(home.dir, 'run', 'd.sock') };
    o.selfSigned('leaf', o.ecKey('leaf'), '/CN=through the daemon');
    o.run('pkcs12', '-export', '-passout', 'pass:pw', '-inkey', 'leaf.key', '-in', 'leaf.pem', '-out', 'leaf.p12');
  });

  after(() => {
    const running = runningDaemon(state);
    if (running !== undefined) process.kill(running.pid, 'SIGKILL');
    o.remove();
    home.cleanup();
  });

  it('import, find-identity, export -t identities and delete-identity act on the daemon\'s keychain', async () => {
    let r = await cli('daemon', 'start', '--state', state);
    assert.equal(r.code, 0, r.stderr);

    r = await cli('import', 'leaf.p12', '-f', 'pkcs12', '-P', 'pw');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /1 identity imported/);

    r = await cli('find-identity');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /1\) [0-9A-F]{40} "through the daemon"/);

    r = await cli('export', '-t', 'identities', '-f', 'pkcs12', '-P', 'out', '-o', 'out.p12');
    assert.equal(r.code, 0, r.stderr);
    const dumped = o.run('pkcs12', '-in', 'out.p12', '-passin', 'pass:out', '-nodes');
    assert.match(dumped, /BEGIN CERTIFICATE/);
    assert.match(dumped, /BEGIN PRIVATE KEY/);
    const original = o.run('pkey', '-in', 'leaf.key', '-pubout');
    o.write('exported.pem', dumped);
    assert.equal(o.run('pkey', '-in', 'exported.pem', '-pubout'), original, 'the exported key is the imported one');

    r = await cli('delete-identity', '-c', 'through the daemon');
    assert.equal(r.code, 0, r.stderr);
    r = await cli('find-identity');
    assert.match(r.stdout, /0 identities found/);

    r = await cli('daemon', 'stop', '--state', state);
    assert.equal(r.code, 0, r.stderr);
    // Every one of those calls reached the daemon: its audit log names them, the CLI as the owner.
    const log = readFileSync(join(state, 'audit.log'), 'utf8');
    assert.match(log, /"applicationIdentifier":"secitem\.cli","pid":\d+,"fn":"SecItemAdd","cls":"idnt","group":"secitem\.cli","status":0/);
    assert.match(log, /"fn":"SecItemCopyMatching","cls":"idnt","status":0/);
    assert.match(log, /"fn":"SecItemDelete","cls":"idnt","status":0/);
    assert.ok(!log.includes('through the daemon'), 'no attribute value in the audit log');
  });
});
