/**
 * npm run bench:startup [-- --runs N] [-- --json]
 *
 * How long the `secitem` executable takes from spawn to exit, against
 * `node -e 0` measured in the same run: `--version`, `help`, `error -25300`
 * (none of which opens a keychain: target 1.3× node -e 0) and
 * `find-generic-password -w` on a small keychain without a password (opens
 * the engine and better-sqlite3; reported, as close to node as the native
 * module allows). Commands run in rounds, each round every command once in
 * turn; a command's ratio is the median over the rounds of its time over
 * `node -e 0`'s in the same round, so that a slow moment of the machine
 * (a shared VM drifts between states some 1.5× apart) lands on both sides
 * of a ratio. Prints a table, or with --json the report.
 *
 * From bench/run.ts: `measureStartup({ runs })` returns the report and
 * `formatStartup(report)` its table.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** dist/bench/startup.js → the bundled executable, dist/src/cli/bin.js. */
const BIN = fileURLToPath(new URL('../src/cli/bin.js', import.meta.url));

/** What `secitem --version` and the others are allowed over `node -e 0`. */
export const STARTUP_TARGET = 1.3;

export interface StartupCase {
  /** As the table shows it. */
  readonly name: string;
  /** The arguments after `node`. */
  readonly argv: readonly string[];
  /** Judged against STARTUP_TARGET (commands that open no keychain). */
  readonly judged: boolean;
}

export interface StartupTiming {
  readonly name: string;
  readonly judged: boolean;
  readonly medianMs: number;
  readonly p25Ms: number;
  readonly p75Ms: number;
  /** The median, over the rounds, of this time over `node -e 0`'s in the same round. */
  readonly ratio: number;
}

export interface StartupReport {
  readonly runs: number;
  readonly machine: { readonly cpu: string; readonly cpus: number; readonly node: string; readonly platform: string };
  readonly baseline: StartupTiming;
  readonly commands: readonly StartupTiming[];
  /** Every judged command within STARTUP_TARGET. */
  readonly met: boolean;
}

const BASELINE: StartupCase = { name: 'node -e 0', argv: ['-e', '0'], judged: false };

function cases(bin: string): StartupCase[] {
  return [
    { name: 'secitem --version', argv: [bin, '--version'], judged: true },
    { name: 'secitem help', argv: [bin, 'help'], judged: true },
    { name: 'secitem error -25300', argv: [bin, 'error', '-25300'], judged: true },
    { name: 'secitem find-generic-password -w', argv: [bin, 'find-generic-password', '-s', 'svc-7', '-w'], judged: false },
  ];
}

function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

/** Milliseconds from spawn to exit of `node <argv>`. */
function timeOnce(argv: readonly string[], env: NodeJS.ProcessEnv): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.error !== undefined) throw r.error;
  return ms;
}

/** A fresh HOME whose default keychain holds a few items. */
function makeHome(bin: string): { env: NodeJS.ProcessEnv; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'secitem-startup-'));
  const env = { PATH: process.env.PATH ?? '', HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') };
  for (let i = 0; i < 20; i++) {
    const r = spawnSync(process.execPath, [bin, 'add-generic-password', '-s', `svc-${i}`, '-a', 'bench', '-w', `pw-${i}`], { env });
    if (r.status !== 0) throw new Error(`setting up the keychain failed: ${r.stderr.toString()}`);
  }
  return { env, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Times every command and `node -e 0`, `runs` rounds after `warmup` untimed ones. */
export function measureStartup(options: { runs?: number; warmup?: number; bin?: string } = {}): StartupReport {
  const runs = options.runs ?? 40;
  const warmup = options.warmup ?? 3;
  const bin = options.bin ?? BIN;
  const all = [BASELINE, ...cases(bin)];
  const home = makeHome(bin);
  const samples = all.map(() => [] as number[]);
  try {
    for (let round = 0; round < warmup + runs; round++) {
      // Rotate the order so that no command always follows the same one.
      for (let k = 0; k < all.length; k++) {
        const i = (k + round) % all.length;
        const ms = timeOnce(all[i].argv, home.env);
        if (round >= warmup) samples[i].push(ms);
      }
    }
  } finally {
    home.cleanup();
  }
  const sorted = (values: readonly number[]): number[] => [...values].sort((a, b) => a - b);
  const timings = all.map((c, i): StartupTiming => {
    const times = sorted(samples[i]);
    const ratios = sorted(samples[i].map((ms, round) => ms / samples[0][round]));
    return {
      name: c.name,
      judged: c.judged,
      medianMs: quantile(times, 0.5),
      p25Ms: quantile(times, 0.25),
      p75Ms: quantile(times, 0.75),
      ratio: quantile(ratios, 0.5),
    };
  });
  const commands = timings.slice(1);
  return {
    runs,
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cpus: cpus().length, node: process.version, platform: `${process.platform}-${process.arch}` },
    baseline: timings[0],
    commands,
    met: commands.every((t) => !t.judged || t.ratio <= STARTUP_TARGET),
  };
}

/** The report as a table: median, middle half, and ratio to `node -e 0`. */
export function formatStartup(report: StartupReport): string {
  const rows = [report.baseline, ...report.commands].map((t) => {
    const judged = t === report.baseline ? '' : t.judged ? (t.ratio <= STARTUP_TARGET ? 'ok' : 'OVER') : 'reported';
    return [t.name.padEnd(36), `${t.medianMs.toFixed(1)} ms`.padStart(10), `${t.p25Ms.toFixed(1)}–${t.p75Ms.toFixed(1)}`.padStart(14), `${t.ratio.toFixed(2)}×`.padStart(7), judged].join('  ');
  });
  const { machine } = report;
  return (
    `startup, ${report.runs} runs each, medians (${machine.cpus}× ${machine.cpu}, node ${machine.node}, ${machine.platform})\n` +
    `${'command'.padEnd(36)}  ${'median'.padStart(10)}  ${'p25–p75'.padStart(14)}  ${'ratio'.padStart(7)}  target ${STARTUP_TARGET}×\n` +
    `${rows.join('\n')}\n`
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const runsAt = args.indexOf('--runs');
  const report = measureStartup(runsAt >= 0 ? { runs: Number(args[runsAt + 1]) } : {});
  process.stdout.write(args.includes('--json') ? `${JSON.stringify(report, null, 2)}\n` : formatStartup(report));
}
