/**
 * `-i` interactive mode: lines from stdin, quoting rules, `<cmd>: returned
 * <n>` on failures, and a session in which unlock-keychain keeps a keychain
 * unlocked and lock-keychain locks it again.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitLine } from '../../src/cli/main.js';
import { makeHome, run, runWith } from './helpers.js';

test('splitLine: blanks, single and double quotes, backslash escapes', () => {
  assert.deepEqual(splitLine(`  find-generic-password -s 'a b' -l "say \\"hi\\"" c:\\\\dir x""y  `), [
    'find-generic-password', '-s', 'a b', '-l', 'say "hi"', 'c:\\dir', 'xy',
  ]);
  assert.deepEqual(splitLine(`'it''s' ""`), ['its', '']);
  assert.equal(splitLine(`"open`), null);
});

test('an interactive session: unlock once, use it, lock, locked again; failures print "returned <n>"', async (t) => {
  const home = makeHome();
  t.after(() => home.cleanup());
  assert.equal((await run(home, 'create-keychain', '-p', 'sess-pw', 'sess.keychain')).code, 0);
  const script = [
    'unlock-keychain -p wrong-pw sess.keychain',
    'unlock-keychain -p sess-pw sess.keychain',
    `add-generic-password -s 'my service' -a me -w "pa ss" sess.keychain`,
    'find-generic-password -s "my service" -w sess.keychain',
    'lock-keychain sess.keychain',
    'find-generic-password -s "my service" -w sess.keychain',
    'quit',
    'error 1',
  ].join('\n');
  const r = await runWith(home, { stdin: `${script}\n` }, '-i');
  assert.equal(r.code, 0);
  assert.equal(r.stdout, 'pa ss\n');
  assert.equal(
    r.stderr,
    'secitem: SecKeychainUnlock sess.keychain: The user name or passphrase you entered is not correct.\n' +
      'unlock-keychain: returned 51\n' +
      'secitem: SecKeychainSearchCopyNext: User interaction is not allowed.\n' +
      'find-generic-password: returned 36\n',
  );
  const quiet = await runWith(home, { stdin: 'error -25300\n' }, '-q', '-i');
  assert.deepEqual([quiet.code, quiet.stderr], [0, '']);
  assert.equal(quiet.stdout, 'Error: 0xFFFF9D2C -25300 The specified item could not be found in the keychain.\n');
});
