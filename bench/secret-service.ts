/**
 * The Secret Service provider's figures (issue 17), called by bench/run.ts
 * at the end of `npm run bench`, or alone: `node dist/bench/secret-service.js [--quick]`.
 *
 * Two private dbus-daemons: one with secitemd (its own process,
 * dist/src/daemon/main.js --secret-service, as deployed), one with
 * gnome-keyring-daemon (`--unlock --components=secrets`, a login keyring in
 * a temp home) when it is installed. One item in each (secret-tool store).
 * Measured in the same run:
 * - `secret-tool lookup` from spawn to exit (median of RUNS, alternating);
 * - with one dbus-next connection of this process and a plain session,
 *   for DURATION each, one call at a time and IN_FLIGHT calls in flight:
 *   org.freedesktop.DBus.Peer.Ping to the provider (the floor: what this
 *   client, dbus-daemon and the server's bus library cost with no work),
 *   then GetSecrets of the item;
 * - then SEARCH_FILL more items in each (secitemd's written into its
 *   keychain file by this process, as another process would, which the
 *   provider's index must notice; gnome-keyring's by CreateItem), and
 *   SearchItems calls/s for a pair that one of them holds.
 * Target: the provider's GetSecrets calls/s (IN_FLIGHT in flight) at least
 * 5× gnome-keyring's.
 *
 * SECITEM_BENCH_PROFILE=DIR runs secitemd under `node --cpu-prof
 * --cpu-prof-dir=DIR` (the profile is written when it stops).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import dbus from 'dbus-next';
import { openKeychain } from '../src/index.js';
import { encodeAttributes } from '../src/daemon/secret-service/attributes.js';
import { startPrivateBus, type PrivateBus } from '../src/daemon/secret-service/bus.js';
import { ITEM_SERVICE, SHARED_GROUP } from '../src/daemon/secret-service/provider.js';

const IN_FLIGHT = 32;
const SEARCH_FILL = 200;
const DAEMON_MAIN = fileURLToPath(new URL('../src/daemon/main.js', import.meta.url));

/** Calls/s of one method through one connection: one call at a time, and IN_FLIGHT in flight. */
export interface Rates {
  sequential: number;
  inFlight: number;
  /** The server process's CPU time (user + system, all its threads) per call while IN_FLIGHT were in flight, µs: steadier than calls/s on a busy machine. */
  serverCpuUs: number;
}
export interface ProviderFigures {
  lookupMs: number;
  /** Peer.Ping to the provider: the bus round trip with no work behind it. */
  ping: Rates;
  getSecrets: Rates;
  /** SearchItems for one item's pair among SEARCH_FILL + 1 items. */
  searchItems: Rates;
}
export interface SecretServiceReport {
  secitem: ProviderFigures | string;
  gnomeKeyring: ProviderFigures | string;
  /** How it was measured: calls in flight, each rate's duration, secret-tool runs, and secitemd's CPU profile directory if one was written. */
  conditions: { inFlight: number; durationMs: number; lookupRuns: number; searchFill: number; profileDir?: string };
  targets: { what: string; value: string; met: boolean }[];
}

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

/** CPU time a process has used (user + system, every thread), µs; /proc counts in clock ticks (USER_HZ, 100). */
function cpuUs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const rest = fields.slice(fields.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) * 10_000; // utime, stime: fields 14 and 15
}

/**
 * Calls/s of `call`: for durationMs one at a time, then for durationMs with
 * IN_FLIGHT in flight (and the server's CPU time per call then), after a
 * warm-up in flight of a second or half durationMs (a few dozen calls leave
 * node's JIT cold on both sides: the first second ran up to 10× slower on a
 * busy machine).
 */
async function rates(call: () => Promise<void>, durationMs: number, serverPid: number): Promise<Rates> {
  const measure = async (lanes: number, ms = durationMs): Promise<number> => {
    let n = 0;
    const end = Date.now() + ms;
    const t = process.hrtime.bigint();
    await Promise.all(Array.from({ length: lanes }, async () => {
      while (Date.now() < end) {
        await call();
        n++;
      }
    }));
    return n / (Number(process.hrtime.bigint() - t) / 1e9);
  };
  await measure(IN_FLIGHT, Math.max(1000, durationMs / 2));
  const sequential = await measure(1);
  const cpuBefore = cpuUs(serverPid);
  const t = process.hrtime.bigint();
  const inFlight = await measure(IN_FLIGHT);
  const calls = inFlight * (Number(process.hrtime.bigint() - t) / 1e9);
  return { sequential, inFlight, serverCpuUs: (cpuUs(serverPid) - cpuBefore) / calls };
}

/** Ping then GetSecrets rates of the provider at `address` (process `serverPid`), through one dbus-next connection with a plain session. */
async function busRates(address: string, durationMs: number, serverPid: number): Promise<{ ping: Rates; getSecrets: Rates }> {
  const c = dbus.sessionBus({ busAddress: address });
  try {
    const call = async (path: string, iface: string, member: string, signature: string, body: unknown[]) =>
      (await c.call(new dbus.Message({ destination: 'org.freedesktop.secrets', path, interface: iface, member, signature, body })))!.body as unknown[];
    const [, session] = await call('/org/freedesktop/secrets', 'org.freedesktop.Secret.Service', 'OpenSession', 'sv', ['plain', new dbus.Variant('s', '')]);
    const [unlocked] = await call('/org/freedesktop/secrets', 'org.freedesktop.Secret.Service', 'SearchItems', 'a{ss}', [{ bench: 'secret-service' }]);
    const items = unlocked as string[];
    if (items.length !== 1) throw new Error(`expected one bench item, found ${items.length}`);
    const ping = await rates(async () => {
      await call('/org/freedesktop/secrets', 'org.freedesktop.DBus.Peer', 'Ping', '', []);
    }, durationMs, serverPid);
    const getSecrets = await rates(async () => {
      const [secrets] = await call('/org/freedesktop/secrets', 'org.freedesktop.Secret.Service', 'GetSecrets', 'aoo', [items, session]);
      if (Object.keys(secrets as object).length !== 1) throw new Error('GetSecrets returned no secret');
    }, durationMs, serverPid);
    return { ping, getSecrets };
  } finally {
    c.disconnect();
  }
}

const fillAttributes = (i: number) => ({ fill: String(i), user: `u${i % 10}` });

/** SEARCH_FILL items into secitemd's keychain file through a connection of this process (as another process would write). */
function fillKeychain(keychainPath: string): void {
  const keychain = openKeychain({ path: keychainPath });
  try {
    const client = keychain.client({ applicationIdentifier: SHARED_GROUP, keychainAccessGroups: [SHARED_GROUP] });
    keychain.batch(() => {
      for (let i = 0; i < SEARCH_FILL; i++) {
        const status = client.SecItemAdd({
          class: 'genp', svce: ITEM_SERVICE, acct: `fill${i}`, labl: 'fill', gena: encodeAttributes(fillAttributes(i)), v_Data: Buffer.from('fill'),
        }).status;
        if (status !== 0) throw new Error(`the fill item could not be added (OSStatus ${status})`);
      }
    });
  } finally {
    keychain.close();
  }
}

/** SEARCH_FILL items through the provider at `address` (CreateItem, 8 in flight). */
async function fillOverBus(address: string): Promise<void> {
  const c = dbus.sessionBus({ busAddress: address });
  try {
    const call = async (path: string, iface: string, member: string, signature: string, body: unknown[]) =>
      (await c.call(new dbus.Message({ destination: 'org.freedesktop.secrets', path, interface: iface, member, signature, body })))!.body as unknown[];
    const [, session] = await call('/org/freedesktop/secrets', 'org.freedesktop.Secret.Service', 'OpenSession', 'sv', ['plain', new dbus.Variant('s', '')]);
    await Promise.all(Array.from({ length: 8 }, async (_, lane) => {
      for (let i = lane; i < SEARCH_FILL; i += 8) {
        const properties = {
          'org.freedesktop.Secret.Item.Label': new dbus.Variant('s', 'fill'), 'org.freedesktop.Secret.Item.Attributes': new dbus.Variant('a{ss}', fillAttributes(i)),
        };
        await call('/org/freedesktop/secrets/aliases/default', 'org.freedesktop.Secret.Collection', 'CreateItem', 'a{sv}(oayays)b', [properties, [session, Buffer.alloc(0), Buffer.from('fill'), 'text/plain'], false]);
      }
    }));
  } finally {
    c.disconnect();
  }
}

/** SearchItems rates for one fill item's pair. */
async function searchRates(address: string, durationMs: number, serverPid: number): Promise<Rates> {
  const c = dbus.sessionBus({ busAddress: address });
  try {
    const query = { fill: String(SEARCH_FILL >> 1) };
    return await rates(async () => {
      const [unlocked] = (await c.call(new dbus.Message({
        destination: 'org.freedesktop.secrets', path: '/org/freedesktop/secrets', interface: 'org.freedesktop.Secret.Service', member: 'SearchItems', signature: 'a{ss}', body: [query],
      })))!.body as [string[]];
      if (unlocked.length !== 1) throw new Error(`SearchItems found ${unlocked.length} items, expected 1`);
    }, durationMs, serverPid);
  } finally {
    c.disconnect();
  }
}

/** Runs secret-tool without blocking this process's event loop. */
function secretTool(args: string[], env: NodeJS.ProcessEnv, input = ''): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('secret-tool', args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.on('error', () => {}); // it exited without reading: its status and stderr say why
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
      if (Date.now() > end) throw new Error(`no one claimed org.freedesktop.secrets on ${address} within ${deadlineMs} ms`);
      await new Promise((res) => setTimeout(res, 50));
    }
  } finally {
    c.disconnect();
  }
}

/** secitemd in its own process (main.js --secret-service) on the bus at `address`; SIGTERM stops it. */
function startSecitemd(dir: string, address: string, profileDir: string | undefined): ChildProcess {
  const node = profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
  const child = spawn(process.execPath, [...node, DAEMON_MAIN, '--keychain', join(dir, 'kc.keychain-db'), '--state', join(dir, 'state'), '--socket', join(dir, 'run', 's.sock'), '--secret-service'], {
    env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: address }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (b) => (stderr = (stderr + String(b)).slice(-4000)));
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM') process.stderr.write(`bench: secitemd exited (${code ?? signal}): ${stderr}\n`);
  });
  return child;
}

function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export async function measureSecretService(options: { quick?: boolean } = {}): Promise<SecretServiceReport> {
  const runs = options.quick ? 10 : 40;
  const durationMs = options.quick ? 500 : 2000;
  const profileDir = process.env['SECITEM_BENCH_PROFILE'] || undefined;
  const conditions: SecretServiceReport['conditions'] = {
    inFlight: IN_FLIGHT, durationMs, lookupRuns: runs, searchFill: SEARCH_FILL, ...(profileDir === undefined ? {} : { profileDir }),
  };
  if (!has('secret-tool') || !has('dbus-daemon')) {
    const why = 'secret-tool or dbus-daemon is not installed: not measured';
    return { secitem: why, gnomeKeyring: why, conditions, targets: [] };
  }
  const dir = mkdtempSync(join(tmpdir(), 'secitem-bench-ss-'));
  const buses: PrivateBus[] = [];
  let gk: ChildProcess | undefined;
  let secitemd: ChildProcess | undefined;
  try {
    const ours = await startPrivateBus();
    buses.push(ours);
    secitemd = startSecitemd(dir, ours.address, profileDir);
    await waitForName(ours.address, 20_000);
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
    const ourRates = await busRates(ours.address, durationMs, secitemd.pid!);
    fillKeychain(join(dir, 'kc.keychain-db'));
    const secitem: ProviderFigures = { lookupMs: median(ourMs), ...ourRates, searchItems: await searchRates(ours.address, durationMs, secitemd.pid!) };
    let gnomeKeyring: ProviderFigures | string = gnomeStatus;
    const targets: SecretServiceReport['targets'] = [];
    if (theirsEnv) {
      const theirAddress = String(theirsEnv['DBUS_SESSION_BUS_ADDRESS']);
      const theirRates = await busRates(theirAddress, durationMs, gk!.pid!);
      await fillOverBus(theirAddress);
      gnomeKeyring = { lookupMs: median(theirMs), ...theirRates, searchItems: await searchRates(theirAddress, durationMs, gk!.pid!) };
      const ratio = secitem.getSecrets.inFlight / gnomeKeyring.getSecrets.inFlight;
      targets.push({ what: `Secret Service GetSecrets calls/s (${IN_FLIGHT} in flight) ≥ 5× gnome-keyring's`, value: `${ratio.toFixed(2)}×`, met: ratio >= 5 });
    }
    return { secitem, gnomeKeyring, conditions, targets };
  } finally {
    gk?.kill('SIGTERM');
    await stopChild(secitemd);
    for (const b of buses) await b.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatSecretService(r: SecretServiceReport): string {
  const k = (n: number) => (n >= 1000 ? `${(n / 1000).toFixed(1)}k` : String(Math.round(n)));
  const row = (name: string, f: ProviderFigures | string) =>
    typeof f === 'string'
      ? [`  ${name.padEnd(14)} ${f}`]
      : [
        `  ${name.padEnd(14)} secret-tool lookup ${f.lookupMs.toFixed(1)} ms`,
        `  ${''.padEnd(14)} GetSecrets ${k(f.getSecrets.sequential)}/s one at a time, ${k(f.getSecrets.inFlight)}/s with ${IN_FLIGHT} in flight (server CPU ${Math.round(f.getSecrets.serverCpuUs)} µs a call)`,
        `  ${''.padEnd(14)} Peer.Ping  ${k(f.ping.sequential)}/s one at a time, ${k(f.ping.inFlight)}/s with ${IN_FLIGHT} in flight (server CPU ${Math.round(f.ping.serverCpuUs)} µs a call; the bus floor)`,
        `  ${''.padEnd(14)} SearchItems among ${SEARCH_FILL + 1} items ${k(f.searchItems.sequential)}/s one at a time, ${k(f.searchItems.inFlight)}/s with ${IN_FLIGHT} in flight (server CPU ${Math.round(f.searchItems.serverCpuUs)} µs a call)`,
      ];
  const floor = typeof r.secitem !== 'string' && typeof r.gnomeKeyring !== 'string'
    ? [`  the floor: 5× gnome-keyring's GetSecrets in flight is ${k(5 * r.gnomeKeyring.getSecrets.inFlight)}/s; Ping to secitemd through this client and bus reaches ${k(r.secitem.ping.inFlight)}/s`]
    : [];
  return ['', 'Secret Service (private dbus-daemons; secitemd in its own process; one item, then SearchItems among more)', ...row('secitemd', r.secitem), ...row('gnome-keyring', r.gnomeKeyring),
    ...floor, ...r.targets.map((t) => `  target: ${t.what}: ${t.value} ${t.met ? 'met' : 'NOT met'}`), ''].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await measureSecretService({ quick: process.argv.includes('--quick') });
  process.stdout.write(formatSecretService(r));
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(r)}\n`);
}
