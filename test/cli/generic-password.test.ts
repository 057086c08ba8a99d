/**
 * Golden stdout/stderr/exit tests for add-, find- and delete-generic-password
 * and the dispatcher, against the texts of ../shared/reference/security-cli.md.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import {
  kSecAttrAccount,
  kSecAttrService,
  kSecClass,
  kSecClassGenericPassword,
  kSecValueData,
  openKeychain,
} from '../../src/index.js';
import { makeHome, normalizeDates, run } from './helpers.js';
import type { Home } from './helpers.js';

let home: Home;
let started: Date;
beforeEach(() => {
  home = makeHome();
  started = new Date();
});
afterEach(() => home.cleanup());

/** The genp block `security` prints, with dates normalised. */
function genpBlock(keychain: string, lines: { label: string; acct: string; svce: string } & Record<string, string>): string {
  const v = (tag: string): string => lines[tag] ?? '<NULL>';
  return (
    `keychain: "${keychain}"\n` +
    'version: 512\n' +
    'class: "genp"\n' +
    'attributes:\n' +
    `    0x00000007 <blob>=${lines.label}\n` +
    `    0x00000008 <blob>=${v('alis')}\n` +
    `    "acct"<blob>=${lines.acct}\n` +
    '    "cdat"<timedate>=<DATE>\n' +
    `    "crtr"<uint32>=${v('crtr')}\n` +
    `    "cusi"<sint32>=${v('cusi')}\n` +
    `    "desc"<blob>=${v('desc')}\n` +
    `    "gena"<blob>=${v('gena')}\n` +
    `    "icmt"<blob>=${v('icmt')}\n` +
    `    "invi"<sint32>=${v('invi')}\n` +
    '    "mdat"<timedate>=<DATE>\n' +
    `    "nega"<sint32>=${v('nega')}\n` +
    `    "prot"<blob>=${v('prot')}\n` +
    `    "scrp"<sint32>=${v('scrp')}\n` +
    `    "svce"<blob>=${lines.svce}\n` +
    `    "type"<uint32>=${v('type')}\n`
  );
}

/** `help` output: every implemented command, in table order. */
export const COMMAND_LIST =
  '    help                                 Show all commands, or show usage for a command.\n' +
  '    list-keychains                       Display or manipulate the keychain search list.\n' +
  '    default-keychain                     Display or set the default keychain.\n' +
  '    login-keychain                       Display or set the login keychain.\n' +
  '    create-keychain                      Create keychains and add them to the search list.\n' +
  '    delete-keychain                      Delete keychains and remove them from the search list.\n' +
  '    lock-keychain                        Lock the specified keychain.\n' +
  '    unlock-keychain                      Unlock the specified keychain.\n' +
  '    set-keychain-settings                Set settings for a keychain.\n' +
  '    set-keychain-password                Set password for a keychain.\n' +
  '    show-keychain-info                   Show the settings for keychain.\n' +
  '    dump-keychain                        Dump the contents of one or more keychains.\n' +
  '    create-keypair                       Create an asymmetric key pair.\n' +
  '    add-generic-password                 Add a generic password item.\n' +
  '    add-internet-password                Add an internet password item.\n' +
  '    add-certificates                     Add certificates to a keychain.\n' +
  '    find-generic-password                Find a generic password item.\n' +
  '    delete-generic-password              Delete a generic password item.\n' +
  '    find-internet-password               Find an internet password item.\n' +
  '    delete-internet-password             Delete an internet password item.\n' +
  '    find-key                             Find keys in the keychain\n' +
  '    find-certificate                     Find a certificate item.\n' +
  '    find-identity                        Find an identity (certificate + private key).\n' +
  '    delete-certificate                   Delete a certificate from a keychain.\n' +
  '    delete-identity                      Delete a certificate and its private key from a keychain.\n' +
  '    export                               Export items from a keychain.\n' +
  '    import                               Import items into a keychain.\n' +
  '    item                                 Manipulate keychain items.\n' +
  '    error                                Display a descriptive message for the given error code(s).\n' +
  "    keychain                             Check a keychain's ledger and every item, and report what is damaged (changes nothing).\n" +
  '    profile                              Create signers, and create and sign app profiles for secitemd.\n' +
  "    daemon                               Run secitemd (start, stop, status); manage its trusted signers, registered apps and audit log.\n" +
  "    credential-helper                    git's credential helper: internet passwords as git-credential-osxkeychain keeps them.\n";

const NOT_FOUND = 'secitem: SecKeychainSearchCopyNext: The specified item could not be found in the keychain.\n';

const ADD_USAGE =
  'Usage: add-generic-password [-h] [-a account] [-s service] [-w password] [options...] [-A|-T appPath] [keychain]\n' +
  '    -a  Specify account name (required)\n' +
  '    -c  Specify item creator (optional four-character code)\n' +
  '    -C  Specify item type (optional four-character code)\n' +
  '    -D  Specify kind (optional)\n' +
  '    -G  Specify generic attribute (optional)\n' +
  '    -j  Specify comment string (optional)\n' +
  '    -l  Specify label (if omitted, service name is used as default label)\n' +
  '    -s  Specify service name (required)\n' +
  '    -p  Specify password to be added (legacy option, equivalent to -w)\n' +
  '    -w  Specify password to be added. Put at end of command to be prompted (recommended)\n' +
  '    -X  Specify password data to be added as a hexadecimal string\n' +
  '    -A  Allow any application to access this item without warning (insecure, not recommended!)\n' +
  '    -T  Specify an application which may access this item (multiple -T options are allowed);\n' +
  '        -T group://NAME puts the item in access group NAME\n' +
  '    --access-group GROUP  Put the item in access group GROUP (default: secitem.cli)\n' +
  '    -U  Update item if it already exists (if omitted, the item cannot already exist)\n' +
  '\n' +
  'If no keychain is specified, the password is added to the default keychain.\n' +
  'Use of the -p or -w options is insecure. Specify -w as the last option to be prompted.\n' +
  '        Add a generic password item.\n';

describe('add-generic-password', () => {
  test('adds silently, exit 0, creating the default keychain (0600) on first use', async () => {
    assert.equal(existsSync(home.defaultKeychain), false);
    const r = await run(home, 'add-generic-password', '-s', 'example.com', '-a', 'alice', '-w', 'hunter2');
    assert.deepEqual(r, { code: 0, stdout: '', stderr: '', stdoutBytes: Buffer.alloc(0) });
    assert.equal(statSync(home.defaultKeychain).mode & 0o777, 0o600);
  });

  test('a duplicate prints SecKeychainItemCreateFromContent (<default>) and exits 45', async () => {
    await run(home, 'add-generic-password', '-s', 'example.com', '-a', 'alice', '-w', 'hunter2');
    const r = await run(home, 'add-generic-password', '-s', 'example.com', '-a', 'alice', '-w', 'other');
    assert.equal(r.code, 45);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      'secitem: SecKeychainItemCreateFromContent (<default>): The specified item already exists in the keychain.\n',
    );
  });

  test('a duplicate in a named keychain names it as typed', async () => {
    const path = join(home.dir, 'other.keychain-db');
    openKeychain({ path }).close();
    await run(home, 'add-generic-password', '-s', 'x', '-a', 'y', 'other.keychain-db');
    // A bare name resolves in the keychain directory, not the working directory.
    const bare = await run(home, 'add-generic-password', '-s', 'x', '-a', 'y', 'other.keychain-db');
    assert.equal(bare.code, 50);
    assert.equal(
      bare.stderr,
      'secitem: SecKeychainItemCreateFromContent (other.keychain-db): The specified keychain could not be found.\n',
    );
    assert.equal((await run(home, 'add-generic-password', '-s', 'x', '-a', 'y', path)).code, 0);
    const dup = await run(home, 'add-generic-password', '-s', 'x', '-a', 'y', './other.keychain-db');
    assert.equal(dup.code, 45);
    assert.equal(
      dup.stderr,
      'secitem: SecKeychainItemCreateFromContent (./other.keychain-db): The specified item already exists in the keychain.\n',
    );
    assert.equal(existsSync(home.defaultKeychain), false, 'the default keychain was not touched');
  });

  test('missing -s prints the usage on stderr and exits 2', async () => {
    const r = await run(home, 'add-generic-password', '-a', 'alice', '-w', 'hunter2');
    assert.deepEqual([r.code, r.stdout, r.stderr], [2, '', ADD_USAGE]);
    assert.ok(!r.stderr.includes('hunter2'));
  });

  test('missing -a, an unknown option, a missing value, two keychains: usage, exit 2', async () => {
    for (const argv of [
      ['-s', 'svc', '-w', 'pw'],
      ['-s', 'svc', '-a', 'acct', '-Z'],
      ['-s', 'svc', '-a'],
      ['-s', 'svc', '-a', 'acct', '--account', 'x'],
      ['-s', 'svc', '-a', 'acct', 'one', 'two'],
      ['-h'],
    ]) {
      const r = await run(home, 'add-generic-password', ...argv);
      assert.deepEqual([r.code, r.stdout, r.stderr], [2, '', ADD_USAGE], argv.join(' '));
    }
  });

  test('no -w stores an empty password', async () => {
    assert.equal((await run(home, 'add-generic-password', '-s', 'svc', '-a', 'acct')).code, 0);
    const r = await run(home, 'find-generic-password', '-s', 'svc', '-w');
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '\n', '']);
  });

  test('a password starting with "-" is taken as getopt takes it', async () => {
    await run(home, 'add-generic-password', '-s', 'svc', '-a', 'acct', '-w', '-secret-');
    assert.equal((await run(home, 'find-generic-password', '-s', 'svc', '-w')).stdout, '-secret-\n');
  });

  test('-X sets binary data from hex; bad hex exits 2', async () => {
    assert.equal((await run(home, 'add-generic-password', '-s', 'svc', '-a', 'acct', '-X', '00ff41')).code, 0);
    assert.equal((await run(home, 'find-generic-password', '-s', 'svc', '-w')).stdout, '00ff41\n');
    const bad = await run(home, 'add-generic-password', '-s', 'svc2', '-a', 'acct', '-X', '0g');
    assert.equal(bad.code, 2);
    assert.equal(
      bad.stderr,
      'secitem: Unable to convert password data (-X must specify valid hex digits)\n' + ADD_USAGE,
    );
  });

  test('-U updates the first match (password and label) or adds', async () => {
    const add = await run(home, 'add-generic-password', '-U', '-s', 'svc', '-a', 'acct', '-w', 'one');
    assert.equal(add.code, 0, 'adds when nothing matches');
    const upd = await run(home, 'add-generic-password', '-U', '-s', 'svc', '-a', 'acct', '-w', 'two', '-l', 'Label');
    assert.deepEqual([upd.code, upd.stdout, upd.stderr], [0, '', '']);
    assert.equal((await run(home, 'find-generic-password', '-s', 'svc', '-w')).stdout, 'two\n');
    const found = await run(home, 'find-generic-password', '-s', 'svc');
    assert.equal(
      normalizeDates(found.stdout, started),
      genpBlock(home.defaultKeychain, { label: '"Label"', acct: '"acct"', svce: '"svc"' }),
    );
    // Without a password, -U keeps the data.
    assert.equal((await run(home, 'add-generic-password', '-U', '-s', 'svc', '-a', 'acct')).code, 0);
    assert.equal((await run(home, 'find-generic-password', '-s', 'svc', '-w')).stdout, 'two\n');
  });

  test('four-character codes: exactly 4 bytes, else Apple\'s message and exit 1', async () => {
    const r = await run(home, 'add-generic-password', '-s', 'svc', '-a', 'acct', '-c', 'ftp');
    assert.deepEqual(
      [r.code, r.stdout, r.stderr],
      [1, '', 'Error: four-character types must be exactly 4 characters long.\n(Try "ftp " instead of "ftp")\n'],
    );
    const long = await run(home, 'add-generic-password', '-s', 'svc', '-a', 'acct', '-C', 'toolong');
    assert.deepEqual([long.code, long.stderr], [1, 'Error: four-character types must be exactly 4 characters long.\n']);
  });
});

describe('find-generic-password', () => {
  beforeEach(async () => {
    await run(home, 'add-generic-password', '-s', 'example.com', '-a', 'alice', '-w', 'hunter2');
  });

  test('prints the attribute block on stdout only', async () => {
    const r = await run(home, 'find-generic-password', '-s', 'example.com');
    assert.deepEqual([r.code, r.stderr], [0, '']);
    assert.equal(
      normalizeDates(r.stdout, started),
      `keychain: "${home.defaultKeychain}"\n` +
        'version: 512\n' +
        'class: "genp"\n' +
        'attributes:\n' +
        '    0x00000007 <blob>="example.com"\n' +
        '    0x00000008 <blob>=<NULL>\n' +
        '    "acct"<blob>="alice"\n' +
        '    "cdat"<timedate>=<DATE>\n' +
        '    "crtr"<uint32>=<NULL>\n' +
        '    "cusi"<sint32>=<NULL>\n' +
        '    "desc"<blob>=<NULL>\n' +
        '    "gena"<blob>=<NULL>\n' +
        '    "icmt"<blob>=<NULL>\n' +
        '    "invi"<sint32>=<NULL>\n' +
        '    "mdat"<timedate>=<DATE>\n' +
        '    "nega"<sint32>=<NULL>\n' +
        '    "prot"<blob>=<NULL>\n' +
        '    "scrp"<sint32>=<NULL>\n' +
        '    "svce"<blob>="example.com"\n' +
        '    "type"<uint32>=<NULL>\n',
    );
  });

  test('-w prints only the password and a newline', async () => {
    const r = await run(home, 'find-generic-password', '-s', 'example.com', '-a', 'alice', '-w');
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'hunter2\n', '']);
  });

  test('-w prints a non-ASCII password as lowercase hex', async () => {
    await run(home, 'add-generic-password', '-s', 'utf8', '-a', 'bob', '-w', 'pässwörd');
    const r = await run(home, 'find-generic-password', '-s', 'utf8', '-w');
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '70c3a4737377c3b67264\n', '']);
  });

  test('-g adds password: <print_buffer> on stderr', async () => {
    const r = await run(home, 'find-generic-password', '-s', 'example.com', '-g');
    assert.equal(r.code, 0);
    assert.equal(
      normalizeDates(r.stdout, started),
      genpBlock(home.defaultKeychain, { label: '"example.com"', acct: '"alice"', svce: '"example.com"' }),
    );
    assert.equal(r.stderr, 'password: "hunter2"\n');
  });

  test('-g on non-ASCII and binary passwords: hex, then the escaped string', async () => {
    await run(home, 'add-generic-password', '-s', 'e', '-a', 'a', '-w', 'é');
    assert.equal((await run(home, 'find-generic-password', '-s', 'e', '-g')).stderr, 'password: 0xC3A9 \n');
    await run(home, 'add-generic-password', '-s', 'ae', '-a', 'a', '-w', 'aé\\');
    assert.equal(
      (await run(home, 'find-generic-password', '-s', 'ae', '-g')).stderr,
      'password: 0x61C3A95C  "a\\303\\251\\134"\n',
    );
  });

  test('not found: Apple\'s message on stderr, exit 44', async () => {
    for (const extra of [[], ['-w'], ['-g']]) {
      const r = await run(home, 'find-generic-password', '-s', 'nope', ...extra);
      assert.deepEqual([r.code, r.stdout, r.stderr], [44, '', NOT_FOUND]);
    }
  });

  test('-a and -s are the primary key: other match options are ignored', async () => {
    const r = await run(home, 'find-generic-password', '-s', 'example.com', '-a', 'alice', '-l', 'nope', '-w');
    assert.equal(r.stdout, 'hunter2\n');
    const other = await run(home, 'find-generic-password', '-s', 'example.com', '-l', 'nope', '-w');
    assert.equal(other.code, 44);
  });

  test('attributes print with print_buffer rules (quotes unescaped, backslash octal)', async () => {
    await run(home, 'add-generic-password', '-s', 'svc', '-a', 'a', '-l', 'say "hi"', '-j', 'c:\\dir', '-c', 'abcd', '-C', 'ty e', '-D', 'kind', '-G', 'gen');
    const r = await run(home, 'find-generic-password', '-s', 'svc', '-a', 'a');
    assert.equal(
      normalizeDates(r.stdout, started),
      genpBlock(home.defaultKeychain, {
        label: '"say "hi""',
        acct: '"a"',
        svce: '"svc"',
        crtr: '"abcd"',
        type: '"ty e"',
        desc: '"kind"',
        gena: '"gen"',
        icmt: '0x633A5C646972  "c:\\134dir"',
      }),
    );
    // The four-char codes and strings match too.
    assert.equal((await run(home, 'find-generic-password', '-c', 'abcd', '-D', 'kind', '-w')).stdout, '\n');
  });

  test('prefix matching: find-g and find are find-generic-password', async () => {
    for (const name of ['find-g', 'find', 'find-generic-password']) {
      const r = await run(home, name, '-s', 'example.com', '-w');
      assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'hunter2\n', ''], name);
    }
  });

  test('a trailing keychain path searches that keychain; a missing one exits 50', async () => {
    const other = join(home.dir, 'other.keychain-db');
    openKeychain({ path: other }).close();
    assert.equal((await run(home, 'add-generic-password', '-s', 'o', '-a', 'a', '-w', 'in-other', other)).code, 0);
    assert.equal((await run(home, 'find-generic-password', '-s', 'o', '-w', other)).stdout, 'in-other\n');
    assert.equal((await run(home, 'find-generic-password', '-s', 'o', '-w')).code, 44, 'not in the default keychain');
    const both = await run(home, 'find-generic-password', '-s', 'o', home.defaultKeychain, other);
    assert.ok(both.stdout.startsWith(`keychain: "${other}"\n`));
    const missing = await run(home, 'find-generic-password', '-s', 'o', join(home.dir, 'missing.keychain-db'));
    assert.deepEqual(
      [missing.code, missing.stdout, missing.stderr],
      [50, '', 'secitem: SecKeychainSearchCopyNext: The specified keychain could not be found.\n'],
    );
  });
});

describe('keychain state', () => {
  test('a keychain with a password is locked for a fresh invocation: exit 36, never a hang', async () => {
    const path = join(home.dir, 'locked.keychain-db');
    const kc = openKeychain({ path, passcode: 'kc-password' });
    const app = kc.client({ applicationIdentifier: 'secitem.cli', keychainAccessGroups: ['secitem.cli', '*'] });
    const added = app.SecItemAdd({
      [kSecClass]: kSecClassGenericPassword,
      [kSecAttrService]: 'svc',
      [kSecAttrAccount]: 'acct',
      [kSecValueData]: Buffer.from('pw'),
    });
    assert.equal(added.status, 0);
    kc.close();
    const add = await run(home, 'add-generic-password', '-s', 'other', '-a', 'acct', '-w', 'pw', path);
    assert.deepEqual(
      [add.code, add.stderr],
      [36, `secitem: SecKeychainItemCreateFromContent (${path}): User interaction is not allowed.\n`],
    );
    for (const extra of [[], ['-w']]) {
      const find = await run(home, 'find-generic-password', '-s', 'svc', ...extra, path);
      assert.deepEqual(
        [find.code, find.stdout, find.stderr],
        [36, '', 'secitem: SecKeychainSearchCopyNext: User interaction is not allowed.\n'],
      );
    }
  });

  test('a file that is not a keychain is reported, exit -25295 & 0xFF, and left alone', async () => {
    const path = join(home.dir, 'notes.txt');
    writeFileSync(path, 'not a keychain\n');
    const r = await run(home, 'find-generic-password', '-s', 'svc', path);
    assert.deepEqual(
      [r.code, r.stderr],
      [-25295 & 0xff, 'secitem: SecKeychainSearchCopyNext: The specified keychain is not a valid keychain file.\n'],
    );
    assert.equal(readFileSync(path, 'utf8'), 'not a keychain\n');
  });
});

describe('delete-generic-password', () => {
  test('prints the block, deletes the first match, then "password has been deleted." on stderr', async () => {
    await run(home, 'add-generic-password', '-s', 'svc', '-a', 'one', '-w', 'pw1');
    await run(home, 'add-generic-password', '-s', 'svc', '-a', 'two', '-w', 'pw2');
    const r = await run(home, 'delete-generic-password', '-s', 'svc', '-a', 'one');
    assert.equal(r.code, 0);
    assert.equal(
      normalizeDates(r.stdout, started),
      genpBlock(home.defaultKeychain, { label: '"svc"', acct: '"one"', svce: '"svc"' }),
    );
    assert.equal(r.stderr, 'password has been deleted.\n');
    assert.equal((await run(home, 'find-generic-password', '-s', 'svc', '-a', 'one')).code, 44);
    assert.equal((await run(home, 'find-generic-password', '-s', 'svc', '-a', 'two', '-w')).stdout, 'pw2\n');
  });

  test('only the first of several matches is deleted', async () => {
    await run(home, 'add-generic-password', '-s', 'svc', '-a', 'one', '-w', 'pw1');
    await run(home, 'add-generic-password', '-s', 'svc', '-a', 'two', '-w', 'pw2');
    assert.equal((await run(home, 'delete-generic-password', '-s', 'svc')).code, 0);
    assert.equal((await run(home, 'delete-generic-password', '-s', 'svc')).code, 0);
    const r = await run(home, 'delete-generic-password', '-s', 'svc');
    assert.deepEqual([r.code, r.stdout, r.stderr], [44, '', NOT_FOUND]);
  });

  test('no match option is a usage error', async () => {
    const r = await run(home, 'delete-generic-password');
    assert.equal(r.code, 2);
    assert.ok(r.stderr.startsWith('Usage: delete-generic-password [-h] [-a account] [-s service] [options...] [keychain...]\n'));
    assert.ok(r.stderr.endsWith('\n        Delete a generic password item.\n'));
  });
});

describe('dispatcher', () => {
  test('unknown command: message on stderr, exit 1', async () => {
    const r = await run(home, 'frobnicate', '-x');
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', 'secitem: unknown command "frobnicate"\n']);
  });

  test('no command: usage and the command list on stdout, exit 2', async () => {
    const r = await run(home);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, '');
    assert.equal(
      r.stdout,
      'Usage: secitem [-h] [-i] [-p prompt] [-q] [-v] [command] [opt ...]\n' +
        '    -i    Run in interactive mode.\n' +
        '    -p    Set the prompt to "prompt" (implies -i).\n' +
        '    -q    Be less verbose.\n' +
        "    -v    Be more verbose about what's going on.\n" +
        'secitem commands are:\n' +
        COMMAND_LIST,
    );
  });

  test('an unknown global option prints the usage, exit 2', async () => {
    const r = await run(home, '-Z', 'find-generic-password');
    assert.equal(r.code, 2);
    assert.ok(r.stdout.startsWith('Usage: secitem '));
  });

  test('help lists commands; help CMD and -h CMD print its usage on stdout', async () => {
    const list = await run(home, 'help');
    assert.equal(list.code, 0);
    assert.ok(list.stdout.includes('    find-generic-password                Find a generic password item.\n'));
    for (const argv of [['help', 'find-g'], ['-h', 'find-generic-password']]) {
      const r = await run(home, ...argv);
      assert.equal(r.code, 0);
      assert.ok(r.stdout.startsWith('Usage: find-generic-password [-h] [-a account] [-s service] [options...] [-g] [keychain...]\n'));
      assert.ok(!r.stdout.includes('        Find a generic password item.'));
    }
    const bad = await run(home, 'help', 'nope');
    assert.deepEqual([bad.code, bad.stderr], [1, 'secitem: help: no such command: nope\n']);
  });

  test('a prefix is the first command in table order; a planned command does not fall through', async () => {
    // `security delete …` is delete-keychain: first in table order.
    const r = await run(home, 'delete', '-s', 'svc', '-a', 'acct');
    assert.deepEqual([r.code, r.stderr], [2, 'Usage: delete-keychain [-h] [keychain...]\n        Delete keychains and remove them from the search list.\n']);
    const planned = await run(home, 'set-key-p', '-l', 'x');
    assert.deepEqual([planned.code, planned.stderr], [1, 'secitem: set-key-partition-list: this command is not implemented yet\n']);
  });

  test('-v echoes the command line on stderr with passwords hidden', async () => {
    const r = await run(home, '-v', 'add-gen', '-s', 'svc', '-a', 'acct', '-w', 'topsecret');
    assert.equal(r.code, 0);
    assert.equal(r.stderr, 'add-generic-password "-s" "svc" "-a" "acct" "-w" "********"\n');
    const attached = await run(home, '-v', 'add-gen', '-s', 'svc2', '-a', 'acct', '-Uwtopsecret');
    assert.equal(attached.stderr, 'add-generic-password "-s" "svc2" "-a" "acct" "-Uw********"\n');
  });

  test('a password never appears in error output', async () => {
    await run(home, 'add-generic-password', '-s', 'svc', '-a', 'acct', '-w', 'topsecret');
    for (const argv of [
      ['add-generic-password', '-s', 'svc', '-a', 'acct', '-w', 'topsecret'],
      ['add-generic-password', '-a', 'acct', '-w', 'topsecret'],
      ['add-generic-password', '-s', 'svc', '-a', 'acct', '-w', 'topsecret', '-c', 'abc'],
      ['add-generic-password', '-s', 'svc', '-a', 'acct', '-w', 'topsecret', '/no/such.keychain-db'],
    ]) {
      const r = await run(home, ...argv);
      assert.notEqual(r.code, 0);
      assert.ok(!r.stderr.includes('topsecret') && !r.stdout.includes('topsecret'), argv.join(' '));
    }
  });
});
