/**
 * Crash atomicity: a child runs random operations on a keychain and reports
 * each acknowledged call; the parent kills it with SIGKILL at a random
 * moment, reopens the keychain and checks that
 *   - every acknowledged call is reflected (the store equals the model built
 *     from the acknowledged calls, whose statuses must match the model's),
 *   - the one call in flight happened entirely or not at all (a bulk update
 *     or bulk delete is never half-applied),
 *   - every item decrypts (a listing with kSecReturnData succeeds),
 *   - `PRAGMA integrity_check` is ok,
 *   - no secret or attribute value is in any file of the directory (checked
 *     right after the kill, while the -wal and -shm of the dead child remain).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  openKeychain,
  kSecAttrAccessGroup,
  kSecAttrAccount,
  kSecAttrService,
  kSecClass,
  kSecClassGenericPassword,
  kSecMatchLimit,
  kSecMatchLimitAll,
  kSecReturnAttributes,
  kSecReturnData,
  kSecValueData,
  errSecItemNotFound,
  errSecSuccess,
} from '../../../src/index.js';
import { statusName } from '../../helpers.js';
import { Rng, assertNoPlaintext, integrityCheck, spawnFixture, wildcardClient, snapshot } from './common.js';
import { CRASH_ACCOUNTS, CRASH_GROUPS, CRASH_SERVICE, applyOp, crashEntitlements, type Model, type Op } from './crash-model.js';

export interface CrashOptions {
  kills: number;
  seed: number;
  /** Most operations one child runs before it would exit by itself. */
  maxOps?: number;
  /** Scan the directory for plaintext after every kill (else every 10th). */
  scanEvery?: number;
  log?: (line: string) => void;
}

export interface CrashReport {
  kills: number;
  /** Kill points after which every check passed. */
  survived: number;
  /** Acknowledged calls checked. */
  acknowledged: number;
  /** Kill points that caught a call in flight: how many of those had happened / had not. */
  inFlightApplied: number;
  inFlightNotApplied: number;
  /** Acknowledged items missing or holding other bytes after a restart. */
  itemsLost: number;
  /** Items present that no call (acknowledged or in flight) explains. */
  itemsUnexplained: number;
  /** Children that ran out of operations before the kill (no crash mid-run). */
  childrenFinished: number;
  plaintextChecks: number;
  failures: string[];
}

/** The store as group|account → secret, through the crash client (every item must decrypt). */
function readStore(path: string): Map<string, string> {
  const kc = openKeychain({ path });
  try {
    const client = kc.client(crashEntitlements);
    const r = client.SecItemCopyMatching({
      [kSecClass]: kSecClassGenericPassword,
      [kSecAttrService]: CRASH_SERVICE,
      [kSecMatchLimit]: kSecMatchLimitAll,
      [kSecReturnAttributes]: true,
      [kSecReturnData]: true,
    });
    const out = new Map<string, string>();
    if (r.status === errSecItemNotFound) return out;
    if (r.status !== errSecSuccess) throw new Error(`listing after restart: ${statusName(r.status)}`);
    for (const d of r.result as Record<string, unknown>[]) {
      const k = `${String(d[kSecAttrAccessGroup])}|${Buffer.from(d[kSecAttrAccount] as Uint8Array | string).toString('utf8')}`;
      if (out.has(k)) throw new Error(`two items for ${k}`);
      out.set(k, Buffer.from(d[kSecValueData] as Uint8Array).toString('utf8'));
    }
    // The wildcard snapshot opens every item of every class.
    snapshot(wildcardClient(kc));
    return out;
  } finally {
    kc.close();
  }
}

function sameMap(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

function diff(want: ReadonlyMap<string, string>, got: ReadonlyMap<string, string>): string {
  const lines: string[] = [];
  for (const [k, v] of want) if (got.get(k) !== v) lines.push(`  ${k}: want ${v}, got ${got.get(k) ?? '(absent)'}`);
  for (const [k, v] of got) if (!want.has(k)) lines.push(`  ${k}: unexpected ${v}`);
  return lines.join('\n');
}

export async function runCrash(options: CrashOptions): Promise<CrashReport> {
  const dir = mkdtempSync(join(tmpdir(), 'secitem-crash-'));
  const path = join(dir, 'crash.keychain-db');
  const rng = new Rng(options.seed);
  const maxOps = options.maxOps ?? 60;
  const scanEvery = options.scanEvery ?? 10;
  const report: CrashReport = {
    kills: 0,
    survived: 0,
    acknowledged: 0,
    inFlightApplied: 0,
    inFlightNotApplied: 0,
    itemsLost: 0,
    itemsUnexplained: 0,
    childrenFinished: 0,
    plaintextChecks: 0,
    failures: [],
  };
  openKeychain({ path }).close();
  let model: Model = new Map();
  const fixedNeedles = [CRASH_SERVICE, ...CRASH_GROUPS, ...CRASH_ACCOUNTS];
  try {
    for (let i = 0; i < options.kills; i++) {
      const childSeed = rng.int(2 ** 31);
      // Kill after a random number of reported lines (B or A), then after a random extra delay.
      const killAfterLines = 1 + rng.int(2 * maxOps);
      const extraDelayMs = rng.int(3);
      const lines: string[] = [];
      let killed = false;
      const { child, done } = spawnFixture('crash-child', [path, String(childSeed), `k${i}`, String(maxOps)], (line) => {
        lines.push(line);
        if (!killed && lines.length - 1 >= killAfterLines) {
          killed = true;
          if (extraDelayMs === 0) child.kill('SIGKILL');
          else setTimeout(() => child.kill('SIGKILL'), extraDelayMs);
        }
      });
      const exit = await done;
      report.kills += 1;
      const failuresBefore = report.failures.length;
      const fail = (msg: string): void => {
        report.failures.push(`kill ${i} (child seed ${childSeed}): ${msg}`);
      };
      if (exit.signal !== 'SIGKILL') {
        if (lines.at(-1) === 'DONE') report.childrenFinished += 1;
        else fail(`child exited with ${exit.code}/${exit.signal}: ${exit.stderr.slice(0, 2000)}`);
      }
      // Replay the acknowledged calls on the model; at most one call is in flight.
      let inFlight: Op | undefined;
      const secrets: string[] = [];
      for (const line of lines) {
        if (line === 'READY' || line === 'DONE') continue;
        const m = /^([BAT]) (\d+) (.*)$/.exec(line);
        if (m === null) {
          fail(`unreadable line ${JSON.stringify(line)}`);
          continue;
        }
        if (m[1] === 'B') {
          inFlight = JSON.parse(m[3]) as Op;
          if ('s' in inFlight) secrets.push(inFlight.s);
        } else if (m[1] === 'T') {
          fail(`a SecItem call threw: ${JSON.parse(m[3]) as string}`);
          inFlight = undefined;
        } else {
          const status = Number(m[3]);
          if (inFlight === undefined) {
            fail(`acknowledgement without a call: ${line}`);
            continue;
          }
          const { status: want, next } = applyOp(model, inFlight);
          report.acknowledged += 1;
          if (status !== want) fail(`call ${m[2]} ${JSON.stringify(inFlight)} answered ${statusName(status)}, the model predicts ${statusName(want)}`);
          // Trust the engine's answer for the model: a success changes it, anything else does not.
          if (status === errSecSuccess) model = next;
          inFlight = undefined;
        }
      }
      if (i % scanEvery === 0 || i === options.kills - 1) {
        try {
          report.plaintextChecks += assertNoPlaintext(dir, [...fixedNeedles, ...secrets], `after kill ${i}`);
        } catch (e) {
          fail((e as Error).message);
        }
      }
      let actual: Map<string, string>;
      try {
        actual = readStore(path);
      } catch (e) {
        fail(`reopening: ${(e as Error).message}`);
        break;
      }
      if (sameMap(model, actual)) {
        if (inFlight !== undefined) report.inFlightNotApplied += 1;
      } else {
        const after = inFlight === undefined ? undefined : applyOp(model, inFlight);
        if (after !== undefined && after.status === errSecSuccess && sameMap(after.next, actual)) {
          report.inFlightApplied += 1;
          model = after.next;
        } else {
          fail(`the store matches neither the acknowledged state nor it plus the call in flight ${JSON.stringify(inFlight)}:\n${diff(model, actual)}`);
          const explained = new Set([...model.values(), ...secrets]);
          for (const [k, v] of model) if (actual.get(k) !== v && !(after?.next.get(k) === actual.get(k))) report.itemsLost += 1;
          for (const [k, v] of actual) if (!model.has(k) && !explained.has(v)) report.itemsUnexplained += 1;
          model = actual;
        }
      }
      const integrity = integrityCheck(path);
      if (integrity !== 'ok') fail(`integrity_check: ${integrity}`);
      if (report.failures.length === failuresBefore) report.survived += 1;
      options.log?.(`kill ${i}: ${lines.length} lines, ${model.size} items, ${report.failures.length - failuresBefore} failures`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return report;
}
