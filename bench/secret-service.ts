/**
 * The Secret Service provider's figures (issue 17), called by bench/run.ts
 * at the end of `npm run bench`, or alone: `node dist/bench/secret-service.js [--quick]`.
 *
 * Two private dbus-daemons: one with secitemd's provider (runDaemon with
 * `secretService`), one with gnome-keyring-daemon (`--unlock
 * --components=secrets`, a login keyring in a temp home) when it is
 * installed. One item in each (secret-tool store). Measured in the same run:
 * - `secret-tool lookup` from spawn to exit (median of RUNS, alternating);
 * - GetSecrets calls/s of one dbus-next connection with a plain session:
 *   one call at a time, and IN_FLIGHT calls in flight, for DURATION each.
 * Target: the provider's GetSecrets calls/s (IN_FLIGHT in flight) at least
 * 5× gnome-keyring's.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import dbus from 'dbus-next';
import { runDaemon } from '../src/daemon/process.js';
import { startPrivateBus, type PrivateBus } from '../src/daemon/secret-service/bus.js';

const IN_FLIGHT = 32;

export interface ProviderFigures {
  lookupMs: number;
  getSecretsSequential: number;
  getSecretsInFlight: number;
}
export interface SecretServiceReport {
  secitem: ProviderFigures | string;
  gnomeKeyring: ProviderFigures | string;
  targets: { what: string; value: string; met: boolean }[];
}

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

async function getSecretsRates(address: string, durationMs: number): Promise<{ sequential: number; inFlight: number }> {
  const c = dbus.sessionBus({ busAddress: address });
  try {
    const call = async (path: string, iface: string, member: string, signature: string, body: unknown[]) =>
      (await c.call(new dbus.Message({ destination: 'org.freedesktop.secrets', path, interface: iface, member, signature, body })))!.body as unknown[];
    const [, session] = await call('/org/freedesktop/secrets', 'org.freedesktop.Secret.Service', 'OpenSession', 'sv', ['plain', new dbus.Variant('s', '')]);
    const [unlocked] = await call('/org/freedesktop/secrets', 'org.freedesktop.Secret.Service', 'SearchItems', 'a{ss}', [{ bench: 'secret-service' }]);
    const items = unlocked as string[];
    if (items.length !== 1) throw new Error(`expected one bench item, found ${items.length}`);
    const get = async () => {
      const [secrets] = await call('/org/freedesktop/secrets', 'org.freedesktop.Secret.Service', 'GetSecrets', 'aoo', [items, session]);
      if (Object.keys(secrets as object).length !== 1) throw new Error('GetSecrets returned no secret');
    };
    for (let i = 0; i < 50; i++) await get(); // warm-up
    let n = 0;
    let end = Date.now() + durationMs;
    let t = process.hrtime.bigint();
    while (Date.now() < end) {
      await get();
      n++;
    }
    const sequential = n / (Number(process.hrtime.bigint() - t) / 1e9);
    n = 0;
    end = Date.now() + durationMs;
    t = process.hrtime.bigint();
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (Date.now() < end) {
        await get();
        n++;
      }
    }));
    const inFlight = n / (Number(process.hrtime.bigint() - t) / 1e9);
    return { sequential, inFlight };
  } finally {
    c.disconnect();
  }
}

/** Runs secret-tool without blocking this process (which serves the provider). */
function secretTool(args: string[], env: NodeJS.ProcessEnv, input = ''): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('secret-tool', args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input);
  });
}

async function lookupMs(env: NodeJS.ProcessEnv): Promise<number> {
  const t = process.hrtime.bigint();
  const r = await secretTool(['lookup', 'bench', 'secret-service'], env);
  if (r.status !== 0 || r.stdout !== 'bench secret') throw new Error(`secret-tool lookup failed (${r.status}): ${r.stderr}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

async function waitForName(address: string, deadlineMs: number): Promise<void> {
  const c = dbus.sessionBus({ busAddress: address });
  try {
    const end = Date.now() + deadlineMs;
    for (;;) {
      const r = await c.call(new dbus.Message({
        destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'NameHasOwner', signature: 's', body: ['org.freedesktop.secrets'],
      }));
      if (r?.body[0] === true) return;
      if (Date.now() > end) throw new Error('gnome-keyring did not claim org.freedesktop.secrets');
      await new Promise((res) => setTimeout(res, 50));
    }
  } finally {
    c.disconnect();
  }
}

export async function measureSecretService(options: { quick?: boolean } = {}): Promise<SecretServiceReport> {
  const runs = options.quick ? 10 : 40;
  const durationMs = options.quick ? 500 : 2000;
  if (!has('secret-tool') || !has('dbus-daemon')) {
    const why = 'secret-tool or dbus-daemon is not installed: not measured';
    return { secitem: why, gnomeKeyring: why, targets: [] };
  }
  const dir = mkdtempSync(join(tmpdir(), 'secitem-bench-ss-'));
  const buses: PrivateBus[] = [];
  let gk: ChildProcess | undefined;
  let d: Awaited<ReturnType<typeof runDaemon>> | undefined;
  try {
    const ours = await startPrivateBus();
    buses.push(ours);
    d = await runDaemon({
      keychainPath: join(dir, 'kc.keychain-db'), stateDir: join(dir, 'state'), socketPath: join(dir, 'run', 's.sock'),
      signals: false, log: () => {}, secretService: { busAddress: ours.address },
    });
    const oursEnv = { ...process.env, DBUS_SESSION_BUS_ADDRESS: ours.address };
    const store = async (env: NodeJS.ProcessEnv) => {
      const r = await secretTool(['store', '--label=bench', 'bench', 'secret-service'], env, 'bench secret');
      if (r.status !== 0) throw new Error(`secret-tool store failed: ${r.stderr}`);
    };
    await store(oursEnv);

    let theirsEnv: NodeJS.ProcessEnv | undefined;
    let gnomeStatus = '';
    if (!has('gnome-keyring-daemon')) gnomeStatus = 'gnome-keyring is not installed: not measured';
    else {
      const theirs = await startPrivateBus();
      buses.push(theirs);
      const home = join(dir, 'gk-home');
      mkdirSync(join(home, 'data'), { recursive: true });
      theirsEnv = { ...process.env, DBUS_SESSION_BUS_ADDRESS: theirs.address, HOME: home, XDG_DATA_HOME: join(home, 'data'), XDG_RUNTIME_DIR: home };
      gk = spawn('gnome-keyring-daemon', ['--unlock', '--components=secrets', '--foreground'], { env: theirsEnv, stdio: ['pipe', 'ignore', 'ignore'] });
      gk.stdin!.end('bench password');
      await waitForName(theirs.address, 10_000);
      await store(theirsEnv);
    }

    // secret-tool lookup, alternating
    const ourMs: number[] = [];
    const theirMs: number[] = [];
    for (let i = 0; i < runs; i++) {
      ourMs.push(await lookupMs(oursEnv));
      if (theirsEnv) theirMs.push(await lookupMs(theirsEnv));
    }
    const ourRates = await getSecretsRates(ours.address, durationMs);
    const secitem: ProviderFigures = { lookupMs: median(ourMs), getSecretsSequential: ourRates.sequential, getSecretsInFlight: ourRates.inFlight };
    let gnomeKeyring: ProviderFigures | string = gnomeStatus;
    const targets: SecretServiceReport['targets'] = [];
    if (theirsEnv) {
      const theirRates = await getSecretsRates(String(theirsEnv['DBUS_SESSION_BUS_ADDRESS']), durationMs);
      gnomeKeyring = { lookupMs: median(theirMs), getSecretsSequential: theirRates.sequential, getSecretsInFlight: theirRates.inFlight };
      const ratio = secitem.getSecretsInFlight / gnomeKeyring.getSecretsInFlight;
      targets.push({ what: `Secret Service GetSecrets calls/s (${IN_FLIGHT} in flight) ≥ 5× gnome-keyring's`, value: `${ratio.toFixed(2)}×`, met: ratio >= 5 });
    }
    return { secitem, gnomeKeyring, targets };
  } finally {
    gk?.kill('SIGTERM');
    await d?.close();
    for (const b of buses) await b.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatSecretService(r: SecretServiceReport): string {
  const row = (name: string, f: ProviderFigures | string) =>
    typeof f === 'string'
      ? `  ${name.padEnd(14)} ${f}`
      : `  ${name.padEnd(14)} secret-tool lookup ${f.lookupMs.toFixed(1)} ms; GetSecrets ${Math.round(f.getSecretsSequential)}/s one at a time, ${Math.round(f.getSecretsInFlight)}/s with ${IN_FLIGHT} in flight`;
  return ['', 'Secret Service (private dbus-daemons, one item each)', row('secitemd', r.secitem), row('gnome-keyring', r.gnomeKeyring),
    ...r.targets.map((t) => `  target: ${t.what}: ${t.value} ${t.met ? 'met' : 'NOT met'}`), ''].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await measureSecretService({ quick: process.argv.includes('--quick') });
  process.stdout.write(formatSecretService(r));
}
