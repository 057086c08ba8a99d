/**
 * Shared pieces of the reliability harnesses: a seeded random generator,
 * whole-keychain snapshots through a wildcard client, SQLite integrity
 * checks, plaintext scans of a keychain directory, and child-process
 * plumbing for the fixtures.
 *
 * Harness modules export `run…` functions that both the bounded tests
 * (`npm test`) and the soak script (`npm run soak`) call with different sizes.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import {
  kSecAttrSynchronizable,
  kSecAttrSynchronizableAny,
  kSecClass,
  kSecMatchLimit,
  kSecMatchLimitAll,
  kSecReturnAttributes,
  kSecReturnData,
  kSecReturnPersistentRef,
  kSecValueData,
  kSecValuePersistentRef,
  errSecItemNotFound,
  errSecSuccess,
  kSecUseAuthenticationContext,
  LAContext,
} from '../../../src/index.js';
import { filesUnder, statusName, type Client, type Keychain } from '../../helpers.js';

export { Rng } from './rng.js';

/** The wildcard client the snapshots read through: every group, every item. */
export function wildcardClient(kc: Keychain, appId = 'fuzz.app'): Client {
  return kc.client({ applicationIdentifier: appId, keychainAccessGroups: [appId, '*'] });
}

export const itemClassNames = ['genp', 'inet', 'cert', 'keys'] as const;

/**
 * Every item of every class, as a canonical string (attributes, data and
 * persistent reference, sorted), read through `client` with
 * kSecAttrSynchronizableAny and kSecMatchLimitAll. A class whose listing
 * fails with anything but errSecItemNotFound makes the snapshot fail: every
 * stored item must decrypt.
 */
export function snapshot(client: Client): string {
  const out: string[] = [];
  for (const cls of itemClassNames) for (const item of listAll(client, cls, true)) out.push(`${cls} ${canonical(item)}`);
  return out.sort().join('\n');
}

/** A stable text form of a returned dictionary (bytes as hex, dates as ms). */
export function canonical(value: unknown): string {
  if (value instanceof Uint8Array) return `x${Buffer.from(value).toString('hex')}`;
  if (value instanceof Date) return `d${value.getTime()}`;
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? String(value);
}

/**
 * The user of the snapshots, present whenever asked: an item whose access
 * control asks for user presence or biometry (a fuzzed add can make one)
 * is read like any other, instead of failing the listing with
 * errSecInteractionNotAllowed.
 */
const presentUser = new LAContext({ userPresence: () => true });

/** Items of one class through a client, as returned dictionaries (empty when none); with their persistent references when asked. */
export function listAll(client: Client, cls: string, withRefs = false): Record<string, unknown>[] {
  const r = client.SecItemCopyMatching({
    [kSecUseAuthenticationContext]: presentUser,
    [kSecClass]: cls,
    [kSecAttrSynchronizable]: kSecAttrSynchronizableAny,
    [kSecMatchLimit]: kSecMatchLimitAll,
    [kSecReturnAttributes]: true,
    [kSecReturnData]: true,
    ...(withRefs ? { [kSecReturnPersistentRef]: true } : {}),
  });
  if (r.status === errSecItemNotFound) return [];
  assert.equal(r.status, errSecSuccess, `listing ${cls}: ${statusName(r.status)}`);
  assert.ok(Array.isArray(r.result), `listing ${cls}: an array`);
  return r.result as Record<string, unknown>[];
}

/** The data of one item by persistent reference, or the failing status. */
export function dataByRef(client: Client, pref: Uint8Array): { status: number; data?: Buffer } {
  const r = client.SecItemCopyMatching({ [kSecValuePersistentRef]: pref, [kSecReturnData]: true });
  return r.status === errSecSuccess ? { status: r.status, data: Buffer.from(r.result as Uint8Array) } : { status: r.status };
}

export { kSecValueData };

/** `PRAGMA integrity_check` of a closed keychain file, opened read-only... except for WAL recovery. */
export function integrityCheck(path: string): string {
  const db = new Database(path, { fileMustExist: true });
  try {
    const rows = db.pragma('integrity_check') as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).join('; ');
  } finally {
    db.close();
  }
}

/**
 * Needles that must never be on disk: strings (searched as UTF-8, UTF-16LE
 * and UTF-16BE unless `utf8Only`) and byte strings.
 * Returns how many (file, needle) pairs were checked.
 */
export function assertNoPlaintext(dir: string, needles: Iterable<string | Uint8Array>, when: string, utf8Only = false): number {
  const forms: [string, string, Buffer][] = [];
  for (const needle of needles) {
    if (typeof needle === 'string') {
      forms.push([needle, 'UTF-8', Buffer.from(needle, 'utf8')]);
      if (!utf8Only) {
        forms.push([needle, 'UTF-16LE', Buffer.from(needle, 'utf16le')]);
        forms.push([needle, 'UTF-16BE', Buffer.from(needle, 'utf16le').swap16()]);
      }
    } else {
      forms.push([Buffer.from(needle).toString('hex'), 'bytes', Buffer.from(needle)]);
    }
  }
  let checked = 0;
  for (const file of filesUnder(dir)) {
    const content = readFileSync(file);
    for (const [name, enc, b] of forms) {
      checked += 1;
      if (content.indexOf(b) !== -1) assert.fail(`${when}: ${file} contains ${JSON.stringify(name.slice(0, 80))} as ${enc}`);
    }
  }
  return checked;
}

/** A needle worth scanning for: long and varied enough not to occur by chance. */
export function isDistinctive(value: string | Uint8Array): boolean {
  const b = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
  if (b.length < 10) return false;
  return new Set(b.subarray(0, 64)).size >= 6;
}

/** The compiled fixture `name` (dist/test/reliability/fixtures/<name>.js), found next to this module. */
export function fixturePath(name: string): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', `${name}.js`);
}

/** Spawns a fixture with a line reader on its stdout. */
export function spawnFixture(
  name: string,
  args: readonly string[],
  onLine: (line: string) => void,
  options: { prefix?: readonly string[] } = {},
): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> } {
  const prefix = options.prefix ?? [];
  const argv = [...prefix, process.execPath, fixturePath(name), ...args];
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let pending = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf('\n')) !== -1) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      onLine(line);
    }
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    if (stderr.length < 20000) stderr += chunk;
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.on('close', (code, signal) => {
      // A last line without its newline was cut by a kill: it was never acknowledged.
      resolve({ code, signal, stderr });
    });
  });
  return { child, done };
}

/** Whether chmod stops this process from writing (false when running as root or with CAP_DAC_OVERRIDE). */
export function permissionsEnforced(): boolean {
  return typeof process.getuid !== 'function' || process.getuid() !== 0;
}
