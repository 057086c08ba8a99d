/**
 * Fuzzing SecItemAdd / SecItemCopyMatching / SecItemUpdate / SecItemDelete,
 * bounded (issue 5 §2): 20,000 cases with a fixed seed. The long version
 * (1,000,000 cases) is `npm run soak`.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { runFuzz } from './harness/fuzz.js';
import { snapshot, wildcardClient } from './harness/common.js';
import { TempKeychain } from '../helpers.js';
import { errSecDecode, errSecParam } from '../../src/index.js';

it('20,000 random calls: each returns a documented OSStatus and never throws; failures and lookups leave the store unchanged; integrity_check stays ok; accepted values are not on disk in plaintext', () => {
  const report = runFuzz({ cases: 20_000, seed: 0x5ec1fe });
  assert.equal(report.cases, 20_000);
  const successes = Object.entries(report.statuses).filter(([k]) => k.endsWith(':0'));
  assert.ok(successes.length === 4, `every function succeeded at least once: ${JSON.stringify(report.statuses)}`);
});

it('the soak\'s counterexample (seed 20261208, case 695,089): a bigint kSecMatchLimit is errSecParam with a reason, not an internal failure', () => {
  const tk = new TempKeychain();
  const app = tk.kc.client({ applicationIdentifier: 'fuzz.app', keychainAccessGroups: ['fuzz.shared'] });
  for (const limit of [10n, 0n, -1n, 2n ** 70n]) {
    const r = app.SecItemCopyMatching({ class: 'genp', svce: 'fzSeed-service-Aardvark', acct: 'fzSeed-service-Aardvark', m_Limit: limit });
    assert.equal(r.status, errSecParam, `m_Limit ${limit}n`);
    assert.match(r.error!.message, /kSecMatchLimit.*not the bigint/);
  }
  const cyclic: Record<string, unknown> = {};
  cyclic['self'] = cyclic;
  assert.equal(app.SecItemCopyMatching({ class: 'genp', m_Limit: cyclic }).status, errSecParam);
  assert.equal(app.SecItemCopyMatching({ class: 'idnt', m_Limit: 10n }).status, errSecParam);
  tk.cleanup();
});

it('the soak\'s counterexample (seed 20261208, case 998,203): a key item whose data is no key, added with kSecReturnRef, fails and adds nothing', () => {
  const tk = new TempKeychain();
  const app = tk.kc.client({ applicationIdentifier: 'fuzz.app', keychainAccessGroups: ['fuzz.shared'] });
  const other = app.SecItemAdd({ class: 'genp', svce: 'fzSeed-other', v_Data: Buffer.from('kept') });
  assert.equal(other.status, 0);
  const item = { class: 'keys', atag: Buffer.from('fzSeed-service-Aardvark'), labl: 'fzSeed-account-2', v_Data: Buffer.from('84396c11e0ec9c1e', 'hex') };
  const before = snapshot(wildcardClient(tk.kc, 'fuzz.app'));
  const added = app.SecItemAdd({ ...item, r_Ref: true });
  assert.equal(added.status, errSecDecode);
  assert.equal(snapshot(wildcardClient(tk.kc, 'fuzz.app')), before, 'the failed add left the store as it was');
  assert.equal(Buffer.from(app.SecItemCopyMatching({ class: 'genp', svce: 'fzSeed-other', r_Data: true }).result as Uint8Array).toString(), 'kept', 'the ledger still vouches for the rest');
  // Without a reference to make, the same item is stored (a key item may hold any data), and found again.
  assert.equal(app.SecItemAdd(item).status, 0);
  assert.equal(app.SecItemCopyMatching({ class: 'keys', atag: item.atag }).status, 0);
  tk.cleanup();
});

it('the soak\'s counterexample (seed 1379897658, case 63,295): an item added with a biometry access control is read by the snapshots, not a failed listing', () => {
  const tk = new TempKeychain();
  const app = tk.kc.client({ applicationIdentifier: 'fuzz.app', keychainAccessGroups: ['fuzz.shared'] });
  const added = app.SecItemAdd({
    class: 'genp', svce: 'fzSeed-service-Aardvark', acct: 'fzSeed-account-1',
    accc: { kind: 'SecAccessControl', protection: 'cku', flags: 2 }, u_NoAuthUI: 'O:!j8wY',
  });
  assert.equal(added.status, 0);
  const seen = snapshot(wildcardClient(tk.kc, 'fuzz.app'));
  assert.match(seen, /fzSeed-service-Aardvark/);
  tk.cleanup();
});
