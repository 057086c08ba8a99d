/**
 * The daemon load harness (issue 16's acceptance), used bounded by
 * load.test.ts and large by `npm run soak`: a secitemd process with the real
 * ProfileRegistry (a trusted signer, one signed profile per client app, each
 * naming the client's own wrapper script) and AuditLog; `clients` client
 * processes × `calls` mixed calls (load-model.ts), each logging the calls
 * the daemon acknowledged.
 *
 * - Without a kill: the daemon is stopped by SIGTERM; the store must equal a
 *   serial replay of the acknowledged calls on a fresh keychain in process,
 *   and every acknowledged status (and copy's data) must be the one the
 *   replay answers. Replay order: first the contested adds the daemon
 *   acknowledged as successful (one per key), then each client's other
 *   acknowledged calls in its order; the clients' own keys are disjoint, so
 *   the order among clients changes nothing, and a contested add that lost
 *   answers errSecDuplicateItem in any order after the winner's.
 * - With `kill`: SIGKILL of the daemon once `killAfter` of the calls were
 *   acknowledged; the keychain is then opened in process. For each client,
 *   the items of its own keys must be the model's state after some prefix of
 *   its calls that holds every acknowledged one (calls of a connection are
 *   committed in its order, a group at once; the unacknowledged ones in
 *   flight may or may not be there); a contested key a client's add won
 *   holds that client's data, any other is absent or holds the data of some
 *   issued add.
 * This is not a test: it exports functions only.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  openKeychain, kSecClass, kSecClassGenericPassword, kSecMatchLimit, kSecMatchLimitAll, kSecReturnAttributes, kSecReturnData,
  kSecAttrAccessGroup, kSecAttrService, kSecAttrAccount, kSecValueData, errSecSuccess, errSecItemNotFound, errSecDuplicateItem,
} from '../../src/index.js';
import { ProfileRegistry, createProfile, createSigner, readSignerKey, signProfile } from '../../src/daemon/profiles.js';
import { AuditLog, auditKey } from '../../src/daemon/audit.js';
import { SHARED_GROUP, WINDOW, appIdOf, applyToModel, entitlementsOf, keyOf, perform, planOf, type Ack, type Call } from './load-model.js';

export interface LoadOptions {
  clients: number;
  calls: number;
  seed: number;
  /** SIGKILL the daemon once this fraction of all calls was acknowledged. */
  kill?: number;
  log?: (line: string) => void;
}

export interface LoadReport {
  clients: number;
  calls: number;
  acknowledged: number;
  /** Unacknowledged calls (in flight at the kill) found applied / not applied. */
  inFlightApplied: number;
  elapsedMs: number;
  statuses: Record<string, number>;
  /** The audit log's chain verified (not after a kill: its last lines wait for their sync). */
  auditLines?: number;
  failures: string[];
}

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}.js`, import.meta.url));

interface ChildRun {
  child: ChildProcess;
  lines: string[];
  done: Promise<number | null>;
}

function spawnNode(args: string[], onLine?: (line: string) => void): ChildRun {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buf = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    for (const l of parts) {
      lines.push(l);
      onLine?.(l);
    }
  });
  child.stderr!.on('data', (d) => (err += d));
  const done = new Promise<number | null>((resolve) => {
    child.on('close', (code) => {
      if (buf) lines.push(buf);
      if (err.trim()) process.stderr.write(`[${args[0]}] ${err}`);
      resolve(code);
    });
  });
  return { child, lines, done };
}

/** Every generic password of the store: group|service|account → data. */
function storeOf(path: string, passcode?: string): Map<string, string> {
  const kc = openKeychain({ path, ...(passcode ? { passcode } : {}) });
  try {
    const r = kc.client({ applicationIdentifier: 'LOADTEAM01.checker', keychainAccessGroups: ['*'] }).SecItemCopyMatching({
      [kSecClass]: kSecClassGenericPassword, [kSecMatchLimit]: kSecMatchLimitAll, [kSecReturnAttributes]: true, [kSecReturnData]: true,
    });
    const out = new Map<string, string>();
    if (r.status === errSecItemNotFound) return out;
    if (r.status !== errSecSuccess) throw new Error(`listing the store: ${r.status}`);
    for (const a of r.result as Record<string, unknown>[]) {
      out.set(keyOf({ group: a[kSecAttrAccessGroup] as string, service: a[kSecAttrService] as string, account: a[kSecAttrAccount] as string }), Buffer.from(a[kSecValueData] as Uint8Array).toString('utf8'));
    }
    return out;
  } finally {
    kc.close();
  }
}

const ownKeysOf = (n: number) => (key: string): boolean => key.startsWith(`${appIdOf(n)}|`) || key.startsWith(`${SHARED_GROUP}|own-${n}|`);
const sameMap = (a: Map<string, string>, b: Map<string, string>): boolean => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
const show = (m: Map<string, string>): string => JSON.stringify([...m].sort());

export async function runDaemonLoad(options: LoadOptions): Promise<LoadReport> {
  const { clients, calls, seed } = options;
  const log = options.log ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'secitemd-load-'));
  const failures: string[] = [];
  const statuses: Record<string, number> = {};
  const started = Date.now();
  try {
    const keychain = join(dir, 'kc.keychain-db');
    const socket = join(dir, 'run', 'secitemd.sock');
    const stateDir = join(dir, 'state');
    // A signer the daemon trusts, and one signed profile per client app, naming that app's own script.
    const signer = createSigner(join(dir, 'signer'));
    const registry = ProfileRegistry.open(stateDir);
    registry.trust(readFileSync(signer.pubFile));
    const clientModule = pathToFileURL(fixture('load-client')).href;
    const scripts: string[] = [];
    mkdirSync(join(dir, 'apps'));
    for (let n = 0; n < clients; n++) {
      const script = join(dir, 'apps', `app${n}.mjs`);
      writeFileSync(script, `// ${appIdOf(n)}\nimport ${JSON.stringify(clientModule)};\n`);
      scripts.push(script);
      const ent = entitlementsOf(n);
      registry.register(signProfile(createProfile({ applicationIdentifier: ent.applicationIdentifier, keychainAccessGroups: ent.keychainAccessGroups ?? [], script }), readSignerKey(signer.keyFile)));
    }

    log(`  profiles registered after ${Date.now() - started} ms`);
    const daemon = spawnNode([fixture('registry-daemon'), keychain, socket, stateDir]);
    await new Promise<void>((resolve, reject) => {
      const t = setInterval(() => {
        if (daemon.lines.includes('ready')) {
          clearInterval(t);
          resolve();
        }
      }, 10);
      void daemon.done.then((code) => {
        clearInterval(t);
        reject(new Error(`the daemon exited (${code}) before it was ready`));
      });
    });

    log(`  daemon ready after ${Date.now() - started} ms`);
    let acked = 0;
    let killed = false;
    const killAt = options.kill === undefined ? Infinity : Math.floor(options.kill * clients * calls);
    const runs = scripts.map((script, n) =>
      spawnNode([script, socket, String(n), String(calls), String(seed)], (line) => {
        if (!line.startsWith('{"k"')) return;
        acked++;
        if (!killed && acked >= killAt) {
          killed = true;
          daemon.child.kill('SIGKILL');
          log(`  SIGKILL of the daemon after ${acked} acknowledgements seen`);
        }
      }),
    );
    const codes = await Promise.all(runs.map((r) => r.done));
    log(`  clients done after ${Date.now() - started} ms: ${runs.map((r) => r.lines.at(-1)).join(" ")}`);
    codes.forEach((c, n) => c !== 0 && failures.push(`client ${n} exited with ${c}`));
    if (!killed) {
      if (options.kill !== undefined) failures.push('the clients finished before the kill');
      daemon.child.kill('SIGTERM');
    }
    const daemonCode = await daemon.done;
    if (!killed && daemonCode !== 0) failures.push(`the daemon exited with ${daemonCode} after SIGTERM`);

    const plans = scripts.map((_, n) => planOf(seed, n, calls));
    const acks = runs.map((r) => r.lines.filter((l) => l.startsWith('{"k"')).map((l) => JSON.parse(l) as Ack));
    acks.forEach((as, n) => as.forEach((a, i) => {
      if (a.k !== i) failures.push(`client ${n}: acknowledgement ${i} is of call ${a.k}`);
      const key = `${plans[n]![a.k]!.op}:${a.s}`;
      statuses[key] = (statuses[key] ?? 0) + 1;
    }));
    const acknowledged = acks.reduce((s, a) => s + a.length, 0);
    if (!killed) acks.forEach((as, n) => as.length !== calls && failures.push(`client ${n}: ${as.length} of ${calls} calls acknowledged without a kill`));

    const stored = storeOf(keychain);
    // Contested keys: who won (acknowledged), and who may have (issued).
    const winners = new Map<string, { n: number; call: Call }>();
    acks.forEach((as, n) => as.forEach((a) => {
      const c = plans[n]![a.k]!;
      if (!c.contested) return;
      if (a.s === errSecSuccess) {
        const prev = winners.get(keyOf(c));
        if (prev) failures.push(`contested ${keyOf(c)}: two adds acknowledged as successful (clients ${prev.n} and ${n})`);
        winners.set(keyOf(c), { n, call: c });
      } else if (a.s !== errSecDuplicateItem) failures.push(`client ${n}: contested add ${a.k} answered ${a.s}`);
    }));

    let inFlightApplied = 0;
    if (!killed) {
      // The serial replay, in process, on a fresh keychain.
      const replayPath = join(dir, 'replay.keychain-db');
      const kc = openKeychain({ path: replayPath });
      try {
        const apps = scripts.map((_, n) => kc.client(entitlementsOf(n)));
        for (const [key, w] of winners) {
          const r = await perform(apps[w.n]!, w.call);
          if (r.s !== errSecSuccess) failures.push(`replay: the winning add of ${key} answered ${r.s}`);
        }
        for (const [n, as] of acks.entries()) {
          for (const a of as) {
            const c = plans[n]![a.k]!;
            if (c.contested && a.s === errSecSuccess) continue;
            const r = await perform(apps[n]!, c);
            if (r.s !== a.s || r.d !== a.d) failures.push(`client ${n} call ${a.k} (${c.op} ${keyOf(c)}): the daemon answered ${a.s} ${a.d ?? ''}, the replay ${r.s} ${r.d ?? ''}`);
          }
        }
      } finally {
        kc.close();
      }
      const replayed = storeOf(replayPath);
      if (!sameMap(stored, replayed)) failures.push(`the store differs from the serial replay: stored ${stored.size} items, replayed ${replayed.size}; stored ${show(stored).slice(0, 400)}… replayed ${show(replayed).slice(0, 400)}…`);
      // The audit log: one line per call (and per connection), its chain intact.
      const v = AuditLog.verify(join(stateDir, 'audit.log'), auditKey(stateDir));
      if (!v.ok) failures.push(`the audit log does not verify: line ${v.line}: ${v.reason}`);
      else if (v.lines < acknowledged) failures.push(`the audit log has ${v.lines} lines for ${acknowledged} calls`);
      log(`  audit log: ${v.ok ? `${v.lines} lines, chain verified` : 'FAILED'}`);
      return { clients, calls, acknowledged, inFlightApplied, elapsedMs: Date.now() - started, statuses, ...(v.ok ? { auditLines: v.lines } : {}), failures };
    }

    // After the kill: each client's own keys hold the state after a prefix of its calls that includes every acknowledged one.
    acks.forEach((as, n) => {
      const plan = plans[n]!;
      const model = new Map<string, string>();
      for (const a of as) {
        const c = plan[a.k]!;
        if (c.contested) continue;
        const want = applyToModel(model, c);
        if (want.s !== a.s || want.d !== a.d) failures.push(`client ${n} call ${a.k} (${c.op} ${keyOf(c)}): answered ${a.s} ${a.d ?? ''}, the model ${want.s} ${want.d ?? ''}`);
      }
      const mine = new Map([...stored].filter(([k]) => ownKeysOf(n)(k)));
      let k = as.length;
      const limit = Math.min(plan.length, as.length + WINDOW);
      while (!sameMap(mine, model) && k < limit) {
        if (!plan[k]!.contested) applyToModel(model, plan[k]!);
        k++;
      }
      if (!sameMap(mine, model)) failures.push(`client ${n}: its items ${show(mine)} are not the state after any prefix of its calls from its ${as.length} acknowledged ones`);
      else inFlightApplied += k - as.length;
    });
    for (const [key, data] of stored) {
      if (!key.startsWith(`${SHARED_GROUP}|contested|`)) continue;
      const w = winners.get(key);
      if (w !== undefined) {
        if (w.call.data !== data) failures.push(`contested ${key}: holds ${data}, the acknowledged winner wrote ${w.call.data}`);
      } else if (!plans.some((p) => p.some((c) => c.contested && keyOf(c) === key && c.data === data))) failures.push(`contested ${key}: holds ${data}, which no call wrote`);
    }
    for (const [key] of winners) if (!stored.has(key)) failures.push(`contested ${key}: an acknowledged add is lost`);
    for (const key of stored.keys()) if (!key.includes('|contested|') && !scripts.some((_, n) => ownKeysOf(n)(key))) failures.push(`an item no client owns: ${key}`);
    return { clients, calls, acknowledged, inFlightApplied, elapsedMs: Date.now() - started, statuses, failures };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
