/**
 * Fuzzing SecItemAdd / SecItemCopyMatching / SecItemUpdate / SecItemDelete,
 * bounded (issue 5 §2): 20,000 cases with a fixed seed. The long version
 * (1,000,000 cases) is `npm run soak`.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { runFuzz } from './harness/fuzz.js';

it('20,000 random calls: each returns a documented OSStatus and never throws; failures and lookups leave the store unchanged; integrity_check stays ok; accepted values are not on disk in plaintext', () => {
  const report = runFuzz({ cases: 20_000, seed: 0x5ec1fe });
  assert.equal(report.cases, 20_000);
  const successes = Object.entries(report.statuses).filter(([k]) => k.endsWith(':0'));
  assert.ok(successes.length === 4, `every function succeeded at least once: ${JSON.stringify(report.statuses)}`);
});
