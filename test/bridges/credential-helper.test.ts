/**
 * git-credential-secitem with a real git: `git credential fill/approve/reject`
 * and `git ls-remote` against a loopback HTTP server that asks for Basic
 * auth, with `credential.helper secitem` as the whole set-up; and the
 * helper's protocol directly (osxkeychain's storage and answers), as its own
 * executable and as `secitem credential-helper`.
 */
import { bridgeEnv, defaultKeychain, home } from './env.js';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { openKeychain } from '../../src/index.js';

const dist = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const helperScript = join(dist, 'src', 'bridges', 'git-credential-secitem.js');
const cliScript = join(dist, 'src', 'cli', 'bin.js');
const bin = join(home, 'bin');
mkdirSync(bin, { recursive: true });
writeFileSync(join(bin, 'git-credential-secitem'), `#!/bin/sh\nexec "${process.execPath}" "${helperScript}" "$@"\n`);
chmodSync(join(bin, 'git-credential-secitem'), 0o755);

const env: NodeJS.ProcessEnv = {
  ...process.env, ...bridgeEnv,
  PATH: `${bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}`,
  GIT_CONFIG_GLOBAL: join(home, 'gitconfig'), GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '', SSH_ASKPASS: '',
};
writeFileSync(join(home, 'gitconfig'), '[credential]\n\thelper = secitem\n');

function run(cmd: string, args: string[], input = '', extra: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(cmd, args, { input, env: { ...env, ...extra }, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
/** run, without blocking this process's event loop (the HTTP server answers from it). */
function runAsync(cmd: string, args: string[], input = '', extra: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { env: { ...env, ...extra } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', fail);
    child.on('close', (status) => done({ status, stdout, stderr }));
    child.stdin.end(input);
  });
}
const helper = (action: string, input: string) => run(process.execPath, [helperScript, action], input);
const lines = (attrs: Record<string, string>) => Object.entries(attrs).map(([k, v]) => `${k}=${v}\n`).join('') + '\n';

/** The internet passwords of the default keychain, attributes and data. */
function items(server: string): Record<string, unknown>[] {
  const kc = openKeychain({ path: defaultKeychain });
  try {
    const r = kc.client({ applicationIdentifier: 'test', keychainAccessGroups: ['*'] }).SecItemCopyMatching({ class: 'inet', srvr: server, m_Limit: 'm_LimitAll', r_Attributes: true, r_Data: true });
    return r.status === 0 ? (r.result as Record<string, unknown>[]) : [];
  } finally {
    kc.close();
  }
}

const hasGit = spawnSync('git', ['--version']).status === 0;

describe('git with credential.helper secitem and a server asking for Basic auth', { skip: !hasGit && 'git is not installed' }, () => {
  let server: Server;
  let url: string;
  let hostPort: string;
  const seen: string[] = [];
  const good = `Basic ${Buffer.from('alice:s3cr\u00e9t pw').toString('base64')}`;

  before(async () => {
    server = createServer((req, res) => {
      seen.push(req.headers.authorization ?? '');
      if (req.headers.authorization !== good) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="test"' }).end();
        return;
      }
      // A dumb-HTTP repository with one ref is all ls-remote needs.
      if (req.url?.startsWith('/repo.git/info/refs')) res.writeHead(200, { 'Content-Type': 'text/plain' }).end(`${'a'.repeat(40)}\trefs/heads/main\n`);
      else res.writeHead(404).end();
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    hostPort = `127.0.0.1:${port}`;
    url = `http://${hostPort}/repo.git`;
  });
  after(() => new Promise<void>((done) => server.close(() => done())));

  it('a credential typed once (askpass) is stored by git through the helper, then found without asking', async () => {
    const askpass = join(home, 'askpass.sh');
    writeFileSync(askpass, `#!/bin/sh\ncase "$1" in Username*) echo alice;; *) echo 's3cr\u00e9t pw';; esac\n`);
    chmodSync(askpass, 0o755);
    const first = await runAsync('git', ['ls-remote', url], '', { GIT_ASKPASS: askpass });
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /refs\/heads\/main/);
    const [item, ...more] = items('127.0.0.1');
    assert.equal(more.length, 0);
    assert.equal(item!['acct'], 'alice');
    assert.equal(item!['ptcl'], 'http');
    assert.equal(item!['port'], Number(hostPort.split(':')[1]));
    assert.equal(item!['atyp'], 'dflt');
    assert.equal(Buffer.from(item!['v_Data'] as Uint8Array).toString(), 's3cr\u00e9t pw');

    seen.length = 0;
    const again = await runAsync('git', ['ls-remote', url]);
    assert.equal(again.status, 0, again.stderr);
    assert.ok(seen.includes(good));
  });

  it('git credential fill answers from the helper; reject erases; a refused password is erased by git', async () => {
    const fill = run('git', ['credential', 'fill'], lines({ protocol: 'http', host: hostPort }));
    assert.equal(fill.status, 0, fill.stderr);
    assert.match(fill.stdout, /^username=alice$/m);
    assert.match(fill.stdout, /^password=s3cr\u00e9t pw$/m);

    assert.equal(run('git', ['credential', 'reject'], lines({ protocol: 'http', host: hostPort, username: 'alice', password: 's3cr\u00e9t pw' })).status, 0);
    assert.equal(items('127.0.0.1').length, 0);
    assert.notEqual(run('git', ['credential', 'fill'], lines({ protocol: 'http', host: hostPort })).status, 0);

    assert.equal(run('git', ['credential', 'approve'], lines({ protocol: 'http', host: hostPort, username: 'alice', password: 'wrong' })).status, 0);
    assert.equal(items('127.0.0.1').length, 1);
    const refused = await runAsync('git', ['ls-remote', url]);
    assert.notEqual(refused.status, 0);
    assert.equal(items('127.0.0.1').length, 0, 'git rejects the credential the server refused');
  });
});

describe('the helper protocol, as git-credential-osxkeychain', () => {
  const cred = { protocol: 'https', host: 'example.com:8443', path: 'org/repo.git', username: 'bob', password: 'pw\u00e9' };

  it('store keeps password_expiry_utc and oauth_refresh_token after the password; get gives them back', () => {
    assert.equal(helper('store', lines({ ...cred, password_expiry_utc: '2000000000', oauth_refresh_token: 'refresh-me', unknown_key: 'ignored' })).status, 0);
    const [item] = items('example.com');
    assert.equal(item!['ptcl'], 'htps');
    assert.equal(item!['port'], 8443);
    assert.equal(item!['path'], 'org/repo.git');
    assert.equal(Buffer.from(item!['v_Data'] as Uint8Array).toString(), 'pw\u00e9\npassword_expiry_utc=2000000000\noauth_refresh_token=refresh-me');
    const got = helper('get', lines({ protocol: 'https', host: 'example.com:8443', path: 'org/repo.git' }));
    assert.equal(got.status, 0);
    assert.equal(got.stdout,
      'password=pw\u00e9\npassword_expiry_utc=2000000000\noauth_refresh_token=refresh-me\n' +
      'username=bob\ncapability[]=state\n' +
      'state[]=secitem:seen=__host=example.com__port=8443__path=org/repo.git__username=bob__password=pw\u00e9\npassword_expiry_utc=2000000000\noauth_refresh_token=refresh-me\n');
    // secitem credential-helper is the same helper.
    const viaCli = run(process.execPath, [cliScript, 'credential-helper', 'get'], lines({ protocol: 'https', host: 'example.com:8443', path: 'org/repo.git' }));
    assert.equal(viaCli.status, 0, viaCli.stderr);
    assert.equal(viaCli.stdout, got.stdout);
  });

  it('get with a username does not repeat it; another port, protocol or path finds nothing', () => {
    assert.equal(helper('get', lines({ protocol: 'https', host: 'example.com:8443', username: 'bob' })).stdout.match(/^username=/m), null);
    for (const other of [{ host: 'example.com:9443' }, { protocol: 'http' }, { path: 'other.git' }]) {
      const r = helper('get', lines({ ...cred, password: '', ...other }).replace('password=\n', ''));
      assert.equal(r.status, 0);
      assert.equal(r.stdout, '');
    }
  });

  it('store replaces the data of the same item; a state[] showing the same credential stores nothing', () => {
    helper('store', lines({ ...cred, password: 'second' }));
    assert.equal(items('example.com').length, 1);
    assert.equal(Buffer.from(items('example.com')[0]!['v_Data'] as Uint8Array).toString(), 'second');
    const state = 'secitem:seen=__host=example.com__port=8443__path=org/repo.git__username=bob__password=third';
    assert.equal(helper('store', lines({ ...cred, password: 'third', 'state[]': state })).status, 0);
    assert.equal(Buffer.from(items('example.com')[0]!['v_Data'] as Uint8Array).toString(), 'second');
  });

  it('erase with a password deletes only a matching item; without one, every matching item', () => {
    helper('erase', lines({ protocol: 'https', host: 'example.com:8443', password: 'not it' }));
    assert.equal(items('example.com').length, 1);
    helper('store', lines({ ...cred, username: 'carol', password: 'c' }));
    assert.equal(items('example.com').length, 2);
    assert.equal(helper('erase', lines({ protocol: 'https', host: 'example.com:8443', username: 'bob', password: 'second' })).status, 0);
    assert.deepEqual(items('example.com').map((i) => i['acct']), ['carol']);
    assert.equal(helper('erase', lines({ protocol: 'https', host: 'example.com:8443' })).status, 0);
    assert.equal(items('example.com').length, 0);
  });

  it("osxkeychain's failures and silences", () => {
    assert.deepEqual(helper('store', lines({ protocol: 'https', host: 'example.com', password: 'p' })), { status: 128, stdout: '', stderr: 'fatal: failed to store: -1\n' });
    assert.deepEqual(helper('erase', lines({ host: 'example.com' })), { status: 128, stdout: '', stderr: 'fatal: failed to erase: -1\n' });
    assert.deepEqual(helper('get', 'protocol=https\nnonsense\n\n'), { status: 128, stdout: '', stderr: 'fatal: bad input: nonsense\n' });
    assert.deepEqual(helper('store', lines({ protocol: 'ssh', host: 'example.com', username: 'u', password: 'p' })), { status: 0, stdout: '', stderr: '' });
    assert.deepEqual(helper('frobnicate', lines(cred)), { status: 0, stdout: '', stderr: '' });
    assert.equal(run(process.execPath, [helperScript]).status, 128);
    assert.equal(items('example.com').length, 0);
  });
});

describe('the helper reads and writes C strings, as osxkeychain does', () => {
  const raw = (action: string, input: Buffer) => {
    const r = spawnSync(process.execPath, [helperScript, action], { input, env, encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('a NUL ends a line: the value before it is kept, a key cut short of its = is bad input', () => {
    const stored = raw('store', Buffer.from('protocol=https\nhost=nul.example\nusername=bo\0b junk\npassword=p\0w\n\n'));
    assert.equal(stored.status, 0, stored.stderr);
    const [item, ...more] = items('nul.example');
    assert.equal(more.length, 0);
    assert.equal(item!['acct'], 'bo');
    assert.equal(Buffer.from(item!['v_Data'] as Uint8Array).toString(), 'p');
    assert.deepEqual(raw('get', Buffer.from('protocol=https\npass\0word=x\n\n')), { status: 128, stdout: '', stderr: 'fatal: bad input: pass\n' });
    assert.equal(helper('erase', lines({ protocol: 'https', host: 'nul.example' })).status, 0);
  });

  it('a host, path or username that is not UTF-8 is absent (CFStringCreateWithCString fails)', () => {
    const bad = Buffer.from([0xff, 0x61]);
    const input = (key: string) => Buffer.concat([Buffer.from('protocol=https\nhost=utf8.example\nusername=u\npassword=p\n'), Buffer.from(`${key}=`), bad, Buffer.from('\n\n')]);
    assert.deepEqual(raw('store', input('host')), { status: 128, stdout: '', stderr: 'fatal: failed to store: -1\n' });
    assert.deepEqual(raw('store', input('username')), { status: 128, stdout: '', stderr: 'fatal: failed to store: -1\n' });
    assert.equal(raw('store', input('path')).status, 0);
    const [item] = items('utf8.example');
    assert.equal(item!['path'] ?? '', '');
    assert.equal(helper('erase', lines({ protocol: 'https', host: 'utf8.example' })).status, 0);
  });

  it('get writes the password whole, the username and the state line up to a NUL', () => {
    const kc = openKeychain({ path: defaultKeychain });
    try {
      const r = kc.client({ applicationIdentifier: 'test', keychainAccessGroups: ['*'] }).SecItemAdd({
        class: 'inet', srvr: 'stored.example', ptcl: 'htps', atyp: 'dflt', acct: 'bo\0b', v_Data: new Uint8Array(Buffer.from('pw\0tail')),
      });
      assert.equal(r.status, 0);
    } finally {
      kc.close();
    }
    const got = helper('get', lines({ protocol: 'https', host: 'stored.example' }));
    assert.equal(got.status, 0, got.stderr);
    assert.equal(got.stdout, 'password=pw\0tail\nusername=bo\ncapability[]=state\nstate[]=secitem:seen=__host=stored.example__username=bo__password=pw\n');
    assert.equal(helper('erase', lines({ protocol: 'https', host: 'stored.example' })).status, 0);
    assert.equal(items('stored.example').length, 0);
  });
});
