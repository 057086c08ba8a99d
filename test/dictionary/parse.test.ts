import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDictionary, parseUpdateAttributes } from '../../src/dictionary/parse.js';
import { genp } from '../../src/schema/classes.js';
import { SecError, errSecNoSuchAttr, errSecNoSuchClass, errSecParam } from '../../src/status.js';

const status = (fn: () => unknown): number => {
  try {
    fn();
    return 0;
  } catch (e) {
    if (e instanceof SecError) return e.status;
    throw e;
  }
};
const pref = new Uint8Array([...Buffer.from('genp'), ...new Uint8Array(16)]);

describe('dictionary classification', () => {
  it('kSecMatchLimit defaults to one for copy and to all for update and delete', () => {
    assert.equal(parseDictionary({ class: 'genp' }, 'copy').limit, 1);
    assert.equal(parseDictionary({ class: 'genp' }, 'update').limit, 'all');
    assert.equal(parseDictionary({ class: 'genp' }, 'delete').limit, 'all');
    assert.equal(parseDictionary({ class: 'genp', m_Limit: 5 }, 'copy').limit, 5);
    assert.equal(parseDictionary({ class: 'genp', m_Limit: 'm_LimitAll' }, 'copy').limit, 'all');
  });

  it('answers the status Apple gives for each misplaced key', () => {
    assert.equal(status(() => parseDictionary({}, 'copy')), errSecParam);
    assert.equal(status(() => parseDictionary({ class: 'apls' }, 'copy')), errSecNoSuchClass);
    assert.equal(status(() => parseDictionary({ class: 'genp', atag: 'x' }, 'copy')), errSecNoSuchAttr);
    assert.equal(status(() => parseDictionary({ class: 'genp', clip: 1 }, 'copy')), errSecParam);
    assert.equal(status(() => parseDictionary({ class: 'genp', m_Limit: 1 }, 'add')), errSecParam);
    assert.equal(status(() => parseDictionary({ class: 'genp', u_ItemList: [] }, 'add')), errSecParam);
    assert.equal(status(() => parseDictionary({ class: 'genp', m_Limit: 'm_LimitAll' }, 'delete')), errSecParam);
    assert.equal(status(() => parseDictionary({ class: 'genp', r_Data: true }, 'update')), errSecParam);
    assert.equal(status(() => parseDictionary({ class: 'genp', r_Data: true }, 'delete')), 0);
    assert.equal(status(() => parseDictionary({ class: 'genp', r_Data: 1 }, 'copy')), errSecParam);
    assert.equal(status(() => parseDictionary({ class: 'genp', persistref: pref }, 'copy')), errSecParam);
    assert.equal(status(() => parseDictionary({ class: 'genp', v_PersistentRef: pref }, 'add')), errSecParam);
    assert.equal(status(() => parseDictionary({ class: 'inet', v_PersistentRef: pref }, 'copy')), errSecNoSuchClass);
    assert.equal(status(() => parseDictionary({ v_PersistentRef: pref, acct: 'a' }, 'copy')), errSecParam);
    assert.equal(status(() => parseDictionary({ v_PersistentRef: pref, acct: 'a' }, 'delete')), 0);
    assert.equal(status(() => parseDictionary({ class: 'genp', acct: undefined }, 'copy')), errSecParam);
  });

  it('takes every update key but kSecValueData as an attribute', () => {
    for (const key of ['class', 'r_Data', 'm_Limit', 'v_PersistentRef', 'u_CredRef']) {
      assert.equal(status(() => parseUpdateAttributes(genp, { [key]: true })), errSecNoSuchAttr, key);
    }
    assert.equal(status(() => parseUpdateAttributes(genp, { v_Data: 'text' })), errSecParam);
    assert.deepEqual(parseUpdateAttributes(genp, { v_Data: new Uint8Array([1]) }).data, new Uint8Array([1]));
  });

  it('kSecValueData in a query does not restrict the match', () => {
    const q = parseDictionary({ class: 'genp', v_Data: new Uint8Array([1]) }, 'copy');
    assert.equal(q.data, undefined);
    assert.equal(q.attrs.size, 0);
  });
});

describe('a caller\'s dictionary is read once, before anything looks at it', () => {
  it('a getter is read once per call, so the value checked is the value used (an access group that changes between reads)', async () => {
    const { TempKeychain } = await import('../helpers.js');
    const tk = new TempKeychain();
    try {
      const app = tk.kc.client({ applicationIdentifier: 'TEAM.app', keychainAccessGroups: ['TEAM.app', 'TEAM.shared'] });
      let reads = 0;
      const shifty = { class: 'genp', svce: 'once', v_Data: Buffer.from('x') } as Record<string, unknown>;
      Object.defineProperty(shifty, 'agrp', { enumerable: true, get: () => (reads++ === 0 ? 'TEAM.shared' : 'OTHER.group') });
      assert.equal(app.SecItemAdd(shifty).status, 0);
      assert.equal(reads, 1);
      const found = app.SecItemCopyMatching({ class: 'genp', svce: 'once', r_Attributes: true });
      assert.equal((found.result as Record<string, unknown>)['agrp'], 'TEAM.shared');
    } finally {
      tk.cleanup();
    }
  });

  it('a getter or a Proxy that throws is errSecParam with a reason, in every function', async () => {
    const { TempKeychain } = await import('../helpers.js');
    const tk = new TempKeychain();
    try {
      const app = tk.kc.client({ applicationIdentifier: 'TEAM.app' });
      const throwing = Object.defineProperty({ class: 'genp' }, 'svce', { enumerable: true, get: () => { throw new TypeError('no'); } });
      const trap = new Proxy({}, { ownKeys: () => { throw new Error('trap'); } });
      for (const dict of [throwing, trap]) {
        const added = app.SecItemAdd(dict);
        assert.equal(added.status, errSecParam);
        assert.match(added.error!.message, /dictionary could not be read/);
        assert.equal(app.SecItemCopyMatching(dict).status, errSecParam);
        assert.equal(app.SecItemDelete(dict), errSecParam);
        assert.equal(app.SecItemUpdate({ class: 'genp' }, dict), errSecParam);
      }
    } finally {
      tk.cleanup();
    }
  });

  it('a Proxy as a value (data, an access control, an attribute) is errSecParam naming the key, in every function', async () => {
    const { TempKeychain } = await import('../helpers.js');
    const tk = new TempKeychain();
    try {
      const app = tk.kc.client({ applicationIdentifier: 'TEAM.app' });
      const cases: Array<[string, unknown]> = [
        ['v_Data', new Proxy(new Uint8Array([1]), { get: () => { throw new Error('trap'); } })],
        ['accc', new Proxy({}, { get: () => { throw new Error('trap'); } })],
        ['svce', new Proxy({}, {})],
      ];
      for (const [key, value] of cases) {
        const dict = { class: 'genp', acct: 'a', [key]: value };
        const added = app.SecItemAdd(dict);
        assert.equal(added.status, errSecParam, key);
        assert.match(added.error!.message, /is a Proxy/);
        assert.equal(app.SecItemCopyMatching(dict).status, errSecParam);
        assert.equal(app.SecItemDelete(dict), errSecParam);
        assert.equal(app.SecItemUpdate({ class: 'genp' }, dict), errSecParam);
      }
    } finally {
      tk.cleanup();
    }
  });

  it('an object that only passes for data or a Date (its prototype is one) is errSecParam naming the key, in every function (was errSecInternalComponent: found by the daemon\'s differential test)', async () => {
    const { TempKeychain } = await import('../helpers.js');
    const tk = new TempKeychain();
    try {
      const app = tk.kc.client({ applicationIdentifier: 'TEAM.app' });
      for (const [key, value] of [['v_Data', Object.create(new Uint8Array(2))], ['svce', Object.create(new Uint8Array(2))], ['cdat', Object.create(new Date(0))], ['acct', Object.create(new Date(0))]] as const) {
        const dict = { class: 'genp', acct: 'a', [key]: value };
        const added = app.SecItemAdd(dict);
        assert.equal(added.status, errSecParam, key);
        assert.match(added.error!.message, /prototype is (data|a Date), not/);
        assert.equal(app.SecItemCopyMatching(dict).status, errSecParam);
        assert.equal(app.SecItemDelete(dict), errSecParam);
        assert.equal(app.SecItemUpdate({ class: 'genp' }, dict), errSecParam);
      }
    } finally {
      tk.cleanup();
    }
  });
});
