/**
 * Crash atomicity, bounded (issue 5 §2): SIGKILL at random moments during
 * random adds, updates, deletes and bulk group transfers. The long version
 * is `npm run soak`.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { runCrash } from './harness/crash.js';

it('SIGKILL at 30 random moments: every acknowledged call survives, the call in flight is all or nothing, every item decrypts, integrity_check is ok, no plaintext on disk', async () => {
  const report = await runCrash({ kills: 30, seed: 0x5ec17e, maxOps: 40, scanEvery: 1 });
  assert.deepEqual(report.failures, [], report.failures.join('\n'));
  assert.equal(report.survived, 30);
  assert.equal(report.itemsLost, 0);
  assert.ok(report.acknowledged > 100, `only ${report.acknowledged} acknowledged calls`);
});
