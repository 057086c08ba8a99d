/**
 * `secitem item`: Apple's data-protection keychain tool (reference §2.7) —
 * golden outputs for add/query/update/delete, the error exits, the -j JSON
 * format and its exact round trip of every attribute type, -s group, sync,
 * and persistent references.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { openKeychain, SecCopyErrorMessageString } from '../../src/index.js';
import { makeHome, run, runWith } from './helpers.js';
import type { Home } from './helpers.js';

let home: Home;
let started: Date;
beforeEach(() => {
  home = makeHome();
  started = new Date();
});
afterEach(() => home.cleanup());

const ITEM_USAGE =
  'Usage: item [-h] [-v] [-k keychain] [-a|-D|-u attr=value,...|[-q attr=value,...][-j][-g][-l limit]] [-s group] [-p persistentref] [-J json] [-d password | -f datafile] [attr=value,...]\n' +
  '    -a  Add an item with the attributes given\n' +
  '    -D  Delete every item matching the attributes given\n' +
  '    -u  Update every matching item with these attributes (attr=value,... or a JSON object; repeatable)\n' +
  '    -q  Query attributes (querying is the default); the same as trailing attr=value,...\n' +
  '    -j  Print items as JSON, one object per line (with -a: the new item)\n' +
  '    -g  Print the data (kSecValueData) of each item too\n' +
  '    -l  Return at most this many items (default: all)\n' +
  '    -s  Restrict to (with -a: add to) this access group\n' +
  '    -p  The item with this persistent reference (base64, as printed)\n' +
  '    -J  Attributes as a JSON object in the -j format (repeatable)\n' +
  '    -d  Data (kSecValueData) as text; with -u the new data\n' +
  '    -f  Data read from a file; with -u the new data\n' +
  '    -k  Use this keychain instead of the default keychain\n' +
  '    -v  Print the dictionaries (data hidden) on stderr first\n' +
  'class=genp|inet|cert|keys|idnt is required unless -p names the item. Queries see\n' +
  'non-synchronizable items only; sync=1 selects synchronizable ones, sync=any both.\n' +
  'Values: blob/data <hex> for bytes, dates ISO 8601, accc=ak[;UserPresence;...].\n' +
  '        Manipulate keychain items.\n';

const NOT_FOUND = 'The specified item could not be found in the keychain.\n';

/**
 * Replaces cdat/mdat values with <DATE> (after checking each is an ISO 8601
 * time since the test started) and persistent references with <PREF>
 * (checking each is 20 bytes of base64 naming the class).
 */
function normalize(text: string): string {
  return text
    .replace(/^((?:cdat|mdat) {7}: )(\S+)$/gm, (_l, prefix: string, iso: string) => {
      const t = Date.parse(iso);
      assert.equal(new Date(t).toISOString(), iso);
      assert.ok(t >= started.getTime() && t <= Date.now(), `${iso} is now`);
      return `${prefix}<DATE>`;
    })
    .replace(/^(v_PersistentRef : )(\S+)$/gm, (_l, prefix: string, b64: string) => {
      assert.equal(Buffer.from(b64, 'base64').length, 20);
      return `${prefix}<PREF>`;
    });
}

/** Each stdout line as a JSON object. */
function jsonLines(stdout: string): Record<string, unknown>[] {
  assert.ok(stdout.endsWith('\n'), 'newline-terminated');
  return stdout
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function withoutKeychainSet(item: Record<string, unknown>): Record<string, unknown> {
  const { cdat: _c, mdat: _m, v_PersistentRef: _p, ...rest } = item;
  return rest;
}

describe('item: add, query, update, delete (golden text)', () => {
  test('add is silent; a query prints key : value lines, sorted, ==== after each item', async () => {
    const add = await run(home, 'item', '-a', '-d', 'hunter2', 'class=genp,acct=alice,svce=example.com', 'labl=Mail,crtr=0x61626364');
    assert.deepEqual([add.code, add.stdout, add.stderr], [0, '', '']);
    const q = await run(home, 'item', 'class=genp');
    assert.deepEqual([q.code, q.stderr], [0, '']);
    assert.equal(
      normalize(q.stdout),
      'acct       : alice\n' +
        'agrp       : secitem.cli\n' +
        'cdat       : <DATE>\n' +
        'class      : genp\n' +
        'crtr       : 1633837924\n' +
        'labl       : Mail\n' +
        'mdat       : <DATE>\n' +
        'pdmn       : ak\n' +
        'svce       : example.com\n' +
        'sync       : 0\n' +
        'v_PersistentRef : <PREF>\n' +
        '====\n',
    );
    // -g adds the data: /text/ and uppercase hex, as Apple's display_item prints data.
    const g = await run(home, 'item', '-g', '-q', 'class=genp,acct=alice');
    assert.ok(g.stdout.includes('v_Data     : /hunter2/ 68756E74657232\n'), g.stdout);
    // -q and trailing words are the same query.
    assert.equal(normalize((await run(home, 'item', '-q', 'class=genp', 'acct=alice')).stdout), normalize(q.stdout));
  });

  test('binary data (-f) prints as hex; data with control characters as "not printable"', async () => {
    const file = join(home.dir, 'blob.bin');
    writeFileSync(file, Buffer.from([0x00, 0xff, 0x10]));
    assert.equal((await run(home, 'item', '-a', '-f', file, 'class=genp,svce=bin')).code, 0);
    assert.equal((await run(home, 'item', '-a', '-d', 'a\tb', 'class=genp,svce=tab')).code, 0);
    const bin = await run(home, 'item', '-g', 'class=genp,svce=bin');
    assert.ok(bin.stdout.includes('v_Data     : 00FF10\n'), bin.stdout);
    const tab = await run(home, 'item', '-g', 'class=genp,svce=tab');
    assert.ok(tab.stdout.includes('v_Data     : not printable 610962\n'), tab.stdout);
    const missing = await run(home, 'item', '-a', '-f', join(home.dir, 'nope'), 'class=genp');
    assert.deepEqual([missing.code, missing.stderr], [1, `secitem: item: ${join(home.dir, 'nope')}: ENOENT\n`]);
  });

  test('several items: one block each, in the engine order', async () => {
    await run(home, 'item', '-a', 'class=genp,svce=one');
    await run(home, 'item', '-a', 'class=genp,svce=two');
    const q = await run(home, 'item', 'class=genp');
    assert.equal(q.stdout.split('====\n').length, 3);
    const limited = await run(home, 'item', '-l', '1', 'class=genp');
    assert.equal(limited.stdout.split('====\n').length, 2);
  });

  test('update: query attributes positional, new attributes and -d data with -u', async () => {
    await run(home, 'item', '-a', '-d', 'old', 'class=genp,acct=alice,svce=a');
    await run(home, 'item', '-a', '-d', 'old', 'class=genp,acct=bob,svce=a');
    const u = await run(home, 'item', '-u', 'labl=New label,icmt=note', '-d', 'new', 'class=genp,acct=alice');
    assert.deepEqual([u.code, u.stdout, u.stderr], [0, '', '']);
    const [alice] = jsonLines((await run(home, 'item', '-j', '-g', 'class=genp,acct=alice')).stdout);
    assert.equal(alice.labl, 'New label');
    assert.equal(alice.icmt, 'note');
    assert.deepEqual(alice.v_Data, { base64: Buffer.from('new').toString('base64') });
    const [bob] = jsonLines((await run(home, 'item', '-j', '-g', 'class=genp,acct=bob')).stdout);
    assert.equal(bob.labl, undefined);
    assert.deepEqual(bob.v_Data, { base64: Buffer.from('old').toString('base64') });
    // -u also takes a JSON object in the -j format.
    assert.equal((await run(home, 'item', '-u', '{"gena":{"base64":"AAE="},"invi":1}', 'class=genp,acct=bob')).code, 0);
    const [bob2] = jsonLines((await run(home, 'item', '-j', 'class=genp,acct=bob')).stdout);
    assert.deepEqual([bob2.gena, bob2.invi], [{ base64: 'AAE=' }, 1]);
  });

  test('delete removes every match, silently', async () => {
    await run(home, 'item', '-a', 'class=genp,acct=x,svce=1');
    await run(home, 'item', '-a', 'class=genp,acct=x,svce=2');
    await run(home, 'item', '-a', 'class=genp,acct=y,svce=3');
    const d = await run(home, 'item', '-D', 'class=genp,acct=x');
    assert.deepEqual([d.code, d.stdout, d.stderr], [0, '', '']);
    const rest = jsonLines((await run(home, 'item', '-j', 'class=genp')).stdout);
    assert.deepEqual(rest.map((i) => i.svce), ['3']);
  });
});

describe('item: exit codes', () => {
  test('not found: 44 from query, update and delete, with the call named', async () => {
    for (const [argv, call] of [
      [['class=genp,acct=nobody'], 'SecItemCopyMatching'],
      [['-u', 'labl=x', 'class=genp,acct=nobody'], 'SecItemUpdate'],
      [['-D', 'class=genp,acct=nobody'], 'SecItemDelete'],
    ] as const) {
      const r = await run(home, 'item', ...argv);
      assert.deepEqual([r.code, r.stdout, r.stderr], [44, '', `secitem: ${call}: ${NOT_FOUND}`]);
    }
  });

  test('duplicate: 45', async () => {
    await run(home, 'item', '-a', 'class=genp,acct=a,svce=s');
    const r = await run(home, 'item', '-a', '-d', 'pw', 'class=genp,acct=a,svce=s,labl=other');
    assert.deepEqual([r.code, r.stdout, r.stderr], [45, '', 'secitem: SecItemAdd: The specified item already exists in the keychain.\n']);
  });

  test('usage: exit 2 with the usage on stderr', async () => {
    const noClass = await run(home, 'item', 'acct=a');
    assert.deepEqual([noClass.code, noClass.stdout, noClass.stderr], [2, '', `secitem: item: class=genp|inet|cert|keys|idnt is required\n${ITEM_USAGE}`]);
    for (const argv of [
      ['-a', '-D', 'class=genp'],
      ['-a', '-u', 'labl=x', 'class=genp'],
      ['-a', '-g', 'class=genp'],
      ['-D', '-j', 'class=genp'],
      ['-u', 'labl=x', '-l', '2', 'class=genp'],
      ['-d', 'x', '-f', 'y', '-a', 'class=genp'],
      ['-l', 'many', 'class=genp'],
      ['-Z', 'class=genp'],
      ['class=genp', '-j'],
      ['-h'],
    ]) {
      const r = await run(home, 'item', ...argv);
      assert.deepEqual([r.code, r.stdout, r.stderr], [2, '', ITEM_USAGE], argv.join(' '));
    }
  });

  test('engine refusals keep OSStatus & 0xFF: unknown class 38, unknown attribute 41, bad values 1', async () => {
    const cls = await run(home, 'item', 'class=nope');
    assert.deepEqual([cls.code, cls.stderr], [-25306 & 0xff, `secitem: SecItemCopyMatching: ${SecCopyErrorMessageString(-25306)}\n`]);
    const attr = await run(home, 'item', '-a', 'class=genp,srvr=x');
    assert.deepEqual([attr.code, attr.stderr], [-25303 & 0xff, `secitem: SecItemAdd: ${SecCopyErrorMessageString(-25303)}\n`]);
    const date = await run(home, 'item', 'class=keys,sdat=yesterday');
    assert.deepEqual([date.code, date.stderr], [1, 'secitem: item: sdat: not an ISO 8601 date: "yesterday"\n']);
    const sync = await run(home, 'item', 'class=genp,sync=maybe');
    assert.deepEqual([sync.code, sync.stderr], [1, 'secitem: item: sync: expected 1, 0, true, false or any, not "maybe"\n']);
    const json = await run(home, 'item', '-J', '{"acct":', 'class=genp');
    assert.deepEqual([json.code, json.stderr], [1, 'secitem: item: not a JSON object\n']);
    const value = await run(home, 'item', '-J', '{"acct":[1]}', 'class=genp');
    assert.deepEqual([value.code, value.stderr], [1, 'secitem: item: acct: not a value of the -j format: [1]\n']);
  });

  test('a locked keychain without a terminal: 36; the environment password unlocks it', async () => {
    const path = join(home.dir, 'ci.keychain-db');
    openKeychain({ path, passcode: 'pw' }).close();
    const env = { SECITEM_KEYCHAIN_PASSWORD: 'pw' };
    assert.equal((await runWith(home, { env }, 'item', '-k', path, '-a', '-d', 's', 'class=genp,svce=ci')).code, 0);
    const locked = await run(home, 'item', '-k', path, 'class=genp');
    assert.deepEqual([locked.code, locked.stdout, locked.stderr], [36, '', `secitem: SecItemCopyMatching: ${SecCopyErrorMessageString(-25308)}\n`]);
    assert.equal((await runWith(home, { env }, 'item', '-k', path, 'class=genp,svce=ci')).code, 0);
    const missing = await run(home, 'item', '-k', 'nope.keychain', 'class=genp');
    assert.deepEqual([missing.code, missing.stderr], [50, 'secitem: SecItemCopyMatching: The specified keychain could not be found.\n']);
  });

  test('-v prints the dictionary on stderr with the data hidden', async () => {
    const r = await run(home, 'item', '-v', '-a', '-d', 'topsecret', 'class=genp,acct=a');
    assert.equal(r.code, 0);
    assert.equal(r.stderr, '{"class":"genp","acct":"a","v_Data":"********"}\n');
    const echoed = await run(home, '-v', 'item', '-a', '-d', 'topsecret', 'class=genp,acct=b');
    assert.equal(echoed.stderr, 'item "-a" "-d" "********" "class=genp,acct=b"\n');
  });

  test('-v hides every secret in every echo: v_Data= words, the secret extra fields of internet passwords, -u values and -u/-J JSON data (issue 14, hole 6)', async () => {
    const added = await run(home, '-v', 'item', '-v', '-a', 'class=inet,srvr=h,acct=a,v_Data=topsecret1,bin0=topsecret2,binn=topsecret3');
    assert.equal(added.code, 0, added.stderr);
    const updated = await run(home, '-v', 'item', '-v', '-u', 'v_Data=topsecret4,bin1=topsecret5', '-u', '{"bin2":{"base64":"dG9wc2VjcmV0Ng=="},"v_Data":{"base64":"dG9wc2VjcmV0Nw=="}}', 'class=inet,srvr=h');
    assert.equal(updated.code, 0, updated.stderr);
    for (const [what, text] of [['add', added.stderr], ['update', updated.stderr]] as const) {
      assert.ok(!/topsecret|dG9wc2VjcmV0N/.test(text), `${what} echo: ${text}`);
      assert.match(text, /\*\*\*\*\*\*\*\*/);
    }
    assert.match(added.stderr, /"class=inet,srvr=h,acct=a,v_Data=\*{8},bin0=\*{8},binn=\*{8}"/);
  });
});

describe('item: attr=value text', () => {
  test('backslash escapes , = and \\; a key without = is true', async () => {
    assert.equal((await run(home, 'item', '-a', 'class=genp,acct=a\\,b\\\\c,svce=x\\=y,invi')).code, 0);
    const [item] = jsonLines((await run(home, 'item', '-j', 'class=genp')).stdout);
    assert.deepEqual([item.acct, item.svce, item.invi], ['a,b\\c', 'x=y', 1]);
    assert.equal((await run(home, 'item', 'class=genp,acct=a\\,b\\\\c')).code, 0);
  });

  test('typed by the schema: <hex> bytes, numbers, four-char text, dates, accc, non-ASCII', async () => {
    const add = await run(
      home,
      'item',
      '-a',
      'class=inet,srvr=h\u00e9.example,acct=\u00fc,ptcl=htps,port=443,atyp=dflt,desc=<00ff>,path=/x',
    );
    assert.equal(add.code, 0, add.stderr);
    const [inet] = jsonLines((await run(home, 'item', '-j', 'class=inet,port=443,ptcl=htps')).stdout);
    assert.deepEqual(
      [inet.srvr, inet.acct, inet.ptcl, inet.port, inet.desc],
      ['h\u00e9.example', '\u00fc', 'htps', 443, { base64: 'AP8=' }],
    );
    const keys = await run(home, 'item', '-a', 'class=keys,kcls=1,sdat=2024-01-02 03:04:05 +0000,edat=2030-01-01T00:00:00.5Z,accc=ak;od(cpo(DeviceOwnerAuthentication));odel(true);oe(true)');
    assert.equal(keys.code, 0, keys.stderr);
    const text = await run(home, 'item', 'class=keys,sdat=2024-01-02T03:04:05Z');
    assert.ok(text.stdout.includes('accc       : ak;UserPresence\n'), text.stdout);
    assert.ok(text.stdout.includes('edat       : 2030-01-01T00:00:00.500Z\n'), text.stdout);
    assert.ok(text.stdout.includes('sdat       : 2024-01-02T03:04:05.000Z\n'), text.stdout);
    assert.ok(text.stdout.includes('klbl       : // \n'), text.stdout);
  });
});

describe('item -j: the JSON format and its round trip', () => {
  test('every attribute type survives add → query -j → parse → re-add elsewhere → query -j', async () => {
    const adds = [
      ['-d', 'p\u00e4ss', 'class=genp,acct=alice,svce=mail,gena=<000102ff>,crtr=0x61626364,type=7,nega=0,labl=L\u00e9'],
      ['-d', 'token', 'class=inet,srvr=git.example,acct=ci,ptcl=htps,port=443,path=/repo,sdmn=realm,sync=1,icmt=synced'],
      ['-f', '/dev/null', 'class=keys,kcls=2,klbl=<aabb>,atag=tag,bsiz=256,sdat=2024-02-29T12:34:56.789Z,edat=2034-02-28T00:00:00Z,encr=1,decr=1,accc=cku;UserPresence;Or;DevicePasscode'],
      ['class=cert,ctyp=1,cenc=3,subj=<3000>,issr=<3001>,slnr=<02>,pkhh=<0123>,alis=alias,pdmn=dku'],
    ];
    for (const argv of adds) {
      const r = await run(home, 'item', '-a', ...argv);
      assert.equal(r.code, 0, `${argv.join(' ')}: ${r.stderr}`);
    }
    const second = join(home.dir, 'second.keychain-db');
    openKeychain({ path: second }).close();

    const dump = async (keychain?: string): Promise<Record<string, unknown>[]> => {
      const items: Record<string, unknown>[] = [];
      for (const cls of ['genp', 'inet', 'cert', 'keys']) {
        // The key's access control asks for user presence before its data is read (none without a terminal): attributes only.
        const data = cls === 'keys' ? [] : ['-g'];
        const r = await run(home, 'item', ...(keychain === undefined ? [] : ['-k', keychain]), '-j', ...data, `class=${cls},sync=any`);
        assert.equal(r.code, 0, r.stderr);
        items.push(...jsonLines(r.stdout));
      }
      return items;
    };
    const first = await dump();
    assert.equal(first.length, 4);
    const [genp, inet, cert, keys] = first;

    // Types as documented: strings, numbers, booleans for sync, tagged data and dates.
    assert.equal(genp.acct, 'alice');
    assert.equal(genp.labl, 'L\u00e9');
    assert.deepEqual(genp.gena, { base64: 'AAEC/w==' });
    assert.equal(genp.crtr, 0x61626364);
    assert.equal(genp.type, 7);
    assert.equal(genp.sync, false);
    assert.deepEqual(genp.v_Data, { base64: Buffer.from('p\u00e4ss').toString('base64') });
    assert.equal(typeof (genp.cdat as { date: string }).date, 'string');
    assert.equal(inet.sync, true);
    assert.equal(inet.ptcl, 'htps');
    assert.equal(inet.port, 443);
    assert.deepEqual(keys.sdat, { date: '2024-02-29T12:34:56.789Z' });
    assert.deepEqual(keys.edat, { date: '2034-02-28T00:00:00.000Z' });
    assert.deepEqual(keys.klbl, { base64: 'qrs=' });
    assert.deepEqual(keys.accc, { accessControl: { protection: 'cku', flags: 1 + 16 + 16384 } });
    assert.equal(cert.pdmn, 'dku');
    assert.deepEqual(cert.subj, { base64: 'MAA=' });
    for (const item of first) {
      const pref = item.v_PersistentRef as { base64: string };
      assert.equal(Buffer.from(pref.base64, 'base64').subarray(0, 4).toString('latin1'), item.class);
    }

    // Re-add each printed object, as printed, to the second keychain.
    for (const item of first) {
      const r = await run(home, 'item', '-k', second, '-a', '-J', JSON.stringify(item));
      assert.equal(r.code, 0, r.stderr);
    }
    const again = await dump(second);
    assert.deepEqual(again.map(withoutKeychainSet), first.map(withoutKeychainSet));

    // A printed object is also a query: without its keychain-set keys it finds exactly its item.
    const found = await run(home, 'item', '-k', second, '-j', '-J', JSON.stringify(withoutKeychainSet(keys)));
    assert.deepEqual(jsonLines(found.stdout).map(withoutKeychainSet), [withoutKeychainSet(keys)]);
  });

  test('-a -j prints the new item; several items print one object per line', async () => {
    const r = await run(home, 'item', '-a', '-j', 'class=genp,svce=s1');
    assert.equal(r.code, 0);
    const [added] = jsonLines(r.stdout);
    assert.equal(added.class, 'genp');
    assert.equal(added.svce, 's1');
    await run(home, 'item', '-a', 'class=genp,svce=s2');
    const all = jsonLines((await run(home, 'item', '-j', 'class=genp')).stdout);
    assert.deepEqual(all.map((i) => i.svce).sort(), ['s1', 's2']);
    assert.deepEqual(all.find((i) => i.svce === 's1'), added);
  });
});

describe('item: access groups, sync, persistent references', () => {
  test('-s group restricts a query (and places an add)', async () => {
    assert.equal((await run(home, 'item', '-a', '-s', 'team.one', 'class=genp,acct=a')).code, 0);
    assert.equal((await run(home, 'item', '-a', 'class=genp,acct=a,agrp=team.two')).code, 0);
    assert.equal((await run(home, 'item', '-a', 'class=genp,acct=a')).code, 0);
    const all = jsonLines((await run(home, 'item', '-j', 'class=genp')).stdout);
    assert.deepEqual(all.map((i) => i.agrp).sort(), ['secitem.cli', 'team.one', 'team.two']);
    const one = jsonLines((await run(home, 'item', '-j', '-s', 'team.one', 'class=genp')).stdout);
    assert.deepEqual(one.map((i) => i.agrp), ['team.one']);
    const none = await run(home, 'item', '-s', 'team.three', 'class=genp');
    assert.equal(none.code, 44);
    assert.equal((await run(home, 'item', '-D', '-s', 'team.two', 'class=genp')).code, 0);
    assert.equal(jsonLines((await run(home, 'item', '-j', 'class=genp')).stdout).length, 2);
  });

  test('queries see non-synchronizable items; sync=1 the synchronizable ones; sync=any both', async () => {
    await run(home, 'item', '-a', 'class=genp,svce=local');
    await run(home, 'item', '-a', 'class=genp,svce=cloud,sync=1');
    const svces = async (...extra: string[]): Promise<unknown[]> =>
      jsonLines((await run(home, 'item', '-j', `class=genp${extra.join('')}`)).stdout).map((i) => i.svce).sort();
    assert.deepEqual(await svces(), ['local']);
    assert.deepEqual(await svces(',sync=1'), ['cloud']);
    assert.deepEqual(await svces(',sync=true'), ['cloud']);
    assert.deepEqual(await svces(',sync=any'), ['cloud', 'local']);
    const onlyCloud = await run(home, 'item', 'class=genp,svce=cloud');
    assert.equal(onlyCloud.code, 44);
  });

  test('persistent references: printed as base64, accepted by -p and v_PersistentRef=', async () => {
    await run(home, 'item', '-a', '-d', 'one', 'class=genp,svce=one');
    await run(home, 'item', '-a', '-d', 'two', 'class=genp,svce=two,sync=1');
    const [two] = jsonLines((await run(home, 'item', '-j', 'class=genp,svce=two,sync=1')).stdout);
    const pref = (two.v_PersistentRef as { base64: string }).base64;
    const text = await run(home, 'item', 'class=genp,svce=two,sync=1');
    assert.ok(text.stdout.includes(`v_PersistentRef : ${pref}\n`));

    // -p names the item alone (its class too; a synchronizable item needs no sync=).
    const byRef = await run(home, 'item', '-j', '-g', '-p', pref);
    assert.equal(byRef.code, 0, byRef.stderr);
    const [found] = jsonLines(byRef.stdout);
    assert.equal(found.svce, 'two');
    assert.deepEqual(found.v_Data, { base64: Buffer.from('two').toString('base64') });
    const byAttr = await run(home, 'item', '-j', `class=genp,v_PersistentRef=${pref}`);
    assert.deepEqual(jsonLines(byAttr.stdout).map((i) => i.svce), ['two']);

    assert.equal((await run(home, 'item', '-u', 'labl=renamed', '-p', pref)).code, 0);
    assert.equal(jsonLines((await run(home, 'item', '-j', '-p', pref)).stdout)[0].labl, 'renamed');
    assert.equal((await run(home, 'item', '-D', '-p', pref)).code, 0);
    const gone = await run(home, 'item', '-p', pref);
    assert.deepEqual([gone.code, gone.stderr], [44, `secitem: SecItemCopyMatching: ${NOT_FOUND}`]);
    assert.equal((await run(home, 'item', 'class=genp,svce=one')).code, 0, 'the other item is untouched');

    const bad = await run(home, 'item', '-p', 'not base64!');
    assert.deepEqual([bad.code, bad.stderr], [1, 'secitem: item: -p: not base64 (11 characters)\n'], 'a value is never quoted back: it could be a secret');
  });
});

describe('item: a value that does not parse is quoted back only when it is no secret (issue 14, hole 6)', () => {
  test('a date given for a secret data attribute (bin0, v_Data) is refused without its text; a plain attribute shows it', async () => {
    for (const argv of [
      ['item', '-a', '-J', '{"class":"inet","srvr":"h","bin0":{"date":"topsecret1"}}'],
      ['item', '-a', '-J', '{"class":"genp","svce":"s","v_Data":{"date":"topsecret2"}}'],
    ]) {
      const r = await run(home, ...argv);
      const key = argv[3].includes('bin0') ? 'bin0' : 'v_Data';
      assert.deepEqual([r.code, r.stderr, r.stdout], [1, `secitem: item: ${key}: not an ISO 8601 date\n`, '']);
    }
    const plain = await run(home, 'item', '-a', '-J', '{"class":"genp","svce":"s","cdat":{"date":"yesterday"}}');
    assert.deepEqual([plain.code, plain.stderr], [1, 'secitem: item: cdat: not an ISO 8601 date: "yesterday"\n']);
  });
});
