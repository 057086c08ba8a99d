/**
 * The daemon load test's calls and their model, shared by the client
 * processes (fixtures/load-client.ts) and the checks (load-harness.ts).
 *
 * Client n (of 8) is the app LOADTEAM01.com.example.load<n> with the
 * keychain-access-group LOADTEAM01.shared. Its calls, drawn from a seeded
 * generator (so the checker regenerates them from (seed, n, count)):
 * - on its **own keys**: OWN_KEYS items in its private group (its application
 *   identifier) and OWN_KEYS in the shared group under the service own-<n>:
 *   add, copy (data), update (data), delete. Only this client touches them, so
 *   its calls' statuses and the keys' final state follow from its own calls in
 *   its own order (the daemon answers one connection's calls in order), and
 *   the interleaving with other clients does not matter.
 * - on **contested keys**: CONTESTED items of the shared group (service
 *   "contested") that every client tries to add: exactly one add of each may
 *   succeed, the rest answer errSecDuplicateItem; none is ever updated or
 *   deleted, so the winner's data stays, whatever the order of the others.
 * This is not a test: it exports functions only.
 * @module
 */
// The modules themselves, not the package's index: a client process loads only what it uses.
import { kSecAttrAccessGroup, kSecAttrAccount, kSecAttrService, kSecClass, kSecClassGenericPassword, kSecReturnData, kSecValueData } from '../../src/constants.js';
import { errSecDuplicateItem, errSecItemNotFound, errSecSuccess } from '../../src/status.js';
import type { Entitlements, SecDictionary, SecItemResult } from '../../src/types.js';
import { Rng } from '../reliability/harness/rng.js';

export const SHARED_GROUP = 'LOADTEAM01.shared';
export const OWN_KEYS = 8;
export const CONTESTED = 16;
/** Calls a client keeps in flight at once (pipelined on its one connection). */
export const WINDOW = 8;

export const appIdOf = (n: number): string => `LOADTEAM01.com.example.load${n}`;
export const entitlementsOf = (n: number): Entitlements => ({ applicationIdentifier: appIdOf(n), keychainAccessGroups: [SHARED_GROUP] });

export type Op = 'add' | 'copy' | 'update' | 'delete';
export interface Call {
  readonly op: Op;
  readonly group: string;
  readonly service: string;
  readonly account: string;
  /** The data an add or update writes. */
  readonly data?: string;
  readonly contested: boolean;
}

/** One acknowledged call, as a client logs it: its index, status, and a copy's data. */
export interface Ack {
  readonly k: number;
  readonly s: number;
  readonly d?: string;
}

/** Client n's calls. */
export function planOf(seed: number, n: number, count: number): Call[] {
  const rng = new Rng((seed ^ Math.imul(n + 1, 0x9e3779b1)) >>> 0);
  const calls: Call[] = [];
  for (let i = 0; i < count; i++) {
    const data = `c${n}-${i}-${rng.int(1e9).toString(36)}`;
    if (rng.next() < 0.1) {
      calls.push({ op: 'add', group: SHARED_GROUP, service: 'contested', account: `c${rng.int(CONTESTED)}`, data, contested: true });
      continue;
    }
    const shared = rng.next() < 0.5;
    const group = shared ? SHARED_GROUP : appIdOf(n);
    const service = shared ? `own-${n}` : 'private';
    const account = `k${rng.int(OWN_KEYS)}`;
    const r = rng.next();
    const op: Op = r < 0.3 ? 'add' : r < 0.55 ? 'copy' : r < 0.8 ? 'update' : 'delete';
    calls.push({ op, group, service, account, ...(op === 'add' || op === 'update' ? { data } : {}), contested: false });
  }
  return calls;
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** What a client of either kind answers (the remote one as Promises). */
export interface AnyClient {
  SecItemAdd(a: SecDictionary): SecItemResult | Promise<SecItemResult>;
  SecItemCopyMatching(q: SecDictionary): SecItemResult | Promise<SecItemResult>;
  SecItemUpdate(q: SecDictionary, u: SecDictionary): number | Promise<number>;
  SecItemDelete(q: SecDictionary): number | Promise<number>;
}

/** Runs one call on a client (remote or in-process); its status and, for a copy, the data it answered. */
export async function perform(kc: AnyClient, c: Call): Promise<{ s: number; d?: string }> {
  const q = { [kSecClass]: kSecClassGenericPassword, [kSecAttrAccessGroup]: c.group, [kSecAttrService]: c.service, [kSecAttrAccount]: c.account };
  switch (c.op) {
    case 'add':
      return { s: (await kc.SecItemAdd({ ...q, [kSecValueData]: utf8(c.data!) })).status };
    case 'copy': {
      const r = await kc.SecItemCopyMatching({ ...q, [kSecReturnData]: true });
      return r.status === errSecSuccess ? { s: r.status, d: Buffer.from(r.result as Uint8Array).toString('utf8') } : { s: r.status };
    }
    case 'update':
      return { s: await kc.SecItemUpdate(q, { [kSecValueData]: utf8(c.data!) }) };
    case 'delete':
      return { s: await kc.SecItemDelete(q) };
  }
}

export const keyOf = (c: { group: string; service: string; account: string }): string => `${c.group}|${c.service}|${c.account}`;

/** The model of one client's own keys: applies a call, returning the status (and data) it must answer. */
export function applyToModel(model: Map<string, string>, c: Call): { s: number; d?: string } {
  const key = keyOf(c);
  const has = model.has(key);
  switch (c.op) {
    case 'add':
      if (has) return { s: errSecDuplicateItem };
      model.set(key, c.data!);
      return { s: errSecSuccess };
    case 'copy':
      return has ? { s: errSecSuccess, d: model.get(key)! } : { s: errSecItemNotFound };
    case 'update':
      if (!has) return { s: errSecItemNotFound };
      model.set(key, c.data!);
      return { s: errSecSuccess };
    case 'delete':
      if (!has) return { s: errSecItemNotFound };
      model.delete(key);
      return { s: errSecSuccess };
  }
}
