/**
 * npm run bench [-- --quick] [-- --sizes 1000,10000]
 *
 * Measures the in-process engine against "the floor": the least work any
 * encrypted, indexed, durable store must do — better-sqlite3 on the same file
 * system with the same journal mode and synchronous setting, one transaction
 * per operation, storing a random-key AES-256-GCM sealed blob (the random
 * item key itself sealed under a master key, as any store with per-item keys
 * must) and a keyed-hash index column. Prints a table of ops/s, p50 and p99 with each
 * secitem figure as a ratio to its floor, and writes bench/results/*.json.
 */
import Database from 'better-sqlite3';
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execSync } from 'node:child_process';
import { openKeychain, type KeychainClient } from '../src/index.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const sizesArg = args[args.indexOf('--sizes') + 1];
const sizes = args.includes('--sizes') && sizesArg ? sizesArg.split(',').map(Number) : quick ? [1_000, 10_000] : [1_000, 10_000, 100_000, 1_000_000];
/** Items per transaction while building a large keychain (Keychain.batch). */
const FILL_BATCH = 10_000;
const SAMPLES = quick ? 500 : 1_000;
const GROUPS = ['BENCH1234.group.a', 'BENCH1234.group.b', 'BENCH1234.group.c'];
const SERVICES = 100;

interface Figure {
  opsPerSec: number;
  p50us: number;
  p99us: number;
}

function measure(count: number, op: (i: number) => void): Figure {
  const lat = new Float64Array(count);
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    op(i);
    lat[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  const total = Number(process.hrtime.bigint() - start) / 1e9;
  lat.sort();
  return { opsPerSec: count / total, p50us: lat[Math.floor(count * 0.5)]!, p99us: lat[Math.min(count - 1, Math.floor(count * 0.99))]! };
}

const service = (i: number): string => `com.example.service-${i % SERVICES}`;
const account = (i: number): string => `user-${i}@example.com`;
const secretFor = (i: number): Buffer => {
  const b = Buffer.alloc(32);
  b.writeUInt32BE(i);
  return b;
};

function gcmSeal(key: Buffer, plaintext: Buffer): Buffer {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  return Buffer.concat([iv, c.update(plaintext), c.final(), c.getAuthTag()]);
}

function gcmOpen(key: Buffer, box: Buffer): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, box.subarray(0, 12));
  d.setAuthTag(box.subarray(box.length - 16));
  return Buffer.concat([d.update(box.subarray(12, box.length - 16)), d.final()]);
}

/** The floor store: one keyed-hash index column and one envelope-sealed blob per row. */
class Floor {
  readonly db: Database.Database;
  readonly #hmacKey = randomBytes(32);
  readonly #ins: Database.Statement;
  readonly #get: Database.Statement;
  readonly #upd: Database.Statement;
  readonly #del: Database.Statement;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, h BLOB NOT NULL UNIQUE, blob BLOB NOT NULL)');
    this.#ins = this.db.prepare('INSERT INTO items (h, blob) VALUES (?, ?)');
    this.#get = this.db.prepare('SELECT blob FROM items WHERE h = ?').pluck();
    this.#upd = this.db.prepare('UPDATE items SET blob = ? WHERE h = ?');
    this.#del = this.db.prepare('DELETE FROM items WHERE h = ?');
  }

  #h(i: number): Buffer {
    return createHmac('sha256', this.#hmacKey).update(service(i)).update('\0').update(account(i)).digest().subarray(0, 16);
  }

  /** Envelope encryption, the least any store with per-item keys does: a random item key wrapped by a master key. */
  static seal(secret: Buffer): Buffer {
    const key = randomBytes(32);
    return Buffer.concat([gcmSeal(Floor.#master, key), gcmSeal(key, secret)]);
  }

  static open(blob: Buffer): Buffer {
    const key = gcmOpen(Floor.#master, blob.subarray(0, 60));
    return gcmOpen(key, blob.subarray(60));
  }

  static readonly #master = randomBytes(32);

  add(i: number): void {
    this.db.transaction(() => this.#ins.run(this.#h(i), Floor.seal(secretFor(i))))();
  }
  copy(i: number): Buffer {
    return Floor.open(this.#get.get(this.#h(i)) as Buffer);
  }
  update(i: number): void {
    this.db.transaction(() => this.#upd.run(Floor.seal(secretFor(i + 1)), this.#h(i)))();
  }
  remove(i: number): void {
    this.db.transaction(() => this.#del.run(this.#h(i)))();
  }
}

const genp = (i: number) => ({ class: 'genp', svce: service(i), acct: account(i), agrp: GROUPS[i % GROUPS.length]! });

const fills: { n: number; secitemUsPerItem: number; floorUsPerItem: number }[] = [];

interface Row {
  n: number;
  workload: string;
  secitem: Figure;
  floor?: Figure;
}

/** Adds items [0, n) in transactions of FILL_BATCH; returns µs per item. */
function fill(n: number, inTransaction: (fn: () => void) => void, add: (i: number) => void): number {
  const t0 = performance.now();
  for (let from = 0; from < n; from += FILL_BATCH) {
    inTransaction(() => {
      for (let i = from; i < Math.min(n, from + FILL_BATCH); i++) add(i);
    });
  }
  return ((performance.now() - t0) * 1000) / Math.max(1, n);
}

function runSize(n: number, dir: string): Row[] {
  const rows: Row[] = [];
  const floor = new Floor(join(dir, `floor-${n}.db`));
  const path = join(dir, `bench-${n}.keychain-db`);
  const kc = openKeychain({ path, passcode: 'bench-passcode' });
  const app: KeychainClient = kc.client({ applicationIdentifier: 'BENCH1234.com.example.bench', keychainAccessGroups: GROUPS });
  const addItem = (i: number): void => {
    const s = app.SecItemAdd({ ...genp(i), v_Data: secretFor(i) }).status;
    if (s !== 0) throw new Error(`add ${i}: ${s}`);
  };
  // Pre-populate n - SAMPLES items, then time the last SAMPLES adds.
  const pre = Math.max(0, n - SAMPLES);
  const floorFill = fill(pre, (fn) => floor.db.transaction(fn)(), (i) => floor.add(i));
  const secFill = fill(pre, (fn) => kc.batch(fn), addItem);
  fills.push({ n, secitemUsPerItem: secFill, floorUsPerItem: floorFill });
  process.stderr.write(`  n=${n}: built ${pre} items in batches of ${FILL_BATCH}: secitem ${secFill.toFixed(1)} µs/item, floor ${floorFill.toFixed(1)} µs/item\n`);

  const mb = (): string => `${Math.round(process.memoryUsage().rss / 2 ** 20)} MB (heap ${Math.round(process.memoryUsage().heapUsed / 2 ** 20)} MB)`;
  process.stderr.write(`  n=${n}: RSS after building ${mb()}\n`);
  rows.push({ n, workload: 'add', floor: measure(n - pre, (k) => floor.add(pre + k)), secitem: measure(n - pre, (k) => addItem(pre + k)) });
  const pick = (k: number): number => (k * 7919) % n;
  rows.push({
    n,
    workload: 'copy by primary key (data)',
    floor: measure(SAMPLES, (k) => floor.copy(pick(k))),
    secitem: measure(SAMPLES, (k) => {
      const r = app.SecItemCopyMatching({ ...genp(pick(k)), r_Data: true });
      if (r.status !== 0) throw new Error(`copy: ${r.status}`);
    }),
  });
  rows.push({
    n,
    workload: `copy attributes, one service (${Math.floor(n / SERVICES)} matches)`,
    secitem: measure(Math.min(SAMPLES, 100), (k) => {
      const r = app.SecItemCopyMatching({ class: 'genp', svce: service(k), r_Attributes: true, m_Limit: 'm_LimitAll' });
      if (r.status !== 0) throw new Error(`copy all: ${r.status}`);
    }),
  });
  process.stderr.write(`  n=${n}: RSS after the copies ${mb()}\n`);
  rows.push({
    n,
    workload: 'update secret',
    floor: measure(SAMPLES, (k) => floor.update(pick(k))),
    secitem: measure(SAMPLES, (k) => {
      const s = app.SecItemUpdate(genp(pick(k)), { v_Data: secretFor(k + 1) });
      if (s !== 0) throw new Error(`update: ${s}`);
    }),
  });
  rows.push({
    n,
    workload: 'delete',
    floor: measure(SAMPLES, (k) => floor.remove(n - 1 - k)),
    secitem: measure(SAMPLES, (k) => {
      const s = app.SecItemDelete(genp(n - 1 - k));
      if (s !== 0) throw new Error(`delete: ${s}`);
    }),
  });
  kc.close();
  floor.db.close();
  rows.push({
    n,
    workload: 'open + unlock (passcode KDF)',
    secitem: measure(5, () => openKeychain({ path, passcode: 'bench-passcode' }).close()),
  });
  return rows;
}

interface Target {
  what: string;
  value: string;
  met: boolean;
}

/** The issue's targets, judged on this run's figures. */
function checkTargets(rows: Row[], peakRssMB: number): Target[] {
  const out: Target[] = [];
  const limits: [string, number][] = [['add', 1.5], ['copy by primary key (data)', 2], ['update secret', 1.5], ['delete', 1.5]];
  for (const [workload, limit] of limits) {
    const ratios = rows.filter((r) => r.workload === workload && r.floor).map((r) => r.floor!.opsPerSec / r.secitem.opsPerSec);
    if (ratios.length === 0) continue;
    const worst = Math.max(...ratios);
    out.push({ what: `${workload} ≤ ${limit}× the floor`, value: `worst ${worst.toFixed(2)}×`, met: worst <= limit });
  }
  const p99 = (n: number): number | undefined => rows.find((r) => r.n === n && r.workload === 'copy by primary key (data)')?.secitem.p99us;
  const big = Math.max(...rows.map((r) => r.n));
  const base = p99(10_000);
  const top = p99(big);
  if (base !== undefined && top !== undefined && big > 10_000) {
    out.push({ what: `copy p99 at ${big} ≤ 2× p99 at 10000`, value: `${(top / base).toFixed(2)}×`, met: top <= 2 * base });
  }
  out.push({ what: 'peak RSS < 150 MB', value: `${peakRssMB} MB`, met: peakRssMB < 150 });
  return out;
}

function fileSystemOf(dir: string): string {
  try {
    return execSync(`df -T ${JSON.stringify(dir)} | tail -1 | awk '{print $2}'`, { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'secitem-bench-'));
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    fileSystem: fileSystemOf(dir),
    journal: 'WAL, synchronous=FULL',
  };
  console.log(`secitem bench — ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.fileSystem} (${machine.journal})`);
  const rows: Row[] = [];
  try {
    for (const n of sizes) {
      process.stderr.write(`n=${n}…\n`);
      rows.push(...runSize(n, dir));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const pad = (s: string, w: number): string => s.padEnd(w);
  const num = (x: number): string => x.toFixed(x >= 100 ? 0 : 1);
  console.log(`\n${pad('n', 9)}${pad('workload', 44)}${pad('ops/s', 10)}${pad('p50 µs', 10)}${pad('p99 µs', 10)}${pad('floor ops/s', 13)}ratio (time/op vs floor)`);
  for (const r of rows) {
    const ratio = r.floor ? (r.floor.opsPerSec / r.secitem.opsPerSec).toFixed(2) + '×' : '—';
    console.log(
      `${pad(String(r.n), 9)}${pad(r.workload, 44)}${pad(num(r.secitem.opsPerSec), 10)}${pad(num(r.secitem.p50us), 10)}${pad(num(r.secitem.p99us), 10)}${pad(r.floor ? num(r.floor.opsPerSec) : '—', 13)}${ratio}`,
    );
  }
  const peakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
  console.log(`\nPeak RSS: ${peakRssMB} MB`);
  console.log(`Building: ${fills.map((f) => `n=${f.n} ${f.secitemUsPerItem.toFixed(1)} µs/item (floor ${f.floorUsPerItem.toFixed(1)})`).join('; ')}`);
  const targets = checkTargets(rows, peakRssMB);
  console.log('\nTargets:');
  for (const t of targets) console.log(`  ${t.met ? 'met    ' : 'MISSED '} ${t.what}: ${t.value}`);
  const here = dirname(fileURLToPath(import.meta.url));
  const resultsDir = join(here, '..', '..', 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const version = (JSON.parse(readFileSync(join(here, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  writeFileSync(file, JSON.stringify({ version, machine, quick, samples: SAMPLES, rows, fills, targets, peakRssMB }, null, 2));
  console.log(`Results: ${file}`);
}

main();
