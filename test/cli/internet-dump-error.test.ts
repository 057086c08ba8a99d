/**
 * Golden tests for add-/find-/delete-internet-password, dump-keychain and
 * error, against ../shared/reference/security-cli.md §2.2–2.6.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeHome, normalizeDates, run, runWith } from './helpers.js';
import type { Home } from './helpers.js';

const NOT_FOUND = 'secitem: SecKeychainSearchCopyNext: The specified item could not be found in the keychain.\n';

function inetBlock(keychain: string, v: Record<string, string>): string {
  const x = (tag: string): string => v[tag] ?? '<NULL>';
  return (
    `keychain: "${keychain}"\n` +
    'version: 512\n' +
    'class: "inet"\n' +
    'attributes:\n' +
    `    0x00000007 <blob>=${x('labl')}\n` +
    `    0x00000008 <blob>=${x('alis')}\n` +
    `    "acct"<blob>=${x('acct')}\n` +
    `    "atyp"<blob>=${x('atyp')}\n` +
    '    "cdat"<timedate>=<DATE>\n' +
    `    "crtr"<uint32>=${x('crtr')}\n` +
    `    "cusi"<sint32>=${x('cusi')}\n` +
    `    "desc"<blob>=${x('desc')}\n` +
    `    "icmt"<blob>=${x('icmt')}\n` +
    `    "invi"<sint32>=${x('invi')}\n` +
    '    "mdat"<timedate>=<DATE>\n' +
    `    "nega"<sint32>=${x('nega')}\n` +
    `    "path"<blob>=${x('path')}\n` +
    `    "port"<uint32>=${x('port')}\n` +
    `    "prot"<blob>=${x('prot')}\n` +
    `    "ptcl"<uint32>=${x('ptcl')}\n` +
    `    "scrp"<sint32>=${x('scrp')}\n` +
    `    "sdmn"<blob>=${x('sdmn')}\n` +
    `    "srvr"<blob>=${x('srvr')}\n` +
    `    "type"<uint32>=${x('type')}\n`
  );
}

describe('internet passwords', () => {
  let home: Home;
  let started: Date;
  before(async () => {
    home = makeHome();
    started = new Date();
    const r = await run(home, 'add-internet-password', '-s', 'git.example.com', '-a', 'ci', '-r', 'htps', '-P', '443',
      '-p', '/repo', '-d', 'CORP', '-t', 'form', '-j', 'c:\\ci', '-D', 'token', '-w', 'ghp_sëcret');
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', '']);
  });
  after(() => home.cleanup());

  test('find prints the inet block (label = server, port/protocol as uint32, backslash in octal)', async () => {
    const r = await run(home, 'find-internet-password', '-s', 'git.example.com');
    assert.deepEqual([r.code, r.stderr], [0, '']);
    assert.equal(
      normalizeDates(r.stdout, started),
      inetBlock(home.defaultKeychain, {
        labl: '"git.example.com"', acct: '"ci"', atyp: '"form"', desc: '"token"', icmt: '0x633A5C6369  "c:\\134ci"',
        path: '"/repo"', port: '0x000001BB ', ptcl: '"htps"', sdmn: '"CORP"', srvr: '"git.example.com"',
      }),
    );
  });

  test('-w prints a non-ASCII password as hex; -g prints it on stderr with print_buffer', async () => {
    const w = await run(home, 'find-internet-password', '-s', 'git.example.com', '-a', 'ci', '-w');
    assert.deepEqual([w.code, w.stdout, w.stderr], [0, '6768705f73c3ab63726574\n', '']);
    const g = await run(home, 'find-internet-password', '-s', 'git.example.com', '-g');
    assert.equal(g.stderr, 'password: 0x6768705F73C3AB63726574  "ghp_s\\303\\253cret"\n');
  });

  test('defaults: auth type "dflt", protocol and port 0, empty password without -w', async () => {
    assert.equal((await run(home, 'add-internet-password', '-s', 'plain.example', '-a', 'me')).code, 0);
    const r = await run(home, 'find-internet-password', '-s', 'plain.example', '-g');
    assert.equal(
      normalizeDates(r.stdout, started),
      inetBlock(home.defaultKeychain, {
        labl: '"plain.example"', acct: '"me"', atyp: '"dflt"', path: '', port: '0x00000000 ', ptcl: '0x00000000 ', sdmn: '', srvr: '"plain.example"',
      }),
    );
    assert.equal(r.stderr, 'password: \n');
  });

  test('a duplicate is exit 45 with SecKeychainAddInternetPassword <kc|<NULL>>; -U updates instead', async () => {
    const dup = await run(home, 'add-internet-password', '-s', 'plain.example', '-a', 'me', '-w', 'x');
    assert.deepEqual(
      [dup.code, dup.stdout, dup.stderr],
      [45, '', 'secitem: SecKeychainAddInternetPassword <NULL>: The specified item already exists in the keychain.\n'],
    );
    const upd = await run(home, 'add-internet-password', '-U', '-s', 'plain.example', '-a', 'me', '-X', '00ff');
    assert.deepEqual([upd.code, upd.stderr], [0, '']);
    assert.equal((await run(home, 'find-internet-password', '-s', 'plain.example', '-w')).stdout, '00ff\n');
    assert.equal((await run(home, 'find-internet-password', '-s', 'plain.example', '-g')).stderr, 'password: 0x00FF \n');
  });

  test('-w last prompts twice (stdin lines when not a terminal)', async () => {
    const r = await runWith(home, { stdin: 'prömpted\nprömpted\n' }, 'add-internet-password', '-s', 'p.example', '-a', 'me', '-w');
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', 'password data for new item: retype password for new item: ']);
    assert.equal((await run(home, 'find-internet-password', '-s', 'p.example', '-w')).stdout, '7072c3b66d70746564\n');
    const eof = await runWith(home, { stdin: 'only-once\n' }, 'add-generic-password', '-s', 'p.example', '-a', 'me', '-w');
    assert.deepEqual([eof.code, eof.stderr], [255, 'password data for new item: retype password for new item: ']);
  });

  test('four-character codes: -r "ftp" suggests "ftp ", -t too long; exit 1', async () => {
    const r = await run(home, 'add-internet-password', '-s', 'f', '-a', 'a', '-r', 'ftp');
    assert.deepEqual(
      [r.code, r.stdout, r.stderr],
      [1, '', 'Error: four-character types must be exactly 4 characters long.\n(Try "ftp " instead of "ftp")\n'],
    );
    const t = await run(home, 'find-internet-password', '-s', 'f', '-t', 'toolong');
    assert.deepEqual([t.code, t.stderr], [1, 'Error: four-character types must be exactly 4 characters long.\n']);
    assert.equal((await run(home, 'add-internet-password', '-s', 'f', '-a', 'a', '-r', 'ftp ')).code, 0);
    assert.equal((await run(home, 'find-internet-password', '-r', 'ftp ', '-w')).code, 0);
  });

  test('missing -s or -a is a usage error; not found is exit 44', async () => {
    const u = await run(home, 'add-internet-password', '-a', 'me', '-w', 'secretpw');
    assert.equal(u.code, 2);
    assert.ok(u.stderr.startsWith('Usage: add-internet-password [-h] [-a account] [-s server] [-w password] [options...] [-A|-T appPath] [keychain]\n'));
    assert.ok(u.stderr.endsWith('        Add an internet password item.\n'));
    assert.ok(!u.stderr.includes('secretpw'));
    const nf = await run(home, 'find-internet-password', '-s', 'nowhere.example');
    assert.deepEqual([nf.code, nf.stdout, nf.stderr], [44, '', NOT_FOUND]);
  });

  test('-T group://NAME and --access-group choose the access group of a new item', async () => {
    assert.equal((await run(home, 'add-internet-password', '--access-group', 'team.shared', '-s', 'g.example', '-a', 'a')).code, 0);
    assert.equal((await run(home, 'add-internet-password', '-T', '/usr/bin/git', '-T', 'group://other', '-s', 'g.example', '-a', 'a')).code, 0,
      'a different access group is a different item');
    assert.equal((await run(home, 'add-internet-password', '-A', '-s', 'g.example', '-a', 'a')).code, 0);
    assert.equal((await run(home, 'add-internet-password', '-A', '-s', 'g.example', '-a', 'a')).code, 45);
  });

  test('delete prints the block, then "password has been deleted." on stderr; no match option is usage', async () => {
    const r = await run(home, 'delete-internet-password', '-s', 'p.example');
    assert.equal(r.code, 0);
    assert.ok(r.stdout.startsWith(`keychain: "${home.defaultKeychain}"\nversion: 512\nclass: "inet"\n`));
    assert.equal(r.stderr, 'password has been deleted.\n');
    const again = await run(home, 'delete-internet-password', '-s', 'p.example');
    assert.deepEqual([again.code, again.stdout, again.stderr], [44, '', NOT_FOUND]);
    assert.equal((await run(home, 'delete-internet-password')).code, 2);
  });
});

describe('dump-keychain', () => {
  let home: Home;
  before(async () => {
    home = makeHome();
    await run(home, 'add-generic-password', '-s', 'svc', '-a', 'a', '-X', '00c3a9');
    await run(home, 'add-internet-password', '-s', 'host', '-a', 'b', '-w', 'pw');
  });
  after(() => home.cleanup());

  test('every item of every class, in class order; -d adds data:', async () => {
    const r = await run(home, 'dump-keychain', '-d');
    assert.equal(r.code, 0);
    assert.equal(r.stderr, '');
    const blocks = r.stdout.split(`keychain: "${home.defaultKeychain}"\n`).slice(1);
    assert.equal(blocks.length, 2);
    assert.ok(blocks[0].startsWith('version: 512\nclass: "genp"\n'));
    assert.ok(blocks[0].endsWith('    "type"<uint32>=<NULL>\ndata:\n0x00C3A9 \n'));
    assert.ok(blocks[1].startsWith('version: 512\nclass: "inet"\n'));
    assert.ok(blocks[1].endsWith('data:\n"pw"\n'));
    const plain = await run(home, 'dump-keychain');
    assert.ok(!plain.stdout.includes('data:'));
    const acl = await run(home, 'dump-keychain', '-a');
    assert.equal(acl.stdout.split('no access control for this item\n').length, 3);
  });

  test('a missing keychain fails with exit 1; a bad option is usage', async () => {
    const r = await run(home, 'dump-keychain', 'gone.keychain');
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', 'secitem: SecKeychainSearchCopyNext: The specified keychain could not be found.\n']);
    assert.equal((await run(home, 'dump-keychain', '-z')).code, 2);
  });
});

describe('error', () => {
  test('Error: 0x%08X %d <message> per code on stdout, always exit 1', async () => {
    const home = makeHome();
    try {
      const r = await run(home, 'error', '-25300', '-25308', '0x0', '-128', 'junk', '51');
      assert.deepEqual(
        [r.code, r.stderr, r.stdout],
        [
          1,
          '',
          'Error: 0xFFFF9D2C -25300 The specified item could not be found in the keychain.\n' +
            'Error: 0xFFFF9D24 -25308 User interaction is not allowed.\n' +
            'Error: 0x00000000 0 No error.\n' +
            'Error: 0xFFFFFF80 -128 User canceled the operation.\n' +
            'Error: 0x00000000 0 No error.\n' +
            'Error: 0x00000033 51 OSStatus 51\n',
        ],
      );
      assert.deepEqual([(await run(home, 'error')).code, (await run(home, 'error')).stdout], [1, '']);
    } finally {
      home.cleanup();
    }
  });
});
