/**
 * `secitem daemon start|status|stop` end to end, through the built
 * executable (dist/src/cli/bin.js, so that status is the owner's CLI):
 * a background daemon, registered and unregistered node scripts connecting
 * with connectKeychain, a registration reaching the running daemon, a
 * second start refused, the audit log verified and then tampered with.
 * The daemon listens on a socket in a temp directory; `after` kills it if
 * a step failed before `stop`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runningDaemon } from '../../src/daemon/process.js';
import { repoFile } from '../helpers.js';
import { execResult, makeHome } from './helpers.js';
import type { Home } from './helpers.js';

const BIN = repoFile('dist/src/cli/bin.js');
const INDEX = pathToFileURL(repoFile('dist/src/index.js')).href;
const TEAM = 'SKMME9E2Y8';

const exec = (file: string, args: string[], env: Record<string, string>, cwd: string) => execResult(file, args, env, cwd, 60_000);

/** A client app: adds an item with its name, reads it back, prints one JSON line. */
function appScript(name: string): string {
  return `import { connectKeychain } from ${JSON.stringify(INDEX)};
const kc = await connectKeychain({ socket: process.argv[2] });
const add = await kc.SecItemAdd({ class: 'genp', svce: ${JSON.stringify(name)}, v_Data: new TextEncoder().encode('secret of ${name}') });
const copy = await kc.SecItemCopyMatching({ class: 'genp', svce: ${JSON.stringify(name)}, r_Data: true });
const identity = (await kc.identity).result;
process.stdout.write(JSON.stringify({ add: add.status, copy: copy.status, data: copy.result instanceof Uint8Array ? new TextDecoder().decode(copy.result) : null, identity }) + '\\n');
await kc.close();
`;
}

describe('secitem daemon start, status, stop', () => {
  let home: Home;
  let state: string;
  let socket: string;
  let env: Record<string, string>;
  const cli = (...args: string[]) => exec(process.execPath, [BIN, ...args], env, home.dir);
  const app = (name: string) => exec(process.execPath, [join(home.dir, `${name}.mjs`), socket], env, home.dir);

  before(async () => {
    home = makeHome();
    state = join(home.dir, 'state');
    socket = join(home.dir, 'run', 'd.sock');
    env = { ...home.env, PATH: process.env.PATH ?? '/usr/bin:/bin' };
    for (const name of ['alpha', 'beta']) writeFileSync(join(home.dir, `${name}.mjs`), appScript(name));
    const steps = [
      ['profile', 'signer-create', 'team'],
      ['daemon', 'trust', '--state', state, 'team.pub'],
      ...['alpha', 'beta'].flatMap((name) => [
        ['profile', 'create', '--app-id', `${TEAM}.com.example.${name}`, '--group', `${TEAM}.${name}`, '--script', `${name}.mjs`, '-o', `${name}.json`],
        ['profile', 'sign', '--signer', 'team.key', `${name}.json`],
      ]),
      ['daemon', 'register', '--state', state, 'alpha.signed'],
    ];
    for (const step of steps) {
      const r = await cli(...step);
      assert.equal(r.code, 0, `${step.join(' ')}: ${r.stderr}`);
    }
  });

  after(() => {
    const running = runningDaemon(state);
    if (running !== undefined) process.kill(running.pid, 'SIGKILL');
    home.cleanup();
  });

  it('runs the whole life of a daemon', async () => {
    let r = await cli('daemon', 'status', '--state', state);
    assert.deepEqual([r.code, r.stdout], [1, 'secitemd is not running\n']);

    r = await cli('daemon', 'start', '--socket', socket, '--state', state);
    assert.equal(r.code, 0, r.stderr);
    const pid = Number(/pid (\d+)/.exec(r.stdout)![1]);
    assert.equal(runningDaemon(state)?.pid, pid);

    r = await cli('daemon', 'status', '--state', state);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `secitemd is running\npid: ${pid}\nsocket: ${socket}\nkeychain: ${home.defaultKeychain}\nlock state: unlocked (no passcode)\n`);

    // A registered script adds and reads its item.
    r = await app('alpha');
    assert.equal(r.code, 0, r.stderr);
    let out = JSON.parse(r.stdout) as { add: number; copy: number; data: string; identity: { applicationIdentifier: string } };
    assert.deepEqual([out.add, out.copy, out.data, out.identity.applicationIdentifier], [0, 0, 'secret of alpha', `${TEAM}.com.example.alpha`]);

    // An unregistered one is refused; registered while the daemon runs, it is served without a restart.
    r = await app('beta');
    out = JSON.parse(r.stdout) as typeof out;
    assert.deepEqual([out.add, out.copy], [-34018, -34018]);
    r = await cli('daemon', 'register', '--state', state, 'beta.signed');
    assert.equal(r.code, 0, r.stderr);
    r = await app('beta');
    out = JSON.parse(r.stdout) as typeof out;
    assert.deepEqual([out.add, out.copy, out.data], [0, 0, 'secret of beta']);

    // A second daemon refuses: on the same state directory, and on the same keychain with another one.
    r = await cli('daemon', 'start', '--socket', socket, '--state', state);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`already runs .*pid ${pid}`));
    r = await cli('daemon', 'start', '--socket', join(home.dir, 'run', 'other.sock'), '--state', join(home.dir, 'state2'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`another secitemd \\(pid ${pid}\\) owns the keychain`));
    assert.equal(runningDaemon(state)?.pid, pid);

    // Untrusting the signer reaches the running daemon too.
    r = await cli('daemon', 'untrust', '--state', state, 'team.pub');
    assert.equal(r.code, 0, r.stderr);
    out = JSON.parse((await app('alpha')).stdout) as typeof out;
    assert.equal(out.copy, -34018);

    r = await cli('daemon', 'stop', '--state', state);
    assert.deepEqual([r.code, r.stdout], [0, `secitemd stopped (pid ${pid})\n`]);
    assert.equal(runningDaemon(state), undefined);
    r = await cli('daemon', 'status', '--state', state);
    assert.deepEqual([r.code, r.stdout], [1, 'secitemd is not running\n']);
    r = await cli('daemon', 'stop', '--state', state);
    assert.deepEqual([r.code, r.stdout], [0, 'secitemd is not running\n']);

    // The audit log has one line per call, verifies, and an edited line is found.
    const log = readFileSync(join(state, 'audit.log'), 'utf8');
    assert.equal((log.match(/"fn":"SecItemAdd"/g) ?? []).length, 4);
    assert.ok(!log.includes('secret of'));
    assert.match(log, /"applicationIdentifier":"\(refused\)".*"status":-34018,"reason":"no registered profile matches the script [^"]*beta\.mjs"/);
    r = await cli('daemon', 'audit', '--verify', '--state', state);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    writeFileSync(join(state, 'audit.log'), log.replace(`"applicationIdentifier":"${TEAM}.com.example.beta"`, `"applicationIdentifier":"${TEAM}.com.example.alpha"`));
    r = await cli('daemon', 'audit', '--verify', '--state', state);
    assert.equal(r.code, 93);
    assert.match(r.stdout, /FAILED at line \d+/);
  });

  it('start --foreground serves in its own process until SIGTERM, and exits 0', async () => {
    const fg = join(home.dir, 'fg-state');
    const children: ChildProcess[] = [];
    const foreground = () => {
      const child = spawn(process.execPath, [BIN, 'daemon', 'start', '--foreground', '--socket', join(home.dir, 'run', 'fg.sock'), '--state', fg, 'fg.keychain-db'], {
        env, cwd: home.dir, stdio: ['ignore', 'ignore', 'pipe'],
      });
      children.push(child);
      const run = { child, said: '', exit: new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code))) };
      child.stderr!.on('data', (d) => (run.said += d));
      return run;
    };
    try {
      // A named keychain must exist (errSecNoSuchKeychain, exit 50).
      const missing = foreground();
      assert.equal(await missing.exit, 50, missing.said);

      const created = await cli('create-keychain', '-p', 'pw', 'fg.keychain-db');
      assert.equal(created.code, 0, created.stderr);
      const d = foreground();
      const deadline = Date.now() + 20_000;
      while (!/serves/.test(d.said) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      assert.match(d.said, new RegExp(`pid ${d.child.pid} serves .*fg\\.keychain-db on `));
      const r = await cli('daemon', 'status', '--state', fg);
      assert.equal(r.code, 0, r.stderr);
      // A start is a boot: a keychain with a passcode is before first unlock until the owner unlocks it.
      assert.match(r.stdout, new RegExp(`pid: ${d.child.pid}\\n[^]*lock state: beforeFirstUnlock\\n`));
      d.child.kill('SIGTERM');
      assert.equal(await d.exit, 0, d.said);
      assert.equal(runningDaemon(fg), undefined);
    } finally {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }
  });
});
