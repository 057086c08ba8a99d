/**
 * Reference §1.2 (SecDbItem.c copyBlob / copyData / copyString / copyNumber /
 * copyDate): which value types each attribute kind accepts, what it stores,
 * and that every other type answers errSecParam with a reason naming the key.
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { SecAccessControlCreateWithFlags, errSecParam, errSecSuccess } from '../../src/index.js';
import { TempKeychain, dict, type Client, type Dict } from '../helpers.js';

const accessControl = SecAccessControlCreateWithFlags('ak', 1).accessControl!;
const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);

/** kind → an attribute of that kind (in genp, or keys for a date), accepted values and what is stored, refused values. */
const table: {
  kind: string;
  cls: string;
  code: string;
  accepted: [given: unknown, stored: unknown][];
  refused: unknown[];
}[] = [
  {
    kind: 'Blob (kSecAttrService): "CFData, CFString or CFNumber kept with caller\'s type"',
    cls: 'genp',
    code: 'svce',
    accepted: [['svc', 'svc'], [bytes(1, 2), bytes(1, 2)], [42, 42], [1.5, 1.5]],
    refused: [new Date(0), true, null, [1], { a: 1 }, Number.NaN, Number.POSITIVE_INFINITY],
  },
  {
    kind: 'Data (kSecAttrApplicationLabel): "CFData as is; CFString → UTF-8 bytes; CFNumber → 4 bytes (SInt32, little endian)"',
    cls: 'keys',
    code: 'klbl',
    accepted: [[bytes(9), bytes(9)], ['ab', bytes(0x61, 0x62)], [42, bytes(42, 0, 0, 0)], [-1, bytes(255, 255, 255, 255)]],
    refused: [new Date(0), true, null, [1]],
  },
  {
    kind: 'String (kSecAttrSyncViewHint): "CFString as is; CFData → UTF-8 decoded string"',
    cls: 'genp',
    code: 'vwht',
    accepted: [['view', 'view'], [bytes(0x76, 0x77), 'vw']],
    refused: [42, true, new Date(0), null, bytes(0xff, 0xfe)],
  },
  {
    kind: 'Number (kSecAttrType): "CFNumber as is; CFBoolean → 0/1; CFString: CFStringGetIntValue, kept as a string unless it prints back the same"',
    cls: 'genp',
    code: 'type',
    accepted: [[7, 7], [true, 1], [false, 0], ['73', 73], ['-5', -5], ['http', 'http'], ['', ''], ['007', '007'], ['99999999999', '99999999999']],
    refused: [new Date(0), bytes(1), null, [1]],
  },
  {
    kind: 'Sync (kSecAttrSynchronizable): CFBoolean or CFNumber → 0/1, an integer string its number',
    cls: 'genp',
    code: 'sync',
    accepted: [[true, 1], [0, 0], [2, 1], ['1', 1]],
    refused: ['yes', new Date(0), bytes(1), null],
  },
  {
    kind: 'Date (kSecAttrStartDate): "CFDate only"',
    cls: 'keys',
    code: 'sdat',
    accepted: [[new Date(1_000), new Date(1_000)]],
    refused: ['2024-01-01', 0, bytes(1), new Date(Number.NaN)],
  },
  {
    kind: 'Access (kSecAttrAccessible): one of the kSecAttrAccessible values',
    cls: 'genp',
    code: 'pdmn',
    accepted: [['dk', 'dk']],
    refused: ['always', 1, bytes(0x64, 0x6b)],
  },
  {
    kind: 'AccessControl (kSecAttrAccessControl): a SecAccessControl object',
    cls: 'genp',
    code: 'accc',
    accepted: [[accessControl, accessControl]],
    refused: ['ak', 1, { kind: 'SecAccessControl', protection: 'xx', flags: 0 }],
  },
];

describe('reference §1.2: value conversion per attribute kind', () => {
  let tk: TempKeychain;
  let app: Client;
  let n = 0;
  beforeEach(() => {
    tk = new TempKeychain();
    app = tk.client();
  });
  afterEach(() => tk.cleanup());

  const base = (cls: string): Dict => ({ class: cls, ...(cls === 'genp' ? { acct: `a${n++}` } : { atag: `t${n++}` }) });

  for (const row of table) {
    it(`${row.kind}: accepted types are stored as the reference says`, () => {
      for (const [given, stored] of row.accepted) {
        const b = base(row.cls);
        const added = app.SecItemAdd({ ...b, [row.code]: given, r_Attributes: true });
        assert.equal(added.status, errSecSuccess, `${row.code} = ${String(given)}: ${added.error?.message}`);
        assert.deepEqual(dict(added.result)[row.code], stored, `${row.code} = ${String(given)}`);
      }
    });

    it(`${row.kind}: every other type answers errSecParam, and the reason names ${row.code}`, () => {
      for (const given of row.refused) {
        const added = app.SecItemAdd({ ...base(row.cls), [row.code]: given });
        assert.equal(added.status, errSecParam, `${row.code} = ${String(given)}`);
        assert.ok(added.error?.message.includes(`(${row.code})`), `reason names the key: ${added.error?.message}`);
      }
    });
  }

  it('a Blob keeps the caller\'s type: kSecAttrService 42 is found by 42 and by its 4 bytes, not by the string "42" (Apple hashes copyData of the value)', () => {
    assert.equal(app.SecItemAdd({ class: 'genp', svce: 42, acct: 'n' }).status, errSecSuccess);
    assert.equal(app.SecItemCopyMatching({ class: 'genp', svce: 42 }).status, errSecSuccess);
    assert.equal(app.SecItemCopyMatching({ class: 'genp', svce: bytes(42, 0, 0, 0) }).status, errSecSuccess);
    assert.notEqual(app.SecItemCopyMatching({ class: 'genp', svce: '42' }).status, errSecSuccess);
  });

  it('a Data attribute given a string matches the same bytes as data (one value for matching and uniqueness)', () => {
    assert.equal(app.SecItemAdd({ class: 'keys', klbl: 'label', atag: 'x' }).status, errSecSuccess);
    assert.equal(app.SecItemCopyMatching({ class: 'keys', klbl: bytes(0x6c, 0x61, 0x62, 0x65, 0x6c) }).status, errSecSuccess);
  });
});
