/**
 * Several signed apps against one `secitem daemon start`ed daemon, as a user
 * runs them: real CLI commands (dist/src/cli/bin.js) and real client
 * processes (node scripts calling connectKeychain), each app a script of
 * its own registered with a profile.
 *
 * - each app sees only its own groups; a shared keychain-access-group is shared;
 * - the "App ID Prefix Change and Keychain Access" recipe of seed 000: the
 *   old version moves its items into the app group (one SecItemUpdate of
 *   kSecAttrAccessGroup), the version with the new prefix, and the app
 *   transferred to another team, still find them; an item left behind in a
 *   prefix-bound group is lost to them;
 * - -34018 for an unregistered script, a script edited after signing, a
 *   profile whose signer is not trusted, and a script claiming another
 *   app's identifier or access group;
 * - 16 MiB of data crosses the wire both ways; one byte more is errSecParam,
 *   a resolved answer;
 * - trust and registration survive a restart; the socket is found by default
 *   ($XDG_RUNTIME_DIR/secitem/, else under the home directory, a directory
 *   only its user can enter) and through SECITEM_SOCKET;
 * - the audit log rotates by --audit-max-bytes, verifies, has one line per
 *   call with its fields, and no secret.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runningDaemon } from '../../src/daemon/process.js';
import { repoFile } from '../helpers.js';
import { execResult, makeHome } from './helpers.js';
import type { Home } from './helpers.js';

const BIN = repoFile('dist/src/cli/bin.js');
const INDEX = pathToFileURL(repoFile('dist/src/index.js')).href;
const TEAM = 'SKMME9E2Y8';
/** The seed's app before its App ID prefix change (a unique prefix), after it (the Team ID), and after a transfer. */
const OLD_PREFIX = 'A1B2C3D4E5';
const OTHER_TEAM = 'Z9Y8X7W6V5';
const AGI = 'group.com.example.waffle';
const BIG = 16 * 1024 * 1024;

const exec = (file: string, args: string[], env: Record<string, string>, cwd: string) => execResult(file, args, env, cwd);

/**
 * A client app: runs the calls of argv[2] (JSON) through connectKeychain()
 * with no options (the socket from SECITEM_SOCKET or the default path) and
 * prints one JSON array: each call's status, or for a copy that succeeded
 * the data (as text, or `<length>:<all bytes right>` for a sized one).
 */
const APP = `import { connectKeychain } from ${JSON.stringify(INDEX)};
const kc = await connectKeychain();
const out = [];
for (const op of JSON.parse(process.argv[2])) {
  if (op.fn === 'add') {
    const data = op.size !== undefined ? new Uint8Array(op.size).fill(0x5a) : new TextEncoder().encode(op.data);
    out.push((await kc.SecItemAdd({ ...op.q, v_Data: data })).status);
  } else if (op.fn === 'copy') {
    const r = await kc.SecItemCopyMatching({ ...op.q, r_Data: true });
    out.push(r.status !== 0 ? r.status : op.sized ? r.result.length + ':' + r.result.every((b) => b === 0x5a) : new TextDecoder().decode(r.result));
  } else if (op.fn === 'update') {
    out.push(await kc.SecItemUpdate(op.q, op.u));
  } else if (op.fn === 'delete') {
    out.push(await kc.SecItemDelete(op.q));
  } else if (op.fn === 'hello') {
    const id = await kc.identity;
    out.push(id.status === 0 ? id.result.applicationIdentifier : id.status);
  }
}
process.stdout.write(JSON.stringify(out) + '\\n');
await kc.close();
`;

type Op =
  | { fn: 'add'; q: Record<string, unknown>; data?: string; size?: number }
  | { fn: 'copy'; q: Record<string, unknown>; sized?: boolean }
  | { fn: 'update'; q: Record<string, unknown>; u: Record<string, unknown> }
  | { fn: 'delete'; q: Record<string, unknown> }
  | { fn: 'hello' };

const genp = (svce: string, extra: Record<string, unknown> = {}) => ({ class: 'genp', svce, acct: 'me', ...extra });

describe('signed apps through a daemon started by the CLI', () => {
  let home: Home;
  let state: string;
  let env: Record<string, string>;
  const cli = (args: string[], extra: Record<string, string> = {}) => exec(process.execPath, [BIN, ...args], { ...env, ...extra }, home.dir);
  const app = async (name: string, ops: Op[], extra: Record<string, string> = {}): Promise<unknown[]> => {
    const r = await exec(process.execPath, [join(home.dir, `${name}.mjs`), JSON.stringify(ops)], { ...env, ...extra }, home.dir);
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    return JSON.parse(r.stdout) as unknown[];
  };
  const ok = async (args: string[], extra: Record<string, string> = {}) => {
    const r = await cli(args, extra);
    assert.equal(r.code, 0, `secitem ${args.join(' ')}: ${r.stdout}${r.stderr}`);
    return r;
  };
  /** Writes NAME.mjs and NAME.signed (a profile of APP_ID for it, signed by SIGNER.key). */
  const makeApp = async (name: string, appId: string, options: { groups?: string[]; appGroups?: string[]; signer?: string } = {}) => {
    writeFileSync(join(home.dir, `${name}.mjs`), APP);
    await ok(['profile', 'create', '--app-id', appId, ...(options.groups ?? []).flatMap((g) => ['--group', g]),
      ...(options.appGroups ?? []).flatMap((g) => ['--app-group', g]), '--script', `${name}.mjs`, '-o', `${name}.json`]);
    await ok(['profile', 'sign', '--signer', `${options.signer ?? 'team'}.key`, `${name}.json`]);
  };

  before(async () => {
    home = makeHome();
    state = join(home.dir, '.local', 'state', 'secitem', 'daemon');
    const runtime = join(home.dir, 'xdg-runtime');
    mkdirSync(runtime, { mode: 0o700 });
    env = { ...home.env, XDG_RUNTIME_DIR: runtime, PATH: process.env['PATH'] ?? '/usr/bin:/bin' };
    await ok(['profile', 'signer-create', 'team']);
    await ok(['profile', 'signer-create', 'mallory']);
    await ok(['daemon', 'trust', 'team.pub']);
    await makeApp('alpha', `${TEAM}.com.example.alpha`, { groups: [`${TEAM}.shared`] });
    await makeApp('beta', `${TEAM}.com.example.beta`, { groups: [`${TEAM}.shared`] });
    await makeApp('gamma', `${TEAM}.com.example.gamma`);
    await makeApp('waffle-v1', `${OLD_PREFIX}.com.example.waffle-varnisher`, { groups: [`${OLD_PREFIX}.groupA`, `${OLD_PREFIX}.groupB`], appGroups: [AGI] });
    await makeApp('waffle-v2', `${TEAM}.com.example.waffle-varnisher`, { appGroups: [AGI] });
    await makeApp('waffle-transferred', `${OTHER_TEAM}.com.example.waffle-varnisher`, { appGroups: [AGI] });
    // Mallory's script claims alpha's identifier and groups, vouched for by a signer of her own.
    await makeApp('mallory', `${TEAM}.com.example.alpha`, { groups: [`${TEAM}.shared`], signer: 'mallory' });
    writeFileSync(join(home.dir, 'stranger.mjs'), APP);
    for (const name of ['alpha', 'beta', 'gamma', 'waffle-v1', 'waffle-v2', 'waffle-transferred']) await ok(['daemon', 'register', `${name}.signed`]);
  });

  after(() => {
    for (const dir of [state, join(home.dir, 'owner-state')]) {
      const running = runningDaemon(dir);
      if (running !== undefined) process.kill(running.pid, 'SIGKILL');
    }
    home.cleanup();
  });

  it('isolates apps, shares a shared group, refuses impostors, carries items across an App ID prefix change, and keeps it all across a restart', async () => {
    // The default socket: $XDG_RUNTIME_DIR/secitem/, a directory only its user can enter.
    let r = await ok(['daemon', 'start', '--audit-max-bytes', '4096']);
    const socket = join(env['XDG_RUNTIME_DIR']!, 'secitem', 'secitemd.sock');
    assert.match(r.stdout, new RegExp(`socket: ${socket}\\n`));
    assert.equal(statSync(dirname(socket)).mode & 0o777, 0o700);

    // Each app sees its own group; the shared keychain-access-group is shared.
    assert.deepEqual(await app('alpha', [
      { fn: 'hello' },
      { fn: 'add', q: genp('alpha-private', { agrp: `${TEAM}.com.example.alpha` }), data: 'secret of alpha' },
      { fn: 'add', q: genp('team-shared', { agrp: `${TEAM}.shared` }), data: 'shared secret' },
    ]), [`${TEAM}.com.example.alpha`, 0, 0]);
    assert.deepEqual(await app('beta', [
      { fn: 'copy', q: genp('alpha-private') },
      { fn: 'copy', q: genp('team-shared') },
      // Naming alpha's group is asking for an entitlement beta does not have.
      { fn: 'copy', q: genp('alpha-private', { agrp: `${TEAM}.com.example.alpha` }) },
      { fn: 'add', q: genp('planted', { agrp: `${TEAM}.com.example.alpha` }), data: 'x' },
    ]), [-25300, 'shared secret', -34018, -34018]);
    assert.deepEqual(await app('gamma', [{ fn: 'copy', q: genp('team-shared') }, { fn: 'add', q: genp('gamma'), data: 'g' }]), [-25300, 0]);

    // Refused with errSecMissingEntitlement for every call: an unregistered script, ...
    const refused = [{ fn: 'hello' }, { fn: 'copy', q: genp('team-shared') }, { fn: 'add', q: genp('x'), data: 'x' }] as Op[];
    assert.deepEqual(await app('stranger', refused), [-34018, -34018, -34018]);
    // ... a profile claiming alpha's identifier signed by a signer the daemon does not trust (not even registered) ...
    r = await cli(['daemon', 'register', 'mallory.signed']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not trusted/);
    assert.deepEqual(await app('mallory', refused), [-34018, -34018, -34018]);
    // ... which does not take alpha's place either ...
    assert.deepEqual(await app('alpha', [{ fn: 'hello' }, { fn: 'copy', q: genp('alpha-private') }]), [`${TEAM}.com.example.alpha`, 'secret of alpha']);
    // ... and a registered script edited after signing.
    appendFileSync(join(home.dir, 'gamma.mjs'), '// edited\n');
    assert.deepEqual(await app('gamma', refused), [-34018, -34018, -34018]);

    // Seed 000, "App ID Prefix Change and Keychain Access": v1 (unique prefix) stores its items in groupA, its default,
    // then moves MyService's to the app group (one SecItemUpdate of kSecAttrAccessGroup); another item stays behind.
    assert.deepEqual(await app('waffle-v1', [
      { fn: 'add', q: genp('MyService'), data: 'opendoor' },
      { fn: 'add', q: genp('Forgotten'), data: 'left behind' },
      { fn: 'copy', q: genp('MyService', { agrp: `${OLD_PREFIX}.groupA` }) },
      { fn: 'update', q: { class: 'genp', agrp: `${OLD_PREFIX}.groupA`, svce: 'MyService' }, u: { agrp: AGI } },
      { fn: 'copy', q: genp('MyService', { agrp: AGI }) },
    ]), [0, 0, 'opendoor', 0, 'opendoor']);
    // v2, with the Team ID as its prefix, keeps the app group: the moved item is there, the other is lost to it.
    assert.deepEqual(await app('waffle-v2', [
      { fn: 'copy', q: genp('MyService') },
      { fn: 'copy', q: genp('Forgotten') },
      { fn: 'copy', q: genp('Forgotten', { agrp: `${OLD_PREFIX}.groupA` }) },
    ]), ['opendoor', -25300, -34018]);
    // The app transferred to another team, with the app group transferred too, finds it as well; the item left in a
    // normal keychain access group is what App Store Connect's "potential loss of keychain access" warning is about.
    assert.deepEqual(await app('waffle-transferred', [{ fn: 'copy', q: genp('MyService') }, { fn: 'copy', q: genp('Forgotten') }]), ['opendoor', -25300]);

    // 16 MiB of data crosses the wire both ways; one byte more is errSecParam, answered (never a rejected Promise).
    assert.deepEqual(await app('alpha', [
      { fn: 'add', q: genp('big'), size: BIG },
      { fn: 'copy', q: genp('big'), sized: true },
      { fn: 'add', q: genp('bigger'), size: BIG + 1 },
    ]), [0, `${BIG}:true`, -50]);

    // A restart on the same state: trust and registrations persisted. Without $XDG_RUNTIME_DIR the socket is under the home directory.
    await ok(['daemon', 'stop']);
    assert.equal(existsSync(socket), false);
    const noRuntime = { XDG_RUNTIME_DIR: '' };
    r = await ok(['daemon', 'start', '--audit-max-bytes', '4096'], noRuntime);
    const homeSocket = /socket: (.*)\n/.exec(r.stdout)![1]!;
    assert.ok(homeSocket.startsWith(`${home.dir}/`), homeSocket);
    assert.equal(statSync(dirname(homeSocket)).mode & 0o777, 0o700);
    assert.deepEqual(await app('alpha', [{ fn: 'copy', q: genp('alpha-private') }], noRuntime), ['secret of alpha']);
    assert.deepEqual(await app('waffle-v2', [{ fn: 'copy', q: genp('MyService') }], noRuntime), ['opendoor']);
    assert.deepEqual(await app('stranger', [{ fn: 'copy', q: genp('team-shared') }], noRuntime), [-34018]);
    await ok(['daemon', 'stop']);

    // --socket PATH for the daemon; SECITEM_SOCKET for the clients and the CLI.
    const custom = join(home.dir, 'sockets', 'kc.sock');
    r = await ok(['daemon', 'start', '--socket', custom, '--audit-max-bytes', '4096']);
    assert.match(r.stdout, new RegExp(`socket: ${custom}\\n`));
    assert.equal(statSync(dirname(custom)).mode & 0o777, 0o700);
    assert.deepEqual(await app('beta', [{ fn: 'copy', q: genp('team-shared') }], { SECITEM_SOCKET: custom }), ['shared secret']);
    r = await ok(['daemon', 'status'], { SECITEM_SOCKET: custom });
    assert.match(r.stdout, new RegExp(`socket: ${custom}\\n`));
    await ok(['daemon', 'stop']);
    assert.equal((await cli(['daemon', 'status'])).code, 1);

    // The audit log: rotated by size, verified across the files, one line per call, no secret or value.
    const files = readdirSync(state).filter((f) => /^audit\.log(\.\d+)?$/.test(f));
    assert.ok(files.includes('audit.log.1'), files.join(' '));
    for (const f of files) assert.ok(statSync(join(state, f)).size <= 4096, `${f} is over --audit-max-bytes`);
    r = await ok(['daemon', 'audit', '--verify']);
    assert.match(r.stdout, /ok: \d+ lines verified/);
    const lines = files.flatMap((f) => readFileSync(join(state, f), 'utf8').split('\n')).filter((l) => l.includes('"fn"'));
    const text = lines.join('\n');
    for (const secret of ['secret of alpha', 'shared secret', 'opendoor', 'left behind', 'alpha-private', 'MyService', 'Forgotten', 'team-shared']) {
      assert.ok(!text.includes(secret), `the audit log holds ${JSON.stringify(secret)}`);
    }
    const moved = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((e) => e['fn'] === 'SecItemUpdate' && e['applicationIdentifier'] === `${OLD_PREFIX}.com.example.waffle-varnisher`);
    assert.ok(moved !== undefined, 'the move is in the log');
    assert.equal(moved['cls'], 'genp');
    assert.equal(moved['group'], `${OLD_PREFIX}.groupA`);
    assert.equal(moved['status'], 0);
    assert.equal(typeof moved['pid'], 'number');
    assert.match(String(moved['itemDigest']), /^[0-9a-f]{16,}$/);
    assert.ok(!Number.isNaN(Date.parse(String(moved['time']))));
    assert.ok(lines.some((l) => /"applicationIdentifier":"\(refused\)".*"status":-34018,"reason":"the script changed since its profile was signed"/.test(l)));
  });

  it("owner operations through a started daemon apply to every later command; status exits 3 when the daemon does not answer", async () => {
    const ownerState = join(home.dir, 'owner-state');
    const socket = join(home.dir, 'owner-run', 'o.sock');
    await ok(['create-keychain', '-p', 'pw', 'pw.keychain-db']);
    const r = await ok(['daemon', 'start', '--socket', socket, '--state', ownerState, 'pw.keychain-db']);
    const pid = Number(/pid (\d+)/.exec(r.stdout)![1]);
    const lockState = async () => /lock state: (.*)\n/.exec((await ok(['daemon', 'status', '--state', ownerState])).stdout)![1];
    // The command line finds this daemon as clients do: through SECITEM_SOCKET (it is not at the default path).
    const saved = env;
    env = { ...env, SECITEM_SOCKET: socket };
    try {
      // A start is a boot; the owner's unlock lasts across commands until lock-keychain.
      assert.equal(await lockState(), 'beforeFirstUnlock');
      await ok(['unlock-keychain', '-p', 'pw', 'pw.keychain-db']);
      await ok(['add-generic-password', '-s', 'svc', '-a', 'me', '-w', 'pass1', 'pw.keychain-db']);
      assert.equal((await ok(['find-generic-password', '-s', 'svc', '-w', 'pw.keychain-db'])).stdout, 'pass1\n');
      await ok(['lock-keychain', 'pw.keychain-db']);
      assert.equal((await cli(['find-generic-password', '-s', 'svc', '-w', 'pw.keychain-db'])).code, 36);
      // A new passcode: the old one no longer unlocks.
      await ok(['unlock-keychain', '-p', 'pw', 'pw.keychain-db']);
      await ok(['set-keychain-password', '-o', 'pw', '-p', 'pw2', 'pw.keychain-db']);
      await ok(['lock-keychain', 'pw.keychain-db']);
      assert.notEqual((await cli(['unlock-keychain', '-p', 'pw', 'pw.keychain-db'])).code, 0);
      await ok(['unlock-keychain', '-p', 'pw2', 'pw.keychain-db']);
      assert.equal(await lockState(), 'unlocked');
      // The idle lock: locked after a second without a call.
      await ok(['set-keychain-settings', '-u', '-t', '1', 'pw.keychain-db']);
      await new Promise((resolve) => setTimeout(resolve, 2500));
      assert.equal(await lockState(), 'locked');

      // A daemon that runs but does not answer: exit 3.
      process.kill(pid, 'SIGSTOP');
      try {
        const stalled = await cli(['daemon', 'status', '--state', ownerState]);
        assert.equal(stalled.code, 3, stalled.stdout + stalled.stderr);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
    } finally {
      env = saved;
      await ok(['daemon', 'stop', '--state', ownerState]);
    }
  });
});

describe('the systemd units in contrib/systemd', () => {
  it('run `secitem daemon start --foreground` as a simple service stopped by SIGTERM, and pass systemd-analyze verify', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secitem-units-'));
    try {
      for (const unit of ['secitemd.service', 'secitemd-system.service']) {
        const text = readFileSync(repoFile(join('contrib', 'systemd', unit)), 'utf8');
        assert.match(text, /^Type=simple$/m, unit);
        assert.match(text, /^KillSignal=SIGTERM$/m, unit);
        assert.match(text, /^ExecStart=\/\S+\/secitem daemon start --foreground\b/m, unit);
        // systemd checks that ExecStart's program exists: point it at this build.
        writeFileSync(join(dir, unit), text.replace(/^ExecStart=\S+\/secitem /m, `ExecStart=${process.execPath} ${BIN} `));
      }
      assert.match(readFileSync(repoFile('contrib/systemd/secitemd-system.service'), 'utf8'), /^User=secitem$/m);
      const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((f) => existsSync(f));
      if (analyze === undefined) return;
      for (const unit of ['secitemd.service', 'secitemd-system.service']) {
        const r = await exec(analyze, ['verify', join(dir, unit)], { PATH: process.env['PATH'] ?? '/usr/bin:/bin' }, dir);
        assert.equal(r.code, 0, `${unit}: ${r.stdout}${r.stderr}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
