/**
 * `npm run soak`: the long versions of the reliability harnesses, with
 * figures. Not a test: under `node --test dist/test/` (NODE_TEST_CONTEXT set)
 * it does nothing.
 *
 *   node dist/test/reliability/soak.js [--kills N] [--writers-ops N] [--fuzz N] [--tamper N] [--daemon-calls N] [--daemon-kills N] [--seed N]
 * Defaults: 10,000 kills, 4 writers × 1,000 operations, 1,000,000 fuzz cases, 10,000 tamper cases,
 * secitemd with 8 client processes × 1,000 calls, once stopped by SIGTERM and 3 times killed by SIGKILL mid-load.
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { runCrash } from './harness/crash.js';
import { runConcurrent } from './harness/concurrent.js';
import { runFuzz } from './harness/fuzz.js';
import { runTamper } from './harness/tamper.js';
import { runDaemonLoad } from '../daemon/load-harness.js';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      kills: { type: 'string', default: '10000' },
      'writers-ops': { type: 'string', default: '1000' },
      fuzz: { type: 'string', default: '1000000' },
      tamper: { type: 'string', default: '10000' },
      'daemon-calls': { type: 'string', default: '1000' },
      'daemon-kills': { type: 'string', default: '3' },
      seed: { type: 'string', default: String(Date.now() % 2 ** 31) },
    },
  });
  const seed = Number(values.seed);
  let failed = 0;
  const log = (s: string): void => void process.stdout.write(`${s}\n`);
  log(`soak seed ${seed} (rerun with --seed ${seed})`);

  let t = Date.now();
  // Every 500th kill, and every kill that found a failure (a run stopped early still shows them).
  const crash = await runCrash({ kills: Number(values.kills), seed, log: (l) => (Number(/kill (\d+)/.exec(l)?.[1]) % 500 === 0 || / [1-9]\d* failures$/.test(l) ? log(`  ${l}`) : undefined) });
  log(`crash atomicity: ${crash.survived}/${crash.kills} kills survived, items lost ${crash.itemsLost}, unexplained items ${crash.itemsUnexplained}, ` +
    `${crash.acknowledged} acknowledged calls checked, call in flight applied ${crash.inFlightApplied} / not applied ${crash.inFlightNotApplied}, ` +
    `${crash.childrenFinished} children finished before their kill (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  for (const f of crash.failures.slice(0, 20)) log(`  FAIL ${f}`);
  failed += crash.failures.length;

  t = Date.now();
  const conc = await runConcurrent({ writers: 4, ops: Number(values['writers-ops']), sharedKeys: 50, seed });
  log(`concurrent writers: ${conc.writers} processes, ${conc.calls} calls, ${conc.sharedKeys} shared keys; statuses ${JSON.stringify(conc.counts)} (${(conc.elapsedMs / 1000).toFixed(1)} s)`);
  for (const f of conc.failures.slice(0, 20)) log(`  FAIL ${f}`);
  failed += conc.failures.length;

  t = Date.now();
  try {
    const fuzz = runFuzz({ cases: Number(values.fuzz), seed, integrityEvery: 20000, log: (l) => log(`  ${l}`) });
    log(`fuzz: ${fuzz.cases} cases, ${fuzz.snapshotsCompared} full-store comparisons, ${fuzz.integrityChecks} integrity checks, ${fuzz.storeResets} store resets, ${fuzz.plaintextNeedles} plaintext needles (${(fuzz.elapsedMs / 1000).toFixed(1)} s)`);
    log(`  largest accepted: kSecValueData ${fuzz.largest.valueData} bytes; attribute value ${fuzz.largest.attributeValue} (${fuzz.largest.attributeKey}); ${fuzz.largest.keys} keys in a dictionary`);
    log(`  statuses: ${JSON.stringify(fuzz.statuses)}`);
  } catch (e) {
    log(`fuzz: FAIL ${(e as Error).message}`);
    failed += 1;
  }

  t = Date.now();
  const tamper = runTamper({ cases: Number(values.tamper), seed });
  log(`tamper: ${tamper.cases} cases ${JSON.stringify(tamper.byKind)}, tampered items that still answered their own data: ${tamper.ownDataAnswers} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  for (const f of tamper.failures.slice(0, 20)) log(`  FAIL ${f}`);
  failed += tamper.failures.length;

  // secitemd: 8 client processes × N mixed calls, then the same with a SIGKILL of the daemon mid-load (test/daemon/load-harness.ts).
  const daemonCalls = Number(values['daemon-calls']);
  for (let run = 0; run <= Number(values['daemon-kills']); run++) {
    const kill = run === 0 ? undefined : 0.15 + 0.7 * ((seed + run * 7919) % 1000) / 1000;
    const d = await runDaemonLoad({ clients: 8, calls: daemonCalls, seed: seed + run, ...(kill === undefined ? {} : { kill }), log: (l) => log(l) });
    log(`secitemd load${kill === undefined ? '' : `, SIGKILL after ${Math.round(kill * 100)}% of the calls`}: 8 clients × ${daemonCalls} calls, ${d.acknowledged} acknowledged` +
      `${kill === undefined ? `, store = serial replay, audit lines ${d.auditLines ?? '?'}` : `, ${d.inFlightApplied} unacknowledged found applied`}; statuses ${JSON.stringify(d.statuses)} (${(d.elapsedMs / 1000).toFixed(1)} s)`);
    for (const f of d.failures.slice(0, 20)) log(`  FAIL ${f}`);
    failed += d.failures.length;
  }

  log(failed === 0 ? 'soak: all checks passed' : `soak: ${failed} failures`);
  return failed === 0 ? 0 : 1;
}

// `node --test dist/test/` runs every file under test/ in a child with NODE_TEST_CONTEXT set: do nothing there.
if (process.argv[1] === fileURLToPath(import.meta.url) && process.env['NODE_TEST_CONTEXT'] === undefined) {
  process.exitCode = await main();
}
