/**
 * print_buffer / print_uint32 / timedate / -w rules of security-cli.md §2.2–2.3,
 * and getopt(3) semantics of the option parser.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UsageError } from '../../src/cli/failures.js';
import { echoLine, getopt, optionLines } from '../../src/cli/options.js';
import { fourCharCode, passwordForStdout, printBuffer, printUint32, timedateBytes } from '../../src/cli/print.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('print_buffer', () => {
  test('printable ASCII prints quoted; " is not escaped', () => {
    assert.equal(printBuffer(bytes('Admin')), '"Admin"');
    assert.equal(printBuffer(bytes('say "hi"')), '"say "hi""');
  });
  test('only non-printable bytes: uppercase hex and one trailing space', () => {
    assert.equal(printBuffer(bytes('é')), '0xC3A9 ');
    assert.equal(printBuffer(Uint8Array.of(0, 0, 0, 7)), '0x00000007 ');
  });
  test('mixed: hex, two spaces, then the string with \\ooo escapes', () => {
    assert.equal(printBuffer(bytes('aé')), '0x61C3A9  "a\\303\\251"');
  });
  test('a backslash counts as hex and prints as \\134', () => {
    assert.equal(printBuffer(bytes('\\')), '0x5C ');
    assert.equal(printBuffer(bytes('a\\b')), '0x615C62  "a\\134b"');
  });
  test('empty prints nothing', () => {
    assert.equal(printBuffer(new Uint8Array(0)), '');
  });
});

describe('print_uint32 and timedate', () => {
  test('four-char codes print quoted, small numbers as hex with a space', () => {
    assert.equal(printUint32(fourCharCode('genp')), '"genp"');
    assert.equal(printUint32(fourCharCode('acct')), '"acct"');
    assert.equal(printUint32(7), '0x00000007 ');
    assert.equal(printUint32(0), '0x00000000 ');
    assert.equal(printUint32(0x80001000), '0x80001000 ');
  });
  test('a date is YYYYMMDDhhmmssZ\\0 in UTC, as in the reference capture', () => {
    const date = new Date(Date.UTC(2012, 0, 15, 16, 42, 15));
    assert.equal(printBuffer(timedateBytes(date)), '0x32303132303131353136343231355A00  "20120115164215Z\\000"');
  });
});

describe('-w password form', () => {
  test('raw when every byte is 0x20–0x7E', () => {
    assert.equal(passwordForStdout(bytes('p@ss w0rd~')), 'p@ss w0rd~');
    assert.equal(passwordForStdout(bytes('back\\slash')), 'back\\slash');
  });
  test('lowercase hex of all bytes otherwise', () => {
    assert.equal(passwordForStdout(bytes('pässwörd')), '70c3a4737377c3b67264');
    assert.equal(passwordForStdout(bytes('tab\t')), '74616209');
  });
});

describe('getopt', () => {
  const defs = {
    account: { letter: 'a', value: 'account' },
    password: { letter: 'w', value: 'password', secret: true },
    update: { letter: 'U' },
    get: { letter: 'g' },
  } as const;

  test('values attached, separate, bundled, and starting with -', () => {
    assert.deepEqual(getopt(['-aalice', '-Ugw', '-x-y', '--', '-kc'], defs), {
      values: { account: 'alice', password: '-x-y', update: true, get: true },
      positionals: ['-kc'],
    });
    assert.deepEqual(getopt(['-w', '-', '-a', ''], defs).values, { password: '-', account: '' });
  });
  test('options end at the first positional', () => {
    assert.deepEqual(getopt(['-a', 'x', 'kc', '-g'], defs), { values: { account: 'x' }, positionals: ['kc', '-g'] });
    assert.deepEqual(getopt(['-', '-g'], defs), { values: {}, positionals: ['-', '-g'] });
  });
  test('unknown options, long options and missing values are usage errors', () => {
    for (const argv of [['-z'], ['--account', 'x'], ['-a'], ['-gz']]) {
      assert.throws(() => getopt(argv, defs), UsageError, argv.join(' '));
    }
  });
  test('-v echo hides secret values, attached or not', () => {
    assert.equal(echoLine('cmd', ['-a', 'x', '-w', 's3cret', 'kc'], defs), 'cmd "-a" "x" "-w" "********" "kc"');
    assert.equal(echoLine('cmd', ['-gws3cret'], defs), 'cmd "-gw********"');
    assert.equal(echoLine('cmd', ['-aw', '-w'], defs), 'cmd "-aw" "-w"');
    // Even when the line does not parse.
    assert.equal(echoLine('cmd', ['-ws3cret', '-Z'], defs), 'cmd "-w********" "-Z"');
    // options read after an operand (import inputfile … -P passphrase) are hidden too
    assert.equal(echoLine('cmd', ['file', '-w', 's3cret', '-ws3cret', '-a', 'x'], defs), 'cmd "file" "-w" "********" "-w********" "-a" "x"');
    assert.equal(echoLine('cmd', ['-Z', '-w', 's3cret', '--x'], defs), 'cmd "-Z" "-w" "********" "--x"');
  });
  test('declared long options: --name value and --name=value, in the options only; unknown ones are usage errors', () => {
    const withLong = { ...defs, group: { long: 'access-group', value: 'GROUP' }, token: { long: 'token', value: 'T', secret: true } } as const;
    assert.deepEqual(getopt(['--access-group', 'g', '-a', 'x', '--access-group=h', 'kc', '--access-group', 'late'], withLong), {
      values: { group: 'h', account: 'x' },
      positionals: ['kc', '--access-group', 'late'],
    });
    for (const argv of [['--access-group'], ['--nope'], ['--token']]) {
      assert.throws(() => getopt(argv, withLong), UsageError, argv.join(' '));
    }
    assert.equal(echoLine('cmd', ['--token', 's3cret', '--token=s3cret', '-w', 'pw', 'kc'], withLong), 'cmd "--token" "********" "--token=********" "-w" "********" "kc"');
  });
  test('usage lines come from the help of each option, in table order; a long-only option shows its value', () => {
    const table = {
      b: { letter: 'b', help: 'Second\ncontinued' },
      a: { letter: 'a', value: 'x', help: 'First' },
      hidden: { letter: 'z' },
      group: { long: 'access-group', value: 'GROUP', help: 'Group' },
    } as const;
    assert.equal(optionLines(table), '    -b  Second\n        continued\n    -a  First\n    --access-group GROUP  Group\n');
    assert.equal(optionLines({ i: { letter: 'i', help: 'Interactive.' } }, 4), '    -i    Interactive.\n');
  });
});
