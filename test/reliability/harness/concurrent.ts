/**
 * Concurrent writers: N processes open the same keychain file and run mixed
 * operations at once. Each writer has its own service, so it predicts every
 * status of its own calls exactly; all writers also race to add the same
 * shared keys, where exactly one add per key may succeed and the others
 * answer errSecDuplicateItem. Afterwards the store holds exactly what the
 * acknowledged operations predict, and no call threw or answered a status
 * outside {0, errSecDuplicateItem, errSecItemNotFound}.
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
import { statusName, type Client } from '../../helpers.js';
import { Rng, assertNoPlaintext, integrityCheck, snapshot, spawnFixture, wildcardClient } from './common.js';
import { CONC_GROUPS, SHARED_SERVICE, concEntitlements, ownAccounts, ownService } from './concurrent-model.js';

export interface ConcurrentOptions {
  writers: number;
  ops: number;
  sharedKeys: number;
  seed: number;
}

export interface ConcurrentReport {
  writers: number;
  /** Calls the writers completed (all of them answered an OSStatus). */
  calls: number;
  /** Status counts over all writers, by operation kind. */
  counts: Record<string, number>;
  sharedKeys: number;
  elapsedMs: number;
  failures: string[];
}

function byAccount(client: Client, service: string): Map<string, string> {
  const r = client.SecItemCopyMatching({
    [kSecClass]: kSecClassGenericPassword,
    [kSecAttrService]: service,
    [kSecMatchLimit]: kSecMatchLimitAll,
    [kSecReturnAttributes]: true,
    [kSecReturnData]: true,
  });
  const out = new Map<string, string>();
  if (r.status === errSecItemNotFound) return out;
  if (r.status !== errSecSuccess) throw new Error(`listing ${service}: ${statusName(r.status)}`);
  for (const d of r.result as Record<string, unknown>[]) {
    out.set(`${String(d[kSecAttrAccessGroup])}|${Buffer.from(d[kSecAttrAccount] as Uint8Array).toString('utf8')}`, Buffer.from(d[kSecValueData] as Uint8Array).toString('utf8'));
  }
  return out;
}

export async function runConcurrent(requested: ConcurrentOptions): Promise<ConcurrentReport> {
  // Each writer attempts every shared key once, so there can be no more shared keys than calls per writer.
  const options = { ...requested, sharedKeys: Math.min(requested.sharedKeys, requested.ops) };
  const dir = mkdtempSync(join(tmpdir(), 'secitem-conc-'));
  const path = join(dir, 'shared.keychain-db');
  const rng = new Rng(options.seed);
  const failures: string[] = [];
  const counts: Record<string, number> = {};
  let calls = 0;
  openKeychain({ path }).close();
  const started = Date.now();
  try {
    const startAt = Date.now() + 400;
    const writers = Array.from({ length: options.writers }, (_, i) => {
      const lines: string[] = [];
      const run = spawnFixture('writer-child', [path, String(i), String(options.ops), String(rng.int(2 ** 31)), String(startAt), String(options.sharedKeys)], (l) => lines.push(l));
      return { i, lines, done: run.done };
    });
    const finals = new Map<number, Map<string, string>>();
    const sharedWins = new Map<number, { writer: number; secret: string }[]>();
    const secrets: string[] = [];
    for (const w of writers) {
      const exit = await w.done;
      if (exit.code !== 0) failures.push(`writer ${w.i} exited with ${exit.code}/${exit.signal}: ${exit.stderr.slice(0, 2000)}`);
      let final = false;
      for (const line of w.lines) {
        const [kind, ...rest] = line.split(' ');
        if (kind === 'BAD') failures.push(`writer ${w.i}: ${rest.join(' ')}`);
        else if (kind === 'SHARED') {
          const [j, status, secret] = rest;
          secrets.push(secret);
          if (Number(status) === errSecSuccess) {
            const list = sharedWins.get(Number(j)) ?? [];
            list.push({ writer: w.i, secret });
            sharedWins.set(Number(j), list);
          }
        } else if (kind === 'FINAL') {
          final = true;
          const f = JSON.parse(rest.join(' ')) as { done: number; counts: Record<string, number>; model: [string, string][] };
          calls += f.done;
          for (const [k, v] of Object.entries(f.counts)) counts[k] = (counts[k] ?? 0) + v;
          finals.set(w.i, new Map(f.model));
          for (const [, s] of f.model) secrets.push(s);
        }
      }
      if (!final) failures.push(`writer ${w.i} did not finish`);
    }
    const kc = openKeychain({ path });
    try {
      const client = kc.client(concEntitlements);
      for (const [i, model] of finals) {
        const actual = byAccount(client, ownService(i));
        for (const [k, v] of model) if (actual.get(k) !== v) failures.push(`writer ${i}: ${k} should hold ${v}, holds ${actual.get(k) ?? '(nothing)'}`);
        for (const [k, v] of actual) if (!model.has(k)) failures.push(`writer ${i}: unexpected item ${k} = ${v}`);
      }
      const shared = byAccount(client, SHARED_SERVICE);
      for (let j = 0; j < options.sharedKeys; j++) {
        const wins = sharedWins.get(j) ?? [];
        if (wins.length !== 1) failures.push(`shared key ${j}: ${wins.length} adds succeeded (${wins.map((w) => w.writer).join(', ')})`);
        const stored = shared.get(`${CONC_GROUPS[0]}|conc-shared-account-${j}`);
        if (wins.length === 1 && stored !== wins[0].secret) failures.push(`shared key ${j}: holds ${stored}, the winner wrote ${wins[0].secret}`);
      }
      if (shared.size !== options.sharedKeys) failures.push(`${shared.size} shared items stored, ${options.sharedKeys} expected`);
      snapshot(wildcardClient(kc));
    } finally {
      kc.close();
    }
    const integrity = integrityCheck(path);
    if (integrity !== 'ok') failures.push(`integrity_check: ${integrity}`);
    const needles = [SHARED_SERVICE, ...CONC_GROUPS, ...secrets];
    for (let i = 0; i < options.writers; i++) needles.push(ownService(i), ...ownAccounts(i));
    try {
      assertNoPlaintext(dir, needles, 'after the concurrent writers');
    } catch (e) {
      failures.push((e as Error).message);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { writers: options.writers, calls, counts, sharedKeys: options.sharedKeys, elapsedMs: Date.now() - started, failures };
}
