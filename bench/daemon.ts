/**
 * The daemon's figures (issue 16), called by bench/run.ts at the end of
 * `npm run bench`, or alone: `node dist/bench/daemon.js [--quick]`.
 *
 * A secitemd process (the real ProfileRegistry, with a trusted signer and a
 * signed profile for each of the bench's scripts, and the real AuditLog) on
 * a socket in a temp dir owns a keychain of ITEMS items; this process opens
 * a copy of the same file in process (same contents, same device key).
 *
 * - **Round trip**: a copy by primary key (data returned) through the socket
 *   (one connection, one call at a time) against the same copy in process,
 *   timed call by call in alternating slices of SLICE calls.
 * - **Copies/s with 1, 8 and 32 clients**: a client is a connection making
 *   one call at a time; the connections are spread over up to WORKERS client
 *   processes (1 → 1 × 1, 8 → 4 × 2, 32 → 4 × 8; the machine has few cores,
 *   and 32 node processes would measure the scheduler), started and connected
 *   before the clock starts; against copies/s of one thread in process. The
 *   runs alternate (in process, 1, 8, 32) for ROUNDS rounds of DURATION each.
 * - **Durable writes/s with 1 and 32 writing clients**: adds of new items,
 *   each acknowledged once its group is on disk; alternating likewise.
 * - **One process per call**: `node dist/bench/lookup.js SOCKET SERVICE
 *   ACCOUNT` (connect, one copy, print) from spawn to exit, against `node -e
 *   0` in the same rounds (median of per-round ratios, as bench/startup.ts);
 *   and `secitem find-generic-password -w` through the daemon likewise
 *   (target 1.3×). And `secret-tool lookup` against gnome-keyring when both
 *   are installed.
 *
 * Targets, as ratios of the same run: p50 overhead ≤ 0.1 ms; 8 clients'
 * copies/s ≥ 0.6× in process; 32 writers' writes/s ≥ 5× one writer's.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { openKeychain, type KeychainClient } from '../src/index.js';
import { connectKeychain, type RemoteClient } from '../src/daemon/client.js';
import { startDaemon } from '../src/daemon/server.js';
import { ProfileRegistry, createProfile, createSigner, readSignerKey, signProfile } from '../src/daemon/profiles.js';
import { AuditLog, auditKey } from '../src/daemon/audit.js';

const APP = 'BENCH12345.com.example.daemon-bench';
const ITEMS = 1_000;
const SLICE = 100;
const WORKERS = 4;
const here = fileURLToPath(new URL('.', import.meta.url));
const SELF = join(here, 'daemon.js');
const LOOKUP = join(here, 'lookup.js');
/** The `secitem` executable (bench/ and src/ side by side under dist/). */
const CLI = join(here, '..', 'src', 'cli', 'bin.js');

const service = (i: number): string => `svc-${i % 10}`;
const account = (i: number): string => `user-${i}@example.com`;
const copyQuery = (i: number) => ({ class: 'genp', svce: service(i), acct: account(i), r_Data: true });

export interface Latency {
  p50us: number;
  p99us: number;
}
export interface DaemonReport {
  items: number;
  roundTrip: { samples: number; inProcess: Latency; daemon: Latency; overheadP50us: number };
  copiesPerSec: { inProcess: number; clients: Record<string, number>; layout: Record<string, string> };
  writesPerSec: { inProcess: number; clients: Record<string, number> };
  perProcess: { runs: number; nodeMs: number; lookupMs: number; ratioToNode: number; cliMs: number; cliRatioToNode: number; secretTool: string };
  targets: { what: string; value: string; met: boolean }[];
}

const quantile = (sorted: ArrayLike<number>, q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const latencyOf = (xs: number[]): Latency => {
  const s = Float64Array.from(xs).sort();
  return { p50us: quantile(s, 0.5), p99us: quantile(s, 0.99) };
};

// ── the daemon and the client workers, as processes of this script ─────────

/** `--serve keychain socket stateDir`: the daemon. */
async function serve(keychainPath: string, socketPath: string, stateDir: string): Promise<void> {
  const profiles = ProfileRegistry.open(stateDir);
  const audit = AuditLog.open(join(stateDir, 'audit.log'), { key: auditKey(stateDir), maxBytes: 256 << 20 });
  const daemon = await startDaemon({ keychainPath, socketPath, stateDir, profiles, audit });
  process.on('SIGTERM', () => void daemon.close().then(() => (audit.close(), process.exit(0))));
  process.stdout.write('ready\n');
}

/**
 * `--work socket connections`: a client process. Connects, says "ready"; each
 * line "copy MS" or "add MS" on stdin runs that many ms of calls on every
 * connection (one at a time each) and answers { calls, ms }.
 */
async function work(socket: string, connections: number): Promise<void> {
  const clients: RemoteClient[] = [];
  for (let c = 0; c < connections; c++) clients.push(await connectKeychain({ socket }));
  for (const kc of clients) await kc.identity;
  let round = 0;
  process.stdin.setEncoding('utf8');
  let buf = '';
  process.stdout.write('ready\n');
  for await (const chunk of process.stdin) {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const [op, ms] = buf.slice(0, nl).split(' ');
      buf = buf.slice(nl + 1);
      round++;
      const until = performance.now() + Number(ms);
      const t0 = performance.now();
      const counts = await Promise.all(
        clients.map(async (kc, c) => {
          let n = 0;
          for (let i = 0; performance.now() < until; i++) {
            if (op === 'copy') {
              const r = await kc.SecItemCopyMatching(copyQuery((i * 7919 + c * 131) % ITEMS));
              if (r.status !== 0) throw new Error(`copy: ${r.status}`);
            } else {
              const r = await kc.SecItemAdd({ class: 'genp', svce: `w-${process.pid}-${c}-${round}`, acct: `a${i}`, v_Data: Buffer.alloc(32, i) });
              if (r.status !== 0) throw new Error(`add: ${r.status}`);
            }
            n++;
          }
          return n;
        }),
      );
      process.stdout.write(`${JSON.stringify({ calls: counts.reduce((a, b) => a + b, 0), ms: performance.now() - t0 })}\n`);
    }
  }
  await Promise.all(clients.map((kc) => kc.close()));
}

class Proc {
  readonly child: ChildProcess;
  #buf = '';
  #waiters: { resolve: (line: string) => void; reject: (e: Error) => void }[] = [];
  #lines: string[] = [];
  #exited: Error | undefined;
  constructor(args: string[]) {
    // SECITEM_BENCH_PROFILE=DIR: CPU profiles of the daemon and the client processes in DIR (node --cpu-prof).
    const prof = process.env['SECITEM_BENCH_PROFILE'];
    this.child = spawn(process.execPath, [...(prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : []), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      this.#buf += d;
      let nl: number;
      while ((nl = this.#buf.indexOf('\n')) >= 0) {
        const line = this.#buf.slice(0, nl);
        this.#buf = this.#buf.slice(nl + 1);
        const w = this.#waiters.shift();
        if (w) w.resolve(line);
        else this.#lines.push(line);
      }
    });
    this.child.once('exit', (code, signal) => {
      this.#exited = new Error(`${this.child.spawnargs.slice(1, 3).join(' ')} exited (${signal ?? code})`);
      for (const w of this.#waiters.splice(0)) w.reject(this.#exited);
    });
  }
  line(): Promise<string> {
    const l = this.#lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    if (this.#exited) return Promise.reject(this.#exited);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }
  send(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    if (signal === 'SIGTERM' && this.child.stdin) this.child.stdin.end();
    this.child.kill(signal);
    await exited;
  }
}

/** A group of client processes holding `clients` connections in all. */
class Clients {
  readonly procs: Proc[];
  readonly layout: string;
  constructor(socket: string, clients: number) {
    const procs = Math.min(WORKERS, clients);
    this.procs = Array.from({ length: procs }, (_, p) => new Proc([SELF, '--work', socket, String(Math.floor(clients / procs) + (p < clients % procs ? 1 : 0))]));
    this.layout = `${procs} process${procs > 1 ? 'es' : ''} × ${clients / procs} connection${clients / procs > 1 ? 's' : ''}`;
  }
  async ready(): Promise<void> {
    for (const p of this.procs) if ((await p.line()) !== 'ready') throw new Error('a client process did not start');
  }
  /** Runs `op` for `ms` on every connection; calls and elapsed ms. */
  async run(op: 'copy' | 'add', ms: number): Promise<{ calls: number; ms: number }> {
    for (const p of this.procs) p.send(`${op} ${ms}`);
    const rs = (await Promise.all(this.procs.map((p) => p.line()))).map((l) => JSON.parse(l) as { calls: number; ms: number });
    return { calls: rs.reduce((a, r) => a + r.calls, 0), ms: Math.max(...rs.map((r) => r.ms)) };
  }
  stop(): Promise<void[]> {
    return Promise.all(this.procs.map((p) => p.stop()));
  }
}

function timeProcess(cmd: string, args: string[], env?: NodeJS.ProcessEnv): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.status} ${r.stderr?.toString() ?? ''}`);
  return ms;
}

function secretToolStatus(): string {
  const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
  if (!has('secret-tool')) return 'secret-tool is not installed on this machine (nor gnome-keyring): not measured';
  if (!has('gnome-keyring-daemon')) return 'secret-tool is installed but gnome-keyring is not: not measured';
  return 'measured against the Secret Service provider below (bench/secret-service.ts)';
}

export async function measureDaemon(options: { quick?: boolean; log?: (line: string) => void } = {}): Promise<DaemonReport> {
  const quick = options.quick ?? false;
  const log = options.log ?? ((l: string) => void process.stderr.write(`${l}\n`));
  const samples = quick ? 2_000 : 5_000;
  const duration = quick ? 700 : 1_500;
  const rounds = quick ? 2 : 3;
  const processRuns = quick ? 10 : 30;
  const dir = mkdtempSync(join(tmpdir(), 'secitem-daemon-bench-'));
  const procs: Proc[] = [];
  const groups: Clients[] = [];
  try {
    // The keychain, and a copy of it for the in-process side.
    const keychain = join(dir, 'daemon.keychain-db');
    const local = join(dir, 'local.keychain-db');
    {
      const kc = openKeychain({ path: keychain });
      const app = kc.client({ applicationIdentifier: APP });
      kc.batch(() => {
        for (let i = 0; i < ITEMS; i++) {
          const s = app.SecItemAdd({ class: 'genp', svce: service(i), acct: account(i), v_Data: Buffer.alloc(32, i) }).status;
          if (s !== 0) throw new Error(`fill: ${s}`);
        }
      });
      kc.close();
    }
    for (const ext of ['', '.devicekey']) copyFileSync(keychain + ext, local + ext);
    if (existsSync(`${keychain}-wal`)) copyFileSync(`${keychain}-wal`, `${local}-wal`);

    // Trust and profiles: this process's entry script, the client workers, the lookup script.
    const stateDir = join(dir, 'state');
    const signer = createSigner(join(dir, 'signer'));
    const registry = ProfileRegistry.open(stateDir);
    registry.trust(readFileSync(signer.pubFile));
    const entry = process.argv[1]!;
    for (const script of new Set([entry, SELF, LOOKUP])) {
      const appId = `BENCH12345.com.example.${script === LOOKUP ? 'lookup' : script === SELF ? 'worker' : 'bench'}`;
      registry.register(signProfile(createProfile({ applicationIdentifier: appId, keychainAccessGroups: [APP], script }), readSignerKey(signer.keyFile)));
    }
    const socket = join(dir, 'run', 'secitemd.sock');
    const daemon = new Proc([SELF, '--serve', keychain, socket, stateDir]);
    procs.push(daemon);
    if ((await daemon.line()) !== 'ready') throw new Error('the daemon did not start');

    const kcLocal = openKeychain({ path: local });
    const app: KeychainClient = kcLocal.client({ applicationIdentifier: APP });
    const remote = await connectKeychain({ socket });
    if ((await remote.identity).status !== 0) throw new Error(`the bench was not identified: ${JSON.stringify((await remote.identity).status)}`);

    // Round trip, alternating slices (after an untimed warm-up of both).
    const inLat: number[] = [];
    const outLat: number[] = [];
    for (let i = 0; i < 2_000; i++) {
      app.SecItemCopyMatching(copyQuery(i % ITEMS));
      await remote.SecItemCopyMatching(copyQuery(i % ITEMS));
    }
    for (let from = 0; from < samples; from += SLICE) {
      for (let k = from; k < from + SLICE; k++) {
        const t0 = process.hrtime.bigint();
        const r = app.SecItemCopyMatching(copyQuery((k * 7919) % ITEMS));
        inLat.push(Number(process.hrtime.bigint() - t0) / 1000);
        if (r.status !== 0) throw new Error(`copy: ${r.status}`);
      }
      for (let k = from; k < from + SLICE; k++) {
        const t0 = process.hrtime.bigint();
        const r = await remote.SecItemCopyMatching(copyQuery((k * 7919) % ITEMS));
        outLat.push(Number(process.hrtime.bigint() - t0) / 1000);
        if (r.status !== 0) throw new Error(`copy: ${r.status}`);
      }
    }
    await remote.close();
    const inProcess = latencyOf(inLat);
    const viaDaemon = latencyOf(outLat);
    log(`  daemon round trip: in process p50 ${inProcess.p50us.toFixed(1)} µs, through the socket ${viaDaemon.p50us.toFixed(1)} µs`);

    // Throughput: alternating runs.
    const inProcessRun = (op: 'copy' | 'add', ms: number): { calls: number; ms: number } => {
      const t0 = performance.now();
      const until = t0 + ms;
      let n = 0;
      for (let i = 0; performance.now() < until; i++, n++) {
        const r = op === 'copy' ? app.SecItemCopyMatching(copyQuery((i * 7919) % ITEMS)).status : app.SecItemAdd({ class: 'genp', svce: `local-${t0}`, acct: `a${i}`, v_Data: Buffer.alloc(32, i) }).status;
        if (r !== 0) throw new Error(`${op}: ${r}`);
      }
      return { calls: n, ms: performance.now() - t0 };
    };
    const sizes = [1, 8, 32] as const;
    const byClients = new Map<number, Clients>();
    for (const n of sizes) {
      const g = new Clients(socket, n);
      groups.push(g);
      byClients.set(n, g);
      await g.ready();
    }
    const total = (): { calls: number; ms: number } => ({ calls: 0, ms: 0 });
    const add = (a: { calls: number; ms: number }, b: { calls: number; ms: number }): void => {
      a.calls += b.calls;
      a.ms += b.ms;
    };
    const copies = { local: total(), 1: total(), 8: total(), 32: total() } as Record<string, { calls: number; ms: number }>;
    const writes = { local: total(), 1: total(), 32: total() } as Record<string, { calls: number; ms: number }>;
    for (const g of groups) await g.run('copy', 100); // warm-up
    for (let r = 0; r < rounds; r++) {
      add(copies['local']!, inProcessRun('copy', duration));
      for (const n of sizes) add(copies[n]!, await byClients.get(n)!.run('copy', duration));
      add(writes['local']!, inProcessRun('add', duration));
      add(writes[1]!, await byClients.get(1)!.run('add', duration));
      add(writes[32]!, await byClients.get(32)!.run('add', duration));
    }
    const rate = (x: { calls: number; ms: number }): number => (x.calls * 1000) / x.ms;
    kcLocal.close();
    await Promise.all(groups.map((g) => g.stop()));
    groups.length = 0;

    // One process per call, against node -e 0, in rounds.
    const nodeMs: number[] = [];
    const lookupMs: number[] = [];
    const ratios: number[] = [];
    // The command line through the daemon: it owns the keychain named, and this user's CLI is its owner's tool.
    const cliMs: number[] = [];
    const cliRatios: number[] = [];
    const cliEnv = { ...process.env, SECITEM_SOCKET: socket };
    const cliArgs = [CLI, 'find-generic-password', '-s', service(7), '-a', account(7), '-w', keychain];
    for (let r = 0; r < processRuns + 2; r++) {
      const a = timeProcess(process.execPath, ['-e', '0']);
      const b = timeProcess(process.execPath, [LOOKUP, socket, service(7), account(7)]);
      const c = timeProcess(process.execPath, cliArgs, cliEnv);
      if (r < 2) continue;
      nodeMs.push(a);
      lookupMs.push(b);
      ratios.push(b / a);
      cliMs.push(c);
      cliRatios.push(c / a);
    }
    const med = (xs: number[]): number => quantile([...xs].sort((x, y) => x - y), 0.5);
    await daemon.stop();

    const report: DaemonReport = {
      items: ITEMS,
      roundTrip: { samples, inProcess, daemon: viaDaemon, overheadP50us: viaDaemon.p50us - inProcess.p50us },
      copiesPerSec: {
        inProcess: rate(copies['local']!),
        clients: Object.fromEntries(sizes.map((n) => [String(n), rate(copies[n]!)])),
        layout: Object.fromEntries(sizes.map((n) => [String(n), byClients.get(n)!.layout])),
      },
      writesPerSec: { inProcess: rate(writes['local']!), clients: { 1: rate(writes[1]!), 32: rate(writes[32]!) } },
      perProcess: { runs: processRuns, nodeMs: med(nodeMs), lookupMs: med(lookupMs), ratioToNode: med(ratios), cliMs: med(cliMs), cliRatioToNode: med(cliRatios), secretTool: secretToolStatus() },
      targets: [],
    };
    const c8 = report.copiesPerSec.clients['8']! / report.copiesPerSec.inProcess;
    const w32 = report.writesPerSec.clients['32']! / report.writesPerSec.clients['1']!;
    report.targets.push(
      { what: 'daemon copy p50 overhead ≤ 0.1 ms over in process', value: `${(report.roundTrip.overheadP50us / 1000).toFixed(3)} ms`, met: report.roundTrip.overheadP50us <= 100 },
      { what: 'daemon copies/s with 8 clients ≥ 0.6× in process (one thread)', value: `${c8.toFixed(2)}×`, met: c8 >= 0.6 },
      { what: 'daemon durable writes/s with 32 clients ≥ 5× one client', value: `${w32.toFixed(2)}×`, met: w32 >= 5 },
      { what: '`secitem find-generic-password -w` through the daemon ≤ 1.3× node -e 0', value: `${report.perProcess.cliRatioToNode.toFixed(2)}×`, met: report.perProcess.cliRatioToNode <= 1.3 },
    );
    return report;
  } finally {
    await Promise.all(groups.map((g) => g.stop()));
    for (const p of procs) await p.stop('SIGKILL').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatDaemon(r: DaemonReport): string {
  const f = (x: number): string => x.toFixed(x >= 100 ? 0 : 1);
  const lines = [
    `secitemd (${r.items} items; ${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}):`,
    `  copy by primary key, round trip   in process p50 ${f(r.roundTrip.inProcess.p50us)} µs p99 ${f(r.roundTrip.inProcess.p99us)} µs; ` +
      `through the socket p50 ${f(r.roundTrip.daemon.p50us)} µs p99 ${f(r.roundTrip.daemon.p99us)} µs (${r.roundTrip.samples} each, alternating slices)`,
    `  copies/s                          in process (one thread) ${f(r.copiesPerSec.inProcess)}; ` +
      Object.entries(r.copiesPerSec.clients).map(([n, v]) => `${n} client${n === '1' ? '' : 's'} ${f(v)} (${r.copiesPerSec.layout[n]})`).join('; '),
    `  durable writes/s (adds)           in process (one thread) ${f(r.writesPerSec.inProcess)}; ` +
      Object.entries(r.writesPerSec.clients).map(([n, v]) => `${n} client${n === '1' ? '' : 's'} ${f(v)}`).join('; '),
    `  one process per lookup            ${r.perProcess.lookupMs.toFixed(1)} ms (node -e 0: ${r.perProcess.nodeMs.toFixed(1)} ms; ${r.perProcess.ratioToNode.toFixed(2)}× median of per-round ratios, ${r.perProcess.runs} rounds)`,
    `  secitem command per lookup        ${r.perProcess.cliMs.toFixed(1)} ms (find-generic-password -w through the daemon; ${r.perProcess.cliRatioToNode.toFixed(2)}× node -e 0, median of per-round ratios)`,
    `  secret-tool lookup                ${r.perProcess.secretTool}`,
  ];
  return `${lines.join('\n')}\n`;
}

const [mode, ...rest] = process.argv.slice(2);
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (mode === '--serve') await serve(rest[0]!, rest[1]!, rest[2]!);
  else if (mode === '--work') await work(rest[0]!, Number(rest[1]));
  else {
    const report = await measureDaemon({ quick: process.argv.includes('--quick') });
    process.stdout.write(formatDaemon(report));
    for (const t of report.targets) process.stdout.write(`  ${t.met ? 'met    ' : 'MISSED '} ${t.what}: ${t.value}\n`);
  }
}
