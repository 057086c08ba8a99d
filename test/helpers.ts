/**
 * Shared fixtures for the conformance suite: temporary keychains, common
 * dictionaries, and small assertions over SecItem results.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  openKeychain,
  kSecClass,
  kSecClassGenericPassword,
  kSecClassInternetPassword,
  kSecAttrAccount,
  kSecAttrService,
  kSecAttrServer,
  kSecValueData,
  errSecSuccess,
  SecCopyErrorMessageString,
} from '../src/index.js';

export type Keychain = ReturnType<typeof openKeychain>;
export type Client = ReturnType<Keychain['client']>;
export type Dict = Record<string, unknown>;

/** The application of most tests (the seed's team prefix). */
export const APP_ID = 'SKMME9E2Y8.com.example.app';

/** A throwaway directory holding one keychain; `reopen` is a restart. */
export class TempKeychain {
  readonly dir: string;
  readonly path: string;
  kc: Keychain;

  constructor(passcode?: string, name = 'login.keychain-db') {
    this.dir = mkdtempSync(join(tmpdir(), 'secitem-conf-'));
    this.path = join(this.dir, name);
    this.kc = openKeychain(passcode === undefined ? { path: this.path } : { path: this.path, passcode });
  }

  /** A client with the given entitlements (default: APP_ID only). */
  client(applicationIdentifier = APP_ID, keychainAccessGroups?: string[], applicationGroups?: string[]): Client {
    return this.kc.client({
      applicationIdentifier,
      ...(keychainAccessGroups ? { keychainAccessGroups } : {}),
      ...(applicationGroups ? { applicationGroups } : {}),
    });
  }

  /** Closes the keychain (if open) and opens it again: a restart. */
  reopen(passcode?: string): Keychain {
    try {
      this.kc.close();
    } catch {
      // already closed
    }
    this.kc = openKeychain(passcode === undefined ? { path: this.path } : { path: this.path, passcode });
    return this.kc;
  }

  cleanup(): void {
    try {
      this.kc.close();
    } catch {
      // already closed
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A fresh temporary directory (for tests that build their own files). */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'secitem-conf-'));
}

let counter = 0;
/** A name no other test in this process uses. */
export function unique(prefix = 'svc'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}

const encoder = new TextEncoder();
/** UTF-8 bytes of a string, as a Uint8Array (what kSecValueData takes). */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Decodes returned bytes as UTF-8, asserting that they are bytes. */
export function text(value: unknown): string {
  return Buffer.from(bytes(value)).toString('utf8');
}

/** Asserts a Uint8Array (a Buffer is one too) and returns it. */
export function bytes(value: unknown, message = 'expected a Uint8Array'): Uint8Array {
  assert.ok(value instanceof Uint8Array, `${message}, got ${describeValue(value)}`);
  return value;
}

/** Asserts a plain dictionary (not an array, not bytes, not a Date). */
export function dict(value: unknown, message = 'expected a dictionary'): Dict {
  assert.ok(
    typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      !(value instanceof Uint8Array) &&
      !(value instanceof Date),
    `${message}, got ${describeValue(value)}`,
  );
  return value as Dict;
}

/** Asserts an array and returns it. */
export function array(value: unknown, message = 'expected an array'): unknown[] {
  assert.ok(Array.isArray(value), `${message}, got ${describeValue(value)}`);
  return value as unknown[];
}

/** Asserts a Date and returns it. */
export function date(value: unknown, message = 'expected a Date'): Date {
  assert.ok(value instanceof Date, `${message}, got ${describeValue(value)}`);
  return value;
}

export function sameBytes(actual: unknown, expected: Uint8Array | string, message?: string): void {
  const want = typeof expected === 'string' ? utf8(expected) : expected;
  const got = bytes(actual, message);
  assert.ok(
    Buffer.from(got).equals(Buffer.from(want)),
    `${message ?? 'bytes differ'}: got ${Buffer.from(got).toString('hex')}, want ${Buffer.from(want).toString('hex')}`,
  );
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array(${value.length})`;
  if (value instanceof Uint8Array) return `bytes(${value.length})`;
  if (value instanceof Date) return `Date(${value.toISOString()})`;
  if (typeof value === 'object') return `object{${Object.keys(value).join(',')}}`;
  return `${typeof value} ${String(value)}`;
}

/** Human-readable OSStatus for assertion messages. */
export function statusName(status: number): string {
  return `${status} (${SecCopyErrorMessageString(status)})`;
}

/** Asserts an OSStatus with a readable message. */
export function expectStatus(actual: number, expected: number, what = 'status'): void {
  assert.equal(actual, expected, `${what}: got ${statusName(actual)}, want ${statusName(expected)}`);
}

/** Asserts that a { status, result } outcome has the expected status; returns the result. */
export function expectOutcome(outcome: { status: number; result?: unknown }, expected: number, what = 'status'): unknown {
  expectStatus(outcome.status, expected, what);
  return outcome.result;
}

/** Asserts success of a { status, result } outcome and returns its result. */
export function ok(outcome: { status: number; result?: unknown }, what = 'call'): unknown {
  return expectOutcome(outcome, errSecSuccess, what);
}

// ── Common dictionaries ──────────────────────────────────────────────────────

/** A generic-password dictionary: { class: genp, svce, acct, ...extra }. */
export function genp(service: string, account?: string, extra: Dict = {}): Dict {
  return {
    [kSecClass]: kSecClassGenericPassword,
    [kSecAttrService]: service,
    ...(account === undefined ? {} : { [kSecAttrAccount]: account }),
    ...extra,
  };
}

/** A generic-password add dictionary with a password. */
export function genpWithData(service: string, account: string, password: string, extra: Dict = {}): Dict {
  return genp(service, account, { [kSecValueData]: utf8(password), ...extra });
}

/** An internet-password dictionary: { class: inet, srvr, acct, ...extra }. */
export function inet(server: string, account?: string, extra: Dict = {}): Dict {
  return {
    [kSecClass]: kSecClassInternetPassword,
    [kSecAttrServer]: server,
    ...(account === undefined ? {} : { [kSecAttrAccount]: account }),
    ...extra,
  };
}

/** Every regular file under a directory, recursively. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(p));
    else if (entry.isFile()) out.push(p);
  }
  return out;
}

/** The repository's root (tests run from dist/test/…). */
export const REPO_ROOT: string = fileURLToPath(new URL('../../', import.meta.url));

/** A file of the repository by its path from the root (fixtures and snapshots are not compiled into dist). */
export function repoFile(path: string): string {
  return join(REPO_ROOT, path);
}
