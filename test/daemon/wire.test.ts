/** The wire format: round trips (property tests), limits, typed decode errors. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  FrameReader, MAX_DEPTH, MAX_FRAME, Unrepresentable, WireCertificate, WireError, WireIdentity, WireKey, WirePublicKey, WireSecError,
  decodeFrameBody, decodeValue, encodeFrame, encodeValue,
} from '../../src/daemon/wire.js';

const leaf = fc.oneof(
  fc.constant(undefined), fc.constant(null), fc.boolean(), fc.double(), fc.string({ unit: 'binary' }),
  fc.uint8Array({ maxLength: 64 }), fc.date({ noInvalidDate: false }),
  fc.record({ kind: fc.constant('SecAccessControl'), protection: fc.string(), flags: fc.nat({ max: 0xffffffff }) }),
  fc.uint8Array({ maxLength: 32 }).map((d) => new WireCertificate(d)),
  fc.tuple(fc.nat({ max: 0xffffffff }), fc.dictionary(fc.string(), fc.string())).map(([h, i]) => new WireKey(h, i)),
  fc.tuple(fc.nat({ max: 0xffffffff }), fc.uint8Array(), fc.nat({ max: 0xffffffff })).map(([h, c, k]) => new WireIdentity(h, c, new WireKey(k, { kcls: '1' }))),
  fc.tuple(fc.integer({ min: -70000, max: 0 }), fc.option(fc.string(), { nil: undefined })).map(([s, d]) => new WireSecError(s, d)),
  fc.tuple(fc.uint8Array(), fc.string()).map(([d, t]) => new WirePublicKey(d, t)),
  fc.string().map((w) => new Unrepresentable(w)),
);
const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('dict')),
  array: fc.array(tie('value'), { maxLength: 5 }),
  dict: fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'class', 'v_Data')), tie('value'), { maxKeys: 5 }),
}));

/** Deep equality that tells bytes, dates and the Wire* classes apart. */
function same(a: unknown, b: unknown): void {
  if (a instanceof Date) {
    assert.ok(b instanceof Date);
    assert.ok(Object.is(a.getTime(), b.getTime()));
  } else if (typeof a === 'number') assert.ok(Object.is(a, b), `${a} vs ${String(b)}`);
  else if (a instanceof Uint8Array) {
    assert.ok(b instanceof Uint8Array && !Buffer.isBuffer(b) === !Buffer.isBuffer(b));
    assert.deepEqual(Buffer.from(b as Uint8Array), Buffer.from(a));
  } else if (Array.isArray(a)) {
    assert.ok(Array.isArray(b) && b.length === a.length);
    a.forEach((x, i) => same(x, (b as unknown[])[i]));
  } else if (typeof a === 'object' && a !== null) {
    // A plain dictionary (null prototype or Object's) arrives as a plain object.
    const kind = (o: unknown) => Object.getPrototypeOf(o)?.constructor?.name ?? 'Object';
    assert.equal(kind(b), kind(a));
    if (kind(a) === 'Object') assert.equal(Object.getPrototypeOf(b), Object.prototype);
    const ka = Object.keys(a);
    assert.deepEqual(Object.keys(b as object), ka);
    for (const k of ka) same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]);
  } else assert.equal(b, a);
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof WireError, `not a WireError: ${String(e)}`);
    return e.code;
  }
  assert.fail('no error');
}

describe('wire format', () => {
  it('every value survives a round trip exactly', () => {
    fc.assert(fc.property(value, (v) => same(v, decodeValue(encodeValue(v)))), { numRuns: 500 });
  });

  it('frames survive any split of the stream into chunks', () => {
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 4 }), fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 20 }), (values, cuts) => {
        const stream = Buffer.concat(values.map((v) => encodeFrame(v)));
        const reader = new FrameReader();
        const got: unknown[] = [];
        let at = 0;
        for (const c of cuts) {
          if (at >= stream.length) break;
          got.push(...reader.push(stream.subarray(at, at + c)).map((b) => decodeFrameBody(b)));
          at += c;
        }
        if (at < stream.length) got.push(...reader.push(stream.subarray(at)).map((b) => decodeFrameBody(b)));
        same(values, got);
      }),
      { numRuns: 200 },
    );
  });

  it('a "__proto__" key is an own key, never the prototype', () => {
    const d = decodeValue(encodeValue(JSON.parse('{"__proto__": {"polluted": true}}'))) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(d), Object.prototype);
    assert.ok(Object.prototype.hasOwnProperty.call(d, '__proto__'));
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  it('lone surrogates survive exactly, in values and in keys (the differential test: they arrived as U+FFFD, and two such keys as a duplicate)', () => {
    const lone = ['\uD800', '\uDC00', 'x\uDBFF', '\uDFFFy', '\uD800\uD800', '\uDC00\uD800', '😀\uDC00', '\uD83D😀', 'a\u0000\uDFFF\uFEFF'];
    for (const s of lone) same(s, decodeValue(encodeValue(s)));
    const keys = decodeValue(encodeValue({ '\uD800': 1, '\uDC00': 2, '\uFFFD': 3 })) as Record<string, unknown>;
    assert.deepEqual(Object.keys(keys), ['\uD800', '\uDC00', '\uFFFD']);
    assert.deepEqual([...encodeValue('\uD800')], [0x05, 0, 0, 0, 3, 0xed, 0xa0, 0x80]);
    // A pair is its four bytes: a lead's three bytes followed by a trail's is no string, nor is a cut surrogate.
    assert.deepEqual([...encodeValue('\uD83D\uDE00')], [0x05, 0, 0, 0, 4, 0xf0, 0x9f, 0x98, 0x80]);
    assert.equal(codeOf(() => decodeValue(Buffer.from([0x05, 0, 0, 0, 6, 0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]))), 'utf8');
    assert.equal(codeOf(() => decodeValue(Buffer.from([0x05, 0, 0, 0, 3, 0xed, 0xa0, 0x41]))), 'utf8');
    assert.equal(codeOf(() => decodeValue(Buffer.from([0x05, 0, 0, 0, 4, 0xed, 0xa0, 0x80, 0xc3]))), 'utf8');
    fc.assert(fc.property(fc.array(fc.oneof(fc.string({ unit: 'binary' }), fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)))).map((p) => p.join('')), (s) => same(s, decodeValue(encodeValue(s)))), { numRuns: 500 });
  });

  it('what has no wire form travels as Unrepresentable', () => {
    const v = decodeValue(encodeValue({ a: () => 1, b: new Map(), c: 10n, d: Symbol('x') })) as Record<string, unknown>;
    for (const k of ['a', 'b', 'c', 'd']) assert.ok(v[k] instanceof Unrepresentable, k);
  });

  it('decode errors are typed', () => {
    assert.equal(codeOf(() => decodeValue(Buffer.from([0x05, 0, 0, 0, 9, 0x41]))), 'truncated');
    assert.equal(codeOf(() => decodeValue(Buffer.from([0x7f]))), 'tag');
    assert.equal(codeOf(() => decodeValue(Buffer.from([0x01, 0x01]))), 'trailing');
    assert.equal(codeOf(() => decodeValue(Buffer.from([0x05, 0, 0, 0, 2, 0xc3, 0x28]))), 'utf8');
    assert.equal(codeOf(() => decodeValue(Buffer.from([0x08, 0xff, 0xff, 0xff, 0xff, 0x01]))), 'count');
    const dup = Buffer.from([0x09, 0, 0, 0, 2, 0, 0, 0, 1, 0x61, 0x01, 0, 0, 0, 1, 0x61, 0x01]);
    assert.equal(codeOf(() => decodeValue(dup)), 'duplicate-key');
    assert.equal(codeOf(() => decodeFrameBody(Buffer.from([2, 0x01]))), 'version');
    const nested = Buffer.alloc((MAX_DEPTH + 2) * 5 + 1);
    for (let i = 0; i <= MAX_DEPTH + 1; i++) nested.set([0x08, 0, 0, 0, 1], i * 5);
    nested[nested.length - 1] = 0x01;
    assert.equal(codeOf(() => decodeValue(nested)), 'depth');
    let v: unknown = 1;
    for (let i = 0; i <= MAX_DEPTH + 1; i++) v = [v];
    assert.equal(codeOf(() => encodeValue(v)), 'depth');
    const head = Buffer.alloc(4);
    head.writeUInt32BE(MAX_FRAME + 1);
    assert.equal(codeOf(() => new FrameReader().push(head)), 'oversized');
  });

  it('16 MiB of data fits in one frame; more does not', () => {
    const big = new Uint8Array(16 * 1024 * 1024);
    const frame = encodeFrame({ i: 1, f: 'SecItemAdd', a: [{ v_Data: big }] });
    assert.ok(frame.length <= MAX_FRAME + 4);
    const [body] = new FrameReader().push(frame);
    assert.equal(((decodeFrameBody(body!) as { a: [{ v_Data: Uint8Array }] }).a[0].v_Data).length, big.length);
    assert.equal(codeOf(() => encodeFrame(new Uint8Array(MAX_FRAME))), 'oversized');
  });

  it('random bytes decode to a value or a WireError, never anything else', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
      try {
        decodeValue(b);
      } catch (e) {
        assert.ok(e instanceof WireError, String(e));
      }
    }), { numRuns: 2000 });
  });
});
