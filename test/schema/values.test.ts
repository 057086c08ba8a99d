import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cert, genp, inet } from '../../src/schema/classes.js';
import { SecAccessControlCreateWithFlags } from '../../src/secitem/access-control.js';
import { canonicalFor, convertValue, sameValue, type AttrValue } from '../../src/schema/values.js';
import { SecError, errSecParam } from '../../src/status.js';

const attr = (cls: typeof genp, code: string) => cls.byCode.get(code)!;
const isParam = (e: unknown): boolean => e instanceof SecError && e.status === errSecParam;

describe('attribute values', () => {
  it('blob attributes keep the caller type but compare strings and data by their UTF-8 bytes', () => {
    const acct = attr(genp, 'acct');
    assert.equal(convertValue(acct, 'bob'), 'bob');
    assert.deepEqual(convertValue(acct, new TextEncoder().encode('bob')), new TextEncoder().encode('bob'));
    assert.deepEqual(canonicalFor(acct, 'bob'), canonicalFor(acct, new TextEncoder().encode('bob')));
  });

  it('number attributes take booleans as 0/1, numeric strings as numbers, and keep other strings', () => {
    const ptcl = attr(inet, 'ptcl');
    assert.equal(convertValue(ptcl, true), 1);
    assert.equal(convertValue(ptcl, '73'), 73);
    assert.equal(convertValue(ptcl, 'http'), 'http');
    assert.notDeepEqual(canonicalFor(ptcl, 73), canonicalFor(ptcl, '073'));
  });

  it('wrong types answer errSecParam', () => {
    assert.throws(() => convertValue(attr(genp, 'acct'), new Date()), isParam);
    assert.throws(() => convertValue(attr(genp, 'cdat'), 'yesterday'), isParam);
    assert.throws(() => convertValue(attr(genp, 'pdmn'), 'sometimes'), isParam);
    assert.throws(() => convertValue(attr(genp, 'crtr'), Number.NaN), isParam);
    assert.throws(() => convertValue(attr(genp, 'agrp'), new Uint8Array([0xff])), isParam);
  });
});

describe('value size limits', () => {
  it('accepts an attribute of exactly 64 KiB and refuses one byte more with errSecParam', () => {
    const labl = genp.byCode.get('labl')!;
    assert.equal((convertValue(labl, 'a'.repeat(65536)) as string).length, 65536);
    assert.throws(() => convertValue(labl, 'a'.repeat(65537)), isParam);
    assert.throws(() => convertValue(labl, new Uint8Array(65537)), isParam);
    assert.throws(() => convertValue(labl, 'é'.repeat(32769)), isParam); // 65,538 UTF-8 bytes
  });
});

describe('sameValue', () => {
  const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
  const ac = (protection: string, flags: number): AttrValue => SecAccessControlCreateWithFlags(protection, flags).accessControl!;
  // [class, attribute, a, b, same?]
  const cases: [typeof genp, string, AttrValue, AttrValue, boolean][] = [
    [genp, 'acct', 'bob', 'bob', true],
    [genp, 'acct', 'bob', 'bobby', false],
    [genp, 'acct', 'bob', utf8('bob'), true], // string and data with the same UTF-8 bytes
    [genp, 'acct', '', new Uint8Array(0), true],
    [genp, 'acct', 'é', utf8('é'), true],
    [genp, 'acct', '😀', '😀', true],
    [genp, 'acct', '😀', '😁', false],
    [genp, 'acct', '\uD800', '\uDC00', true], // lone surrogates both encode as U+FFFD
    [genp, 'acct', '\uD800', '\uFFFD', true],
    [genp, 'acct', '\uD800x', '\uD800y', false],
    [genp, 'acct', 0x64636261, 'abcd', true], // a number in a blob attribute is its int32 bytes
    [genp, 'acct', 1, 2 ** 32 + 1, true],
    [genp, 'acct', 1, 2, false],
    [genp, 'acct', -1, new Uint8Array([255, 255, 255, 255]), true],
    [genp, 'agrp', 'group', 'group', true],
    [genp, 'agrp', 'group', 'Group', false],
    [inet, 'ptcl', 7, '7', false], // a number never equals the string of its digits
    [inet, 'ptcl', 73, '073', false],
    [inet, 'ptcl', 'http', 'http', true],
    [inet, 'ptcl', 'http', utf8('http'), false],
    [inet, 'ptcl', 0, -0, true],
    [inet, 'ptcl', 0.1 + 0.2, 0.3, false],
    [inet, 'ptcl', 1.5, 1.5, true],
    [inet, 'ptcl', 2 ** 53, 2 ** 53 + 2, false],
    [genp, 'sync', 0, 0, true],
    [genp, 'sync', 0, 1, false],
    [genp, 'cdat', new Date(1_700_000_000_123), new Date(1_700_000_000_123), true], // dates by milliseconds
    [genp, 'cdat', new Date(1_700_000_000_123), new Date(1_700_000_000_124), false],
    [genp, 'cdat', new Date(5), 5, false],
    [cert, 'subj', new Uint8Array([1, 2]), new Uint8Array([1, 2]), true],
    [cert, 'subj', new Uint8Array([1, 2]), new Uint8Array([1, 2, 3]), false],
    [cert, 'subj', new Uint8Array([1, 2]), new Uint8Array([1, 3]), false],
    [cert, 'subj', new Uint8Array(0), new Uint8Array(0), true],
    [cert, 'subj', Buffer.from([7, 8]).subarray(1), new Uint8Array([8]), true],
    [genp, 'accc', ac('ak', 1), ac('ak', 1), true],
    [genp, 'accc', ac('ak', 1), ac('ak', 2), false],
    [genp, 'accc', ac('ak', 1), ac('ck', 1), false],
  ];

  it('answers as comparing canonical bytes does, on a table of cases', () => {
    for (const [cls, code, a, b, same] of cases) {
      const attr = cls.byCode.get(code)!;
      const where = `${code}: ${String(a)} vs ${String(b)}`;
      assert.equal(canonicalFor(attr, a).equals(canonicalFor(attr, b)), same, `canonical bytes, ${where}`);
      assert.equal(sameValue(attr, a, b), same, where);
      assert.equal(sameValue(attr, b, a), same, `${where}, swapped`);
    }
  });
});
