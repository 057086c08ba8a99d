/**
 * The Secret Service provider against a private dbus-daemon the tests start
 * (never the user's session bus): libsecret's `secret-tool`, Python's
 * `keyring` and `secretstorage` (Debian's, /usr/bin/python3), the
 * dh-ietf1024 session, access groups of registered apps, and a locked
 * keychain. Every bus and provider stops in `after`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createDiffieHellmanGroup } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dbus from 'dbus-next';
import { openKeychain } from '../../src/index.js';
import type { Caller } from '../../src/daemon/caller.js';
import type { ProfileRegistryLike } from '../../src/daemon/server.js';
import { runDaemon, type DaemonProcess } from '../../src/daemon/process.js';
import { startPrivateBus, type PrivateBus } from '../../src/daemon/secret-service/bus.js';
import { encodeAttributes } from '../../src/daemon/secret-service/attributes.js';
import { startSecretService, type SecretServiceProvider } from '../../src/daemon/secret-service/provider.js';
import { aesDecode, aesEncode, dhAesKey, DH_AES } from '../../src/daemon/secret-service/session.js';
import type { Entitlements } from '../../src/types.js';
import { repoFile } from '../helpers.js';
import { makeHome, type Home } from '../cli/helpers.js';

const PYTHON = '/usr/bin/python3';

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}
/** Runs a program with the test bus as its session bus; killed after `timeoutMs`. */
function run(cmd: string, args: string[], env: Record<string, string>, input?: string, timeoutMs = 20_000): Promise<Ran> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
    child.stdin.end(input ?? '');
  });
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'secitem-ss-'));
}

describe('Secret Service provider (secitemd --secret-service)', () => {
  let dir: string;
  let bus: PrivateBus;
  let d: DaemonProcess;
  let env: Record<string, string>;

  before(async () => {
    dir = tempDir();
    bus = await startPrivateBus();
    d = await runDaemon({
      keychainPath: join(dir, 'kc.keychain-db'), stateDir: join(dir, 'state'), socketPath: join(dir, 'run', 'secitemd.sock'),
      signals: false, log: () => {}, secretService: { busAddress: bus.address },
    });
    env = { DBUS_SESSION_BUS_ADDRESS: bus.address };
  });
  after(async () => {
    await d?.close();
    await bus?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('secret-tool store, lookup, search and clear round trip', async () => {
    const store = await run('secret-tool', ['store', '--label=Test item', 'service', 'svc1', 'user', 'alice'], env, 'hunter2 ünïcode');
    assert.equal(store.code, 0, store.stderr);
    const lookup = await run('secret-tool', ['lookup', 'service', 'svc1', 'user', 'alice'], env);
    assert.equal(lookup.code, 0, lookup.stderr);
    assert.equal(lookup.stdout, 'hunter2 ünïcode');
    // store again with the same attributes: replaced, not duplicated
    assert.equal((await run('secret-tool', ['store', '--label=Test item 2', 'service', 'svc1', 'user', 'alice'], env, 'second')).code, 0);
    const search = await run('secret-tool', ['search', '--all', 'service', 'svc1'], env);
    assert.equal(search.code, 0, search.stderr);
    assert.equal(search.stdout.match(/^label = /gm)?.length, 1, search.stdout);
    assert.match(search.stdout, /label = Test item 2/);
    assert.match(search.stdout, /secret = second/);
    assert.match(search.stderr, /attribute\.user = alice/); // secret-tool prints the attributes on stderr
    // replace matches as SearchItems does (gnome-keyring, KeePassXC): an item holding every given pair, extra ones too;
    // the item then has the new label, attributes and secret, as a new one would
    assert.equal((await run('secret-tool', ['store', '--label=Test item 3', 'service', 'svc1'], env, 'third')).code, 0);
    const replaced = await run('secret-tool', ['search', '--all', 'service', 'svc1'], env);
    assert.equal(replaced.stdout.match(/^label = /gm)?.length, 1, replaced.stdout);
    assert.match(replaced.stdout, /secret = third/);
    assert.doesNotMatch(replaced.stderr, /attribute\.user/);
    assert.equal((await run('secret-tool', ['store', '--label=Test item 2', 'service', 'svc1', 'user', 'alice'], env, 'second')).code, 0);
    assert.equal((await run('secret-tool', ['lookup', 'service', 'svc1', 'user', 'bob'], env)).code, 1);
    const clear = await run('secret-tool', ['clear', 'service', 'svc1'], env);
    assert.equal(clear.code, 0, clear.stderr);
    const gone = await run('secret-tool', ['lookup', 'service', 'svc1', 'user', 'alice'], env);
    assert.equal(gone.code, 1);
    assert.equal(gone.stdout, '');
    // the daemon's audit log has the calls that wrote and read secrets, by the shared group
    const log = readFileSync(join(dir, 'state', 'audit.log'), 'utf8');
    const fns = log.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { fn?: string; group?: string; status?: number });
    const created = fns.filter((e) => e.fn === 'SecretService.CreateItem');
    assert.ok(created.length >= 2, log);
    assert.ok(created.every((e) => e.group === 'secitem.secret-service' && e.status === 0), log);
    assert.ok(fns.some((e) => e.fn === 'SecretService.GetSecrets' || e.fn === 'SecretService.GetSecret'), log);
    assert.ok(fns.some((e) => e.fn === 'SecretService.Delete'), log);
  });

  it('stores its items as generic passwords of the shared group, attributes sealed in gena', async () => {
    assert.equal((await run('secret-tool', ['store', '--label=kc', 'service', 'svc-kc'], env, 'v')).code, 0);
    const owner = d.daemon.keychain.client({ applicationIdentifier: 'test.owner', keychainAccessGroups: ['*'] });
    const r = owner.SecItemCopyMatching({ class: 'genp', svce: 'org.freedesktop.Secret', m_Limit: 'm_LimitAll', r_Attributes: true, r_Data: true });
    assert.equal(r.status, 0);
    const items = r.result as Record<string, unknown>[];
    const mine = items.find((i) => i['labl'] === 'kc');
    assert.ok(mine, JSON.stringify(items));
    assert.equal(mine['agrp'], 'secitem.secret-service');
    assert.deepEqual(JSON.parse(Buffer.from(mine['gena'] as Uint8Array).toString()), [['service', 'svc-kc']]);
    assert.equal(Buffer.from(mine['v_Data'] as Uint8Array).toString(), 'v');
    assert.equal((await run('secret-tool', ['clear', 'service', 'svc-kc'], env)).code, 0);
  });

  it("Python keyring's SecretService backend: set, get, delete", { skip: !existsSync(PYTHON) && 'no /usr/bin/python3' }, async () => {
    const script = `
import keyring, keyring.errors
keyring.set_password("svc2", "bob", "pässwörd")
print(keyring.get_password("svc2", "bob"))
keyring.set_password("svc2", "bob", "changed")
print(keyring.get_password("svc2", "bob"))
keyring.delete_password("svc2", "bob")
print(keyring.get_password("svc2", "bob"))
try:
    keyring.delete_password("svc2", "bob")
except keyring.errors.PasswordDeleteError:
    print("not found")
`;
    const r = await run(PYTHON, ['-c', script], { ...env, PYTHON_KEYRING_BACKEND: 'keyring.backends.SecretService.Keyring' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'pässwörd\nchanged\nNone\nnot found\n');
  });

  it('secretstorage uses the dh-ietf1024 session: items, labels, attributes, secrets, deletion', { skip: !existsSync(PYTHON) && 'no /usr/bin/python3' }, async () => {
    const script = `
import secretstorage
c = secretstorage.dbus_init()
col = secretstorage.get_default_collection(c)
it = col.create_item("L", {"a": "1", "b": "x"}, b"s3cret\\x00\\xff", replace=True)
print(col.session.encrypted, col.is_locked())
print(it.get_secret(), it.get_label(), sorted(it.get_attributes().items()))
print([i.get_label() for i in col.search_items({"a": "1"})], list(secretstorage.search_items(c, {"a": "nope"})))
it.set_label("L3"); it.set_attributes({"a": "2"}); it.set_secret(b"x")
print(it.get_label(), it.get_attributes(), it.get_secret(), it.get_created() > 0, it.is_locked())
it.delete()
print(list(col.search_items({"a": "2"})))
s = secretstorage.get_collection_by_alias(c, "session")
t = s.create_item("tmp", {"k": "v"}, b"mem")
print(t.item_path.startswith("/org/freedesktop/secrets/collection/session/"), [i.get_secret() for i in s.search_items({"k": "v"})])
`;
    const r = await run(PYTHON, ['-c', script], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, [
      'True False',
      "b's3cret\\x00\\xff' L [('a', '1'), ('b', 'x')]",
      "['L'] []",
      "L3 {'a': '2'} b'x' True False",
      '[]',
      "True [b'mem']",
      '',
    ].join('\n'));
  });

  it('a dh-ietf1024 session from node (modp2, HKDF-SHA256, AES-128-CBC): nothing secret in clear on the bus', async () => {
    const client = dbus.sessionBus({ busAddress: bus.address });
    try {
      const call = async (path: string, iface: string, member: string, signature: string, body: unknown[]) =>
        (await client.call(new dbus.Message({ destination: 'org.freedesktop.secrets', path, interface: iface, member, signature, body })))!.body as unknown[];
      const dh = createDiffieHellmanGroup('modp2');
      const pub = dh.generateKeys();
      const [output, sessionPath] = await call('/org/freedesktop/secrets', 'org.freedesktop.Secret.Service', 'OpenSession', 'sv', [DH_AES, new dbus.Variant('ay', pub)]);
      const serverKey = (output as InstanceType<typeof dbus.Variant>).value as Buffer;
      assert.equal(serverKey.length, 128);
      const key = dhAesKey(dh.computeSecret(serverKey));
      const secret = Buffer.from('a secret sent encrypted');
      const { parameters, value } = aesEncode(key, secret);
      assert.ok(!value.includes(secret));
      const props = { 'org.freedesktop.Secret.Item.Label': new dbus.Variant('s', 'from node'), 'org.freedesktop.Secret.Item.Attributes': new dbus.Variant('a{ss}', { node: 'dh' }) };
      const [itemPath, prompt] = await call('/org/freedesktop/secrets/aliases/default', 'org.freedesktop.Secret.Collection', 'CreateItem', 'a{sv}(oayays)b', [props, [sessionPath, parameters, value, 'text/plain'], true]);
      assert.equal(prompt, '/');
      assert.match(String(itemPath), /^\/org\/freedesktop\/secrets\/collection\/login\/[0-9a-f]+$/);
      const [secrets] = await call('/org/freedesktop/secrets', 'org.freedesktop.Secret.Service', 'GetSecrets', 'aoo', [[itemPath], sessionPath]);
      const got = (secrets as Record<string, [string, Buffer, Buffer, string]>)[String(itemPath)]!;
      assert.equal(got[0], sessionPath);
      assert.equal(got[1].length, 16);
      assert.ok(!got[2].includes(secret));
      assert.deepEqual(aesDecode(key, got[1], got[2]), secret);
      assert.equal(got[3], 'text/plain');
      // a plain session of another connection cannot use this connection's session
      const other = dbus.sessionBus({ busAddress: bus.address });
      try {
        await assert.rejects(
          other.call(new dbus.Message({ destination: 'org.freedesktop.secrets', path: String(itemPath), interface: 'org.freedesktop.Secret.Item', member: 'GetSecret', signature: 'o', body: [sessionPath] })),
          /NoSession|no session/i,
        );
      } finally {
        other.disconnect();
      }
      const [deletePrompt] = await call(String(itemPath), 'org.freedesktop.Secret.Item', 'Delete', '', []);
      assert.equal(deletePrompt, '/');
      await call(String(sessionPath), 'org.freedesktop.Secret.Session', 'Close', '', []);
    } finally {
      client.disconnect();
    }
  });

  it('announces ItemCreated and ItemDeleted', async () => {
    const client = dbus.sessionBus({ busAddress: bus.address });
    try {
      await client.call(new dbus.Message({
        destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'AddMatch', signature: 's',
        body: ["type='signal',interface='org.freedesktop.Secret.Collection'"],
      }));
      const seen: string[] = [];
      client.on('message', (m: InstanceType<typeof dbus.Message>) => {
        if (m.interface === 'org.freedesktop.Secret.Collection') seen.push(`${m.member} ${m.path}`);
      });
      assert.equal((await run('secret-tool', ['store', '--label=sig', 'service', 'sig'], env, 'v')).code, 0);
      assert.equal((await run('secret-tool', ['clear', 'service', 'sig'], env)).code, 0);
      for (let i = 0; i < 50 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(seen.length, 2, seen.join('\n'));
      assert.match(seen[0]!, /^ItemCreated \/org\/freedesktop\/secrets\/collection\/login$/);
      assert.match(seen[1]!, /^ItemDeleted \/org\/freedesktop\/secrets\/collection\/login$/);
    } finally {
      client.disconnect();
    }
  });
});

describe('Secret Service provider: access groups and a locked keychain', () => {
  let dir: string;
  let bus: PrivateBus;
  let provider: SecretServiceProvider;
  let keychain: ReturnType<typeof openKeychain>;
  let env: Record<string, string>;

  /** Stand-in identification: a caller is the app its environment's SS_TEST_APP names (a test's registered app). */
  const apps: Record<string, Entitlements> = {
    appA: { applicationIdentifier: 'TEAM.app.a', keychainAccessGroups: ['TEAM.app.a'] },
    appB: { applicationIdentifier: 'TEAM.app.b', keychainAccessGroups: ['TEAM.app.b'] },
  };
  const profiles: ProfileRegistryLike = {
    identify: (caller: Caller) => {
      const e = caller.script === undefined ? undefined : apps[caller.script];
      return e ? { entitlements: e, owner: false } : { refused: 'no profile matches this caller' };
    },
  };
  const identify = async (pid: number, uid: number): Promise<Caller> => {
    const app = /(?:^|\0)SS_TEST_APP=([^\0]*)/.exec(readFileSync(`/proc/${pid}/environ`, 'latin1'))?.[1];
    return { pid, uid, gid: 0, executable: 'stand-in', executableSha256: '', startTime: 0, ...(app ? { script: app, scriptSha256: '' } : {}) };
  };

  before(async () => {
    dir = tempDir();
    bus = await startPrivateBus();
    keychain = openKeychain({ path: join(dir, 'kc.keychain-db'), passcode: 'correct horse' });
    provider = await startSecretService({ keychain, profiles, busAddress: bus.address, identify, log: () => {} });
    env = { DBUS_SESSION_BUS_ADDRESS: bus.address };
  });
  after(async () => {
    await provider?.close();
    keychain?.close();
    await bus?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('two registered apps cannot read each other\'s items; unregistered callers share theirs', async () => {
    const as = (app?: string) => (app ? { ...env, SS_TEST_APP: app } : env);
    assert.equal((await run('secret-tool', ['store', '--label=a', 'service', 'iso'], as('appA'), 'secret of A')).code, 0);
    assert.equal((await run('secret-tool', ['store', '--label=b', 'service', 'iso'], as('appB'), 'secret of B')).code, 0);
    assert.equal((await run('secret-tool', ['store', '--label=shared', 'service', 'iso'], as(), 'shared secret')).code, 0);
    assert.equal((await run('secret-tool', ['lookup', 'service', 'iso'], as('appA'))).stdout, 'secret of A');
    assert.equal((await run('secret-tool', ['lookup', 'service', 'iso'], as('appB'))).stdout, 'secret of B');
    assert.equal((await run('secret-tool', ['lookup', 'service', 'iso'], as())).stdout, 'shared secret');
    assert.equal((await run('secret-tool', ['lookup', 'service', 'iso'], as('unregistered-other'))).stdout, 'shared secret');
    const searchA = await run('secret-tool', ['search', '--all', 'service', 'iso'], as('appA'));
    assert.equal(searchA.stdout.match(/^label = /gm)?.length, 1, searchA.stdout);
    // B clearing 'iso' removes only B's item
    assert.equal((await run('secret-tool', ['clear', 'service', 'iso'], as('appB'))).code, 0);
    assert.equal((await run('secret-tool', ['lookup', 'service', 'iso'], as('appA'))).stdout, 'secret of A');
    assert.equal((await run('secret-tool', ['lookup', 'service', 'iso'], as('appB'))).code, 1);
    // an item path of A's is no object for B
    const client = dbus.sessionBus({ busAddress: bus.address });
    try {
      const [paths] = (await client.call(new dbus.Message({
        destination: 'org.freedesktop.secrets', path: '/org/freedesktop/secrets', interface: 'org.freedesktop.Secret.Service', member: 'SearchItems', signature: 'a{ss}', body: [{ service: 'iso' }],
      })))!.body as [string[]];
      assert.equal(paths.length, 1); // the shared one: this test process is unregistered
    } finally {
      client.disconnect();
    }
  });

  it('another connection on the bus learns that Items, Label or Attributes changed, never their values (signals go to every connection)', async () => {
    const listener = dbus.sessionBus({ busAddress: bus.address });
    const as = (app?: string) => (app ? { ...env, SS_TEST_APP: app } : env);
    try {
      await listener.call(new dbus.Message({
        destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'AddMatch', signature: 's',
        body: ["type='signal',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged'"],
      }));
      const seen: { path: string; iface: string; changed: Record<string, unknown>; invalidated: string[] }[] = [];
      listener.on('message', (m: InstanceType<typeof dbus.Message>) => {
        if (m.member === 'PropertiesChanged') {
          const [iface, changed, invalidated] = m.body as [string, Record<string, unknown>, string[]];
          seen.push({ path: String(m.path), iface, changed, invalidated });
        }
      });
      assert.equal((await run('secret-tool', ['store', '--label=private label of A', 'service', 'signals', 'user', 'alice-of-A'], as('appA'), 'v')).code, 0);
      assert.equal((await run('secret-tool', ['clear', 'service', 'signals'], as('appA'))).code, 0);
      for (let i = 0; i < 50 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(seen.map((s) => [s.path, s.iface, s.invalidated]), [
        ['/org/freedesktop/secrets/collection/login', 'org.freedesktop.Secret.Collection', ['Items']],
        ['/org/freedesktop/secrets/collection/login', 'org.freedesktop.Secret.Collection', ['Items']],
      ]);
      for (const s of seen) assert.deepEqual(s.changed, {}, 'no values in a broadcast signal');
    } finally {
      listener.disconnect();
    }
  });

  it('finds, and stops finding, items written underneath it through SecItem calls (its index never answers from before a change)', async () => {
    const shared = keychain.client({ applicationIdentifier: 'secitem.secret-service', keychainAccessGroups: ['secitem.secret-service'] });
    const base = { class: 'genp', svce: 'org.freedesktop.Secret', agrp: 'secitem.secret-service' };
    // a search first, so the index holds a view of the group
    assert.equal((await run('secret-tool', ['lookup', 'service', 'under'], env)).code, 1);
    assert.equal(shared.SecItemAdd({ ...base, acct: 'underneath', labl: 'u', gena: encodeAttributes({ service: 'under', user: 'u1' }), v_Data: Buffer.from('written underneath') }).status, 0);
    assert.equal((await run('secret-tool', ['lookup', 'service', 'under', 'user', 'u1'], env)).stdout, 'written underneath');
    assert.equal(shared.SecItemUpdate({ ...base, acct: 'underneath' }, { gena: encodeAttributes({ service: 'under', user: 'u2' }) }), 0);
    assert.equal((await run('secret-tool', ['lookup', 'service', 'under', 'user', 'u1'], env)).code, 1);
    assert.equal((await run('secret-tool', ['lookup', 'service', 'under', 'user', 'u2'], env)).stdout, 'written underneath');
    assert.equal(shared.SecItemDelete({ ...base, acct: 'underneath' }), 0);
    assert.equal((await run('secret-tool', ['lookup', 'service', 'under'], env)).code, 1);
  });

  it('a locked keychain makes secret-tool lookup fail at once, unlocking restores it', async () => {
    assert.equal((await run('secret-tool', ['store', '--label=l', 'service', 'lock'], env, 'before the lock')).code, 0);
    assert.equal(keychain.lock(), 0);
    const locked = await run('secret-tool', ['lookup', 'service', 'lock'], env, undefined, 10_000);
    assert.notEqual(locked.code, 0);
    assert.equal(locked.stdout, '');
    assert.ok(locked.ms < 5000, `took ${locked.ms} ms`);
    const store = await run('secret-tool', ['store', '--label=l2', 'service', 'lock2'], env, 'x', 10_000);
    assert.notEqual(store.code, 0);
    // Unlock over the bus answers a prompt that completes dismissed (the passcode never travels on the bus)
    const client = dbus.sessionBus({ busAddress: bus.address });
    try {
      const call = async (path: string, iface: string, member: string, signature: string, body: unknown[]) =>
        (await client.call(new dbus.Message({ destination: 'org.freedesktop.secrets', path, interface: iface, member, signature, body })))!.body as unknown[];
      const [lockedProp] = await call('/org/freedesktop/secrets/collection/login', 'org.freedesktop.DBus.Properties', 'Get', 'ss', ['org.freedesktop.Secret.Collection', 'Locked']);
      assert.equal((lockedProp as InstanceType<typeof dbus.Variant>).value, true);
      const [unlocked, prompt] = await call('/org/freedesktop/secrets', 'org.freedesktop.Secret.Service', 'Unlock', 'ao', [['/org/freedesktop/secrets/collection/login']]);
      assert.deepEqual(unlocked, []);
      assert.match(String(prompt), /^\/org\/freedesktop\/secrets\/prompt\//);
      await call('/org/freedesktop/DBus', 'org.freedesktop.DBus', 'AddMatch', 's', [`type='signal',path='${String(prompt)}'`]).catch(() => undefined);
      await client.call(new dbus.Message({
        destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'AddMatch', signature: 's', body: [`type='signal',path='${String(prompt)}'`],
      }));
      const completed = new Promise<unknown[]>((resolve) => client.on('message', (m: InstanceType<typeof dbus.Message>) => {
        if (m.path === prompt && m.member === 'Completed') resolve(m.body as unknown[]);
      }));
      await call(String(prompt), 'org.freedesktop.Secret.Prompt', 'Prompt', 's', ['']);
      const [dismissed] = await completed;
      assert.equal(dismissed, true);
    } finally {
      client.disconnect();
    }
    assert.equal(keychain.unlock('correct horse'), 0);
    const again = await run('secret-tool', ['lookup', 'service', 'lock'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, 'before the lock');
  });
});

describe('secitem daemon start --secret-service with no session bus', () => {
  let home: Home;
  let env: Record<string, string>;
  const BIN = repoFile('dist/src/cli/bin.js');

  before(() => {
    home = makeHome();
    env = { ...home.env, PATH: process.env['PATH'] ?? '/usr/bin:/bin' }; // no DBUS_SESSION_BUS_ADDRESS
  });
  after(async () => {
    await run(process.execPath, [BIN, 'daemon', 'stop', '--state', join(home.dir, 'state')], env);
    home.cleanup();
  });

  it('starts a private dbus-daemon, prints its address, serves secret-tool on it, and stops it with the daemon', async () => {
    const state = join(home.dir, 'state');
    const socket = join(home.dir, 'run', 'd.sock');
    const start = await run(process.execPath, [BIN, 'daemon', 'start', '--secret-service', '--state', state, '--socket', socket], env);
    assert.equal(start.code, 0, start.stderr);
    const address = /^DBUS_SESSION_BUS_ADDRESS=(\S+)$/m.exec(start.stdout)?.[1];
    assert.ok(address, start.stdout);
    const busEnv = { ...env, DBUS_SESSION_BUS_ADDRESS: address };
    assert.equal((await run('secret-tool', ['store', '--label=cli', 'service', 'cli'], busEnv, 'via the CLI')).code, 0);
    assert.equal((await run('secret-tool', ['lookup', 'service', 'cli'], busEnv)).stdout, 'via the CLI');
    const stop = await run(process.execPath, [BIN, 'daemon', 'stop', '--state', state], env);
    assert.equal(stop.code, 0, stop.stderr);
    const after = await run('secret-tool', ['lookup', 'service', 'cli'], busEnv, undefined, 10_000);
    assert.notEqual(after.code, 0);
    assert.equal(after.stdout, '');
  });
});

describe('Secret Service provider: conformance with the specification', () => {
  const R = '/org/freedesktop/secrets';
  const SERVICE = 'org.freedesktop.Secret.Service';
  const COLLECTION = 'org.freedesktop.Secret.Collection';
  const ITEM = 'org.freedesktop.Secret.Item';
  const PROPS = 'org.freedesktop.DBus.Properties';
  let dir: string;
  let bus: PrivateBus;
  let provider: SecretServiceProvider;
  let keychain: ReturnType<typeof openKeychain>;
  let client: dbus.MessageBus;
  let env: Record<string, string>;

  /** A method call's body, from the test's own connection. */
  const call = async (path: string, iface: string, member: string, signature: string, body: unknown[]) =>
    (await client.call(new dbus.Message({ destination: 'org.freedesktop.secrets', path, interface: iface, member, signature, body })))!.body as unknown[];
  /** The D-Bus error name a call is answered with. */
  const errorOf = (path: string, iface: string, member: string, signature: string, body: unknown[]) =>
    call(path, iface, member, signature, body).then(() => 'no error', (e: { type?: string }) => String(e.type));
  /** A plain session's path and a login item made in it with `label` and `attributes`. */
  async function plainItem(label: string, attributes: Record<string, string>, secret: string): Promise<{ session: string; item: string }> {
    const [, session] = await call(R, SERVICE, 'OpenSession', 'sv', ['plain', new dbus.Variant('s', '')]);
    const props = { [`${ITEM}.Label`]: new dbus.Variant('s', label), [`${ITEM}.Attributes`]: new dbus.Variant('a{ss}', attributes) };
    const [item] = await call(`${R}/aliases/default`, COLLECTION, 'CreateItem', 'a{sv}(oayays)b', [props, [session, Buffer.alloc(0), Buffer.from(secret), 'text/plain'], true]);
    return { session: String(session), item: String(item) };
  }

  before(async () => {
    dir = tempDir();
    bus = await startPrivateBus();
    keychain = openKeychain({ path: join(dir, 'kc.keychain-db'), passcode: 'correct horse' });
    const everyoneShared: ProfileRegistryLike = { identify: () => ({ refused: 'no profile matches this caller' }) };
    const identify = async (pid: number, uid: number): Promise<Caller> => ({ pid, uid, gid: 0, executable: 'stand-in', executableSha256: '', startTime: 0 });
    provider = await startSecretService({ keychain, profiles: everyoneShared, busAddress: bus.address, identify, log: () => {} });
    client = dbus.sessionBus({ busAddress: bus.address });
    env = { DBUS_SESSION_BUS_ADDRESS: bus.address };
  });
  after(async () => {
    client?.disconnect();
    await provider?.close();
    keychain?.close();
    await bus?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a call whose arguments are not of the types the specification gives is InvalidArgs, and changes nothing', async () => {
    const { item } = await plainItem('typed', { typed: '1' }, 'v');
    assert.equal(await errorOf(R, SERVICE, 'Unlock', 's', ['not an array']), 'org.freedesktop.DBus.Error.InvalidArgs');
    assert.equal(await errorOf(R, SERVICE, 'SearchItems', '', []), 'org.freedesktop.DBus.Error.InvalidArgs');
    assert.equal(await errorOf(R, SERVICE, 'GetSecrets', 'so', ['a', '/']), 'org.freedesktop.DBus.Error.InvalidArgs');
    assert.equal(await errorOf(item, ITEM, 'GetSecret', '', []), 'org.freedesktop.DBus.Error.InvalidArgs');
    // a property value of another type than the property's
    assert.equal(await errorOf(item, PROPS, 'Set', 'ssv', [ITEM, 'Label', new dbus.Variant('u', 5)]), 'org.freedesktop.DBus.Error.InvalidArgs');
    assert.equal(await errorOf(item, PROPS, 'Set', 'ssv', [ITEM, 'Attributes', new dbus.Variant('as', ['a'])]), 'org.freedesktop.DBus.Error.InvalidArgs');
    const [, session] = await call(R, SERVICE, 'OpenSession', 'sv', ['plain', new dbus.Variant('s', '')]);
    const badLabel = { [`${ITEM}.Label`]: new dbus.Variant('u', 7), [`${ITEM}.Attributes`]: new dbus.Variant('a{ss}', { typed: '2' }) };
    assert.equal(await errorOf(`${R}/aliases/default`, COLLECTION, 'CreateItem', 'a{sv}(oayays)b', [badLabel, [session, Buffer.alloc(0), Buffer.from('x'), 'text/plain'], false]), 'org.freedesktop.DBus.Error.InvalidArgs');
    const [label] = await call(item, PROPS, 'Get', 'ss', [ITEM, 'Label']);
    assert.equal((label as InstanceType<typeof dbus.Variant>).value, 'typed');
    const [found] = await call(R, SERVICE, 'SearchItems', 'a{ss}', [{ typed: '2' }]);
    assert.deepEqual(found, []);
  });

  it('an object path of no collection is NoSuchObject, which secretstorage reads as ItemNotFoundException', async () => {
    const NO_OBJECT = 'org.freedesktop.Secret.Error.NoSuchObject';
    assert.equal(await errorOf(`${R}/collection/nope`, PROPS, 'Get', 'ss', [COLLECTION, 'Label']), NO_OBJECT);
    assert.equal(await errorOf(`${R}/aliases/nope`, PROPS, 'GetAll', 's', [COLLECTION]), NO_OBJECT);
    assert.equal(await errorOf(`${R}/aliases/nope`, COLLECTION, 'SearchItems', 'a{ss}', [{}]), NO_OBJECT);
    assert.equal(await errorOf(`${R}/collection/nope/0123`, ITEM, 'Delete', '', []), NO_OBJECT);
    assert.equal(await errorOf(`${R}/collection/login/0123`, PROPS, 'Get', 'ss', [ITEM, 'Label']), NO_OBJECT);
    // a known collection's unknown method stays UnknownMethod
    assert.equal(await errorOf(`${R}/collection/login`, COLLECTION, 'Frobnicate', '', []), 'org.freedesktop.DBus.Error.UnknownMethod');
    if (!existsSync(PYTHON)) return;
    const script = `
import secretstorage
from secretstorage.exceptions import ItemNotFoundException
c = secretstorage.dbus_init()
for path in ("/org/freedesktop/secrets/collection/nope", "/org/freedesktop/secrets/aliases/nope"):
    try:
        secretstorage.Collection(c, path)
        print("found")
    except ItemNotFoundException:
        print("not found")
`;
    const r = await run(PYTHON, ['-c', script], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'not found\nnot found\n');
  });

  /** A bus connection that records the provider's CollectionChanged and PropertiesChanged signals in `seen`. */
  async function lockSignals(seen: string[]) {
    const listener = dbus.sessionBus({ busAddress: bus.address });
    await listener.call(new dbus.Message({
      destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'AddMatch', signature: 's',
      body: ["type='signal',sender='org.freedesktop.secrets'"],
    }));
    listener.on('message', (m: InstanceType<typeof dbus.Message>) => {
      if (m.member === 'CollectionChanged') seen.push(`CollectionChanged ${m.path} ${String(m.body[0])}`);
      if (m.member === 'PropertiesChanged') seen.push(`PropertiesChanged ${m.path} ${String(m.body[0])} ${(m.body[2] as string[]).join(',')}`);
    });
    return listener;
  }

  it('Lock locks the keychain only for a login object, and announces it with CollectionChanged and PropertiesChanged', async () => {
    const LOGIN = `${R}/collection/login`;
    const seen: string[] = [];
    const listener = await lockSignals(seen);
    try {
      assert.deepEqual(await call(R, SERVICE, 'Lock', 'ao', [[]]), [[], '/']);
      assert.deepEqual(await call(R, SERVICE, 'Lock', 'ao', [[`${R}/collection/session`]]), [[], '/']);
      assert.equal(keychain.lockState, 'unlocked');
      assert.deepEqual(await call(R, SERVICE, 'Lock', 'ao', [[LOGIN]]), [[LOGIN], '/']);
      assert.equal(keychain.lockState, 'locked');
      for (let i = 0; i < 50 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
      // (an unlock by an earlier test, made outside the bus, may be announced first, in the same two signals)
      assert.deepEqual(seen.slice(-2), [`CollectionChanged ${R} ${LOGIN}`, `PropertiesChanged ${LOGIN} ${COLLECTION} Locked,Items`]);
      const [lockedProp] = await call(LOGIN, PROPS, 'Get', 'ss', [COLLECTION, 'Locked']);
      assert.equal((lockedProp as InstanceType<typeof dbus.Variant>).value, true);
    } finally {
      listener.disconnect();
      assert.equal(keychain.unlock('correct horse'), 0);
    }
  });

  it('a lock or unlock made outside the bus (secitem lock-keychain, the idle lock) is announced too, within seconds', async () => {
    const LOGIN = `${R}/collection/login`;
    const seen: string[] = [];
    const listener = await lockSignals(seen);
    const settle = async (n: number) => {
      for (let i = 0; i < 150 && seen.length < n; i++) await new Promise((r) => setTimeout(r, 20));
    };
    try {
      await new Promise((r) => setTimeout(r, 1_200)); // any earlier change announced first
      seen.length = 0;
      assert.equal(keychain.lock(), 0);
      await settle(2);
      assert.deepEqual(seen, [`CollectionChanged ${R} ${LOGIN}`, `PropertiesChanged ${LOGIN} ${COLLECTION} Locked,Items`]);
      assert.equal(keychain.unlock('correct horse'), 0);
      await settle(4);
      assert.equal(seen.length, 4);
      const [lockedProp] = await call(LOGIN, PROPS, 'Get', 'ss', [COLLECTION, 'Locked']);
      assert.equal((lockedProp as InstanceType<typeof dbus.Variant>).value, false);
    } finally {
      listener.disconnect();
      if (keychain.lockState !== 'unlocked') assert.equal(keychain.unlock('correct horse'), 0);
    }
  });

  it('an item of a locked keychain is Locked, which secretstorage reads as LockedException; its other properties are IsLocked', async () => {
    const { item } = await plainItem('to lock', { lockme: 'raw' }, 'v');
    assert.equal(keychain.lock(), 0);
    try {
      const [lockedProp] = await call(item, PROPS, 'Get', 'ss', [ITEM, 'Locked']);
      assert.equal((lockedProp as InstanceType<typeof dbus.Variant>).value, true);
      assert.equal(await errorOf(item, PROPS, 'Get', 'ss', [ITEM, 'Label']), 'org.freedesktop.Secret.Error.IsLocked');
    } finally {
      assert.equal(keychain.unlock('correct horse'), 0);
    }
    if (!existsSync(PYTHON)) return;
    const script = `
import secretstorage
from secretstorage.exceptions import LockedException
c = secretstorage.dbus_init()
col = secretstorage.get_default_collection(c)
it = col.create_item("to lock", {"lockme": "python"}, b"s", replace=True)
print(col.is_locked(), it.is_locked())
col.lock()
print(col.is_locked(), it.is_locked())
try:
    it.get_secret()
    print("read")
except LockedException:
    print("LockedException")
`;
    try {
      const r = await run(PYTHON, ['-c', script], env);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'False False\nTrue True\nLockedException\n');
    } finally {
      assert.equal(keychain.unlock('correct horse'), 0);
    }
  });

  it("opens a dh-ietf1024 session whose client public key has a leading zero byte (Java's BigInteger.toByteArray())", async () => {
    const { item } = await plainItem('java', { client: 'java' }, 'from the JVM');
    const dh = createDiffieHellmanGroup('modp2');
    const pub = Buffer.concat([Buffer.from([0]), dh.generateKeys()]);
    assert.equal(pub.length, 129);
    const [output, session] = await call(R, SERVICE, 'OpenSession', 'sv', [DH_AES, new dbus.Variant('ay', pub)]);
    const key = dhAesKey(dh.computeSecret((output as InstanceType<typeof dbus.Variant>).value as Buffer));
    const [[, parameters, value]] = (await call(item, ITEM, 'GetSecret', 'o', [session])) as [[string, Buffer, Buffer, string]];
    assert.equal(aesDecode(key, parameters, value).toString(), 'from the JVM');
  });

  it("introspection lists a collection's items as its child nodes, and gives each object the specification's interfaces", async () => {
    const { item } = await plainItem('listed', { listed: '1' }, 'v');
    const introspect = async (path: string) => String((await call(path, 'org.freedesktop.DBus.Introspectable', 'Introspect', '', []))[0]);
    const id = item.slice(item.lastIndexOf('/') + 1);
    for (const path of [`${R}/collection/login`, `${R}/aliases/default`]) {
      const xml = await introspect(path);
      assert.ok(xml.includes(`<node name="${id}"/>`), xml);
      assert.ok(xml.includes(`<interface name="${COLLECTION}">`), xml);
    }
    assert.ok((await introspect(item)).includes(`<interface name="${ITEM}">`));
    assert.match(await introspect(R), /<interface name="org\.freedesktop\.Secret\.Service">[^]*<method name="SearchItems"><arg name="attributes" type="a\{ss\}" direction="in"\/><arg name="unlocked" type="ao" direction="out"\/><arg name="locked" type="ao" direction="out"\/><\/method>/);
  });
});
