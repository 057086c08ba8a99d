import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { genp, inet } from '../../src/schema/classes.js';
import { canonicalFor, convertValue, decodeValue, encodeValue } from '../../src/schema/values.js';
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

  it('the payload encoding round-trips every value type', () => {
    const values = ['s', new Uint8Array([0, 1, 255]), 42, new Date(1_700_000_000_123)];
    for (const v of values) assert.deepEqual(decodeValue(encodeValue(v)), v);
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
