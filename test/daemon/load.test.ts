/**
 * secitemd under load (issue 16's acceptance, bounded here; `npm run soak`
 * runs 8 × 1,000): a daemon process with the real ProfileRegistry and
 * AuditLog, 8 client processes with their own signed profiles × 150 mixed
 * calls over a shared and their private groups; the store equals a serial
 * replay of the acknowledged calls; then a SIGKILL of the daemon mid-load
 * loses no acknowledged call. load-harness.ts says how.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runDaemonLoad } from './load-harness.js';

const seed = Number(process.env['SECITEM_SEED'] ?? Date.now() % 2 ** 31);

describe('secitemd under load', () => {
  it('8 client processes × 150 mixed calls: the store equals a serial replay of the acknowledged calls', async () => {
    const r = await runDaemonLoad({ clients: 8, calls: 150, seed });
    assert.deepEqual(r.failures, [], `seed ${seed}`);
    assert.equal(r.acknowledged, 8 * 150);
    assert.ok((r.statuses['add:0'] ?? 0) > 0 && (r.statuses['update:0'] ?? 0) > 0 && (r.statuses['delete:0'] ?? 0) > 0 && (r.statuses['copy:0'] ?? 0) > 0, JSON.stringify(r.statuses));
    assert.ok((r.statuses['add:-25299'] ?? 0) > 0, 'some contested adds lost their race');
  });

  it('a SIGKILL of the daemon mid-load loses no acknowledged call', async () => {
    const r = await runDaemonLoad({ clients: 8, calls: 150, seed: seed + 1, kill: 0.4 });
    assert.deepEqual(r.failures, [], `seed ${seed + 1}`);
    assert.ok(r.acknowledged > 0 && r.acknowledged < 8 * 150, `${r.acknowledged} acknowledged`);
  });
});
