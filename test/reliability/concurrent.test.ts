/**
 * Concurrent writers, bounded (issue 5 §2): 4 processes on one keychain
 * file, 200 mixed operations each. The long version is `npm run soak`.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { runConcurrent } from './harness/concurrent.js';

it('4 processes × 200 mixed operations on one file: every status is 0, errSecDuplicateItem or errSecItemNotFound and as predicted; each shared key is won exactly once; the store holds exactly the predicted items', async () => {
  const report = await runConcurrent({ writers: 4, ops: 200, sharedKeys: 20, seed: 0xc0c0 });
  assert.deepEqual(report.failures, [], report.failures.join('\n'));
  assert.equal(report.calls, 4 * 200);
  assert.equal(report.counts['shared:0'], 20);
  assert.equal(report.counts['shared:-25299'], 3 * 20);
});
