import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SecAccessControlCreateWithFlags } from '../../src/secitem/access-control.js';
import { EMPTY_KEY_INDEX, indexOf, rowAad } from '../../src/store/row-codec.js';
import { decodePayload, encodePayload } from '../../src/store/payload.js';
import { BlindIndex } from '../../src/crypto/blind-index.js';
import { genp, inet } from '../../src/schema/classes.js';
import type { AttrValue, Item } from '../../src/schema/values.js';

const accessControl = SecAccessControlCreateWithFlags('cku', 1 + 16 + 16384).accessControl!;

/** An item with every kind of value, some of them empty. */
function everyKind(): Item {
  return {
    attrs: new Map<string, AttrValue>([
      ['acct', 'bob'],
      ['svce', ''],
      ['labl', 'Ünïcödé ✓ 😀 \u0000 end'],
      ['gena', new Uint8Array([0, 1, 127, 128, 255])],
      ['desc', new Uint8Array(0)],
      ['crtr', 1_634_759_542],
      ['type', -42],
      ['scrp', 0.1],
      ['invi', 2 ** 53],
      ['sync', 0],
      ['cdat', new Date(1_700_000_000_123)],
      ['mdat', new Date(-86_400_000)],
      ['pdmn', 'cku'],
      ['accc', accessControl],
    ]),
    data: new Uint8Array([9, 8, 7]),
  };
}

describe('item payloads', () => {
  it('round-trip every kind of value, in order, and the data', () => {
    const item = everyKind();
    const decoded = decodePayload(encodePayload(item));
    assert.deepEqual(decoded, item);
    assert.deepEqual([...decoded!.attrs.keys()], [...item.attrs.keys()]);
  });

  it('round-trip an item without data, and with empty data', () => {
    const attrs = new Map<string, AttrValue>([['acct', 'a']]);
    assert.deepEqual(decodePayload(encodePayload({ attrs, data: undefined })), { attrs, data: undefined });
    assert.deepEqual(decodePayload(encodePayload({ attrs, data: new Uint8Array(0) })), { attrs, data: new Uint8Array(0) });
    assert.deepEqual(decodePayload(encodePayload({ attrs: new Map(), data: undefined })), { attrs: new Map(), data: undefined });
    const unknownCode = new Map<string, AttrValue>([['zz_9', 1]]);
    assert.deepEqual(decodePayload(encodePayload({ attrs: unknownCode, data: undefined })), { attrs: unknownCode, data: undefined });
  });

  it('round-trip large values: 64 KiB attributes and 1 MiB of data', () => {
    const item: Item = {
      attrs: new Map<string, AttrValue>([
        ['labl', 'é'.repeat(32 * 1024)],
        ['gena', randomBytes(64 * 1024)],
      ]),
      data: randomBytes(1024 * 1024),
    };
    const decoded = decodePayload(encodePayload(item))!;
    assert.equal(decoded.attrs.get('labl'), item.attrs.get('labl'));
    assert.deepEqual(Buffer.from(decoded.attrs.get('gena') as Uint8Array), item.attrs.get('gena'));
    assert.deepEqual(Buffer.from(decoded.data!), item.data);
  });

  it('keep strings with lone surrogates exactly', () => {
    for (const s of ['\uD800', 'a\uDC00b', '\uDBFF\uDFFF\uD800', '😀\uDE00']) {
      const decoded = decodePayload(encodePayload({ attrs: new Map([['labl', s]]), data: undefined }));
      assert.equal(decoded?.attrs.get('labl'), s);
    }
  });

  it('store -0 as 0', () => {
    const decoded = decodePayload(encodePayload({ attrs: new Map([['crtr', -0]]), data: undefined }));
    assert.ok(Object.is(decoded?.attrs.get('crtr'), 0));
  });

  it('hand back fresh Uint8Arrays that outlive the wiped payload, and frozen access-control objects', () => {
    const payload = encodePayload(everyKind());
    const decoded = decodePayload(payload)!;
    payload.fill(0);
    const gena = decoded.attrs.get('gena') as Uint8Array;
    assert.equal(Object.getPrototypeOf(gena), Uint8Array.prototype);
    assert.equal(Object.getPrototypeOf(decoded.data), Uint8Array.prototype);
    assert.deepEqual(gena, new Uint8Array([0, 1, 127, 128, 255]));
    assert.deepEqual(decoded.data, new Uint8Array([9, 8, 7]));
    assert.ok(Object.isFrozen(decoded.attrs.get('accc')));
    assert.deepEqual(decoded.attrs.get('accc'), accessControl);
  });

  it('decode only the attributes asked for, with the data, and still refuse a malformed layout', () => {
    const payload = encodePayload(everyKind());
    const only = new Set(['acct', 'pdmn', 'cdat', 'accc']);
    const decoded = decodePayload(payload, only)!;
    assert.deepEqual([...decoded.attrs.keys()], ['acct', 'cdat', 'pdmn', 'accc']);
    assert.deepEqual(decoded.attrs.get('cdat'), new Date(1_700_000_000_123));
    assert.deepEqual(decoded.attrs.get('accc'), accessControl);
    assert.deepEqual(decoded.data, new Uint8Array([9, 8, 7]));
    assert.deepEqual(decodePayload(payload, new Set())!.attrs, new Map());
    for (let length = 0; length < payload.length; length++) {
      assert.equal(decodePayload(payload.subarray(0, length), only), undefined, `truncated to ${length} bytes`);
    }
    const utf16 = encodePayload({ attrs: new Map<string, AttrValue>([['labl', '\ud800'], ['acct', 'a']]), data: undefined });
    assert.deepEqual(decodePayload(utf16, new Set(['acct']))!.attrs, new Map([['acct', 'a']]));
  });

  it('start with their format byte', () => {
    assert.equal(encodePayload(everyKind())[0], 0x01);
  });

  it('answer undefined for any truncation', () => {
    const payload = encodePayload(everyKind());
    for (let length = 0; length < payload.length; length++) {
      assert.equal(decodePayload(payload.subarray(0, length)), undefined, `truncated to ${length} bytes`);
    }
  });

  it('answer undefined for trailing bytes, unknown types, lengths past the end and other malformed fields', () => {
    const one = (v: AttrValue, data?: Uint8Array): Buffer => encodePayload({ attrs: new Map([['labl', v]]), data });
    // Layout: 0x01, count (2), code (4), type (1), value…, data flag.
    const damaged = (payload: Buffer, at: number, ...bytes: number[]): Buffer => {
      const copy = Buffer.from(payload);
      copy.set(bytes, at);
      return copy;
    };
    const s = one('abc'); // … 's', length (4 bytes LE) at 8, 'abc' at 12, data flag at 15
    assert.deepEqual(decodePayload(s)?.attrs.get('labl'), 'abc');
    assert.equal(decodePayload(Buffer.concat([s, Buffer.of(0)])), undefined, 'a trailing byte');
    assert.equal(decodePayload(damaged(s, 7, 0x7a)), undefined, 'an unknown type byte');
    assert.equal(decodePayload(damaged(s, 8, 4)), undefined, 'a string length one past the end');
    assert.equal(decodePayload(damaged(s, 8, 0xff, 0xff, 0xff, 0xff)), undefined, 'a string length far past the end');
    assert.equal(decodePayload(damaged(s, 1, 2)), undefined, 'more attributes than there are');
    assert.equal(decodePayload(damaged(s, 1, 0)), undefined, 'fewer attributes than there are');
    assert.equal(decodePayload(damaged(s, 3, 0xe9)), undefined, 'a code that is not ASCII');
    assert.equal(decodePayload(damaged(s, 15, 2)), undefined, 'a data flag other than 0 or 1');
    const d = one('', new Uint8Array([1, 2])); // data flag at 12, its length at 13
    assert.deepEqual(decodePayload(d)?.data, new Uint8Array([1, 2]));
    assert.equal(decodePayload(damaged(d, 13, 3)), undefined, 'a data length past the end');
    assert.equal(decodePayload(damaged(d, 13, 1)), undefined, 'a data length short of the end');
    const c = one(accessControl); // 'c', protection length at 8, 'cku' at 9
    assert.equal(decodePayload(damaged(c, 9, 0x78)), undefined, 'an unknown protection class');
    assert.equal(decodePayload(damaged(c, 8, 200)), undefined, 'a protection length past the end');
    const u = one('\uD800'); // 'u', length 2 at 8
    assert.equal(decodePayload(damaged(u, 8, 1)), undefined, 'UTF-16 of an odd length');
    for (const bad of ['', '{', 'null', '[]', '{"a":1', '\u0002']) assert.equal(decodePayload(Buffer.from(bad)), undefined, JSON.stringify(bad));
  });

  it('decode invalid UTF-8 in a string as U+FFFD', () => {
    const binary = encodePayload({ attrs: new Map([['labl', 'aXb']]), data: undefined });
    binary[13] = 0xff; // the 'X'
    assert.equal(decodePayload(binary)?.attrs.get('labl'), 'a\uFFFDb');
  });
});

describe('row associated data', () => {
  it('is class, persistent-reference UUID and protection class, byte for byte as before', () => {
    const persistref = randomBytes(16);
    for (const [cls, pdmn] of [[genp, 'ak'], [inet, 'akpu'], [genp, 'dku']] as const) {
      const expected = Buffer.concat([Buffer.from(`secitem row v1\0${cls.name}\0`), persistref, Buffer.from(`\0${pdmn}`)]);
      assert.deepEqual(rowAad(cls, persistref, pdmn), expected);
      assert.deepEqual(rowAad(cls, persistref, pdmn), expected, 'a second time, from the cached prefix');
    }
  });
});

describe('blind indexes of key attributes', () => {
  const blind = new BlindIndex(randomBytes(32));
  const attr = (code: string) => genp.byCode.get(code)!;

  it('a key attribute\'s empty value ("" or 0, what an absent one takes) is stored as a one-byte marker; any other value as 16 bytes', () => {
    for (const [code, empty] of [['vwht', ''], ['tkid', ''], ['acct', ''], ['sync', 0]] as const) {
      assert.deepEqual(indexOf(blind, genp, attr(code), empty), EMPTY_KEY_INDEX, code);
    }
    assert.deepEqual(indexOf(blind, genp, attr('acct'), new Uint8Array(0)), EMPTY_KEY_INDEX, 'empty data is the same value as ""');
    assert.equal(indexOf(blind, genp, attr('acct'), 'bob').length, 16);
    assert.equal(indexOf(blind, genp, attr('sync'), 1).length, 16);
  });

  it('an attribute outside the key keeps a 16-byte index for "" (absent is a missing column there, not the empty value)', () => {
    assert.equal(indexOf(blind, genp, attr('labl'), '').length, 16);
  });
});
