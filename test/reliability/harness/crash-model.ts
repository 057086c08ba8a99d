/**
 * The crash harness's workload, shared by the child (which performs it) and
 * the parent (which predicts its effect): random adds, secret updates,
 * deletes, bulk group transfers, bulk secret updates and bulk deletes over a
 * small key space of generic passwords in three access groups.
 */
import {
  kSecAttrAccessGroup,
  kSecAttrAccount,
  kSecAttrService,
  kSecClass,
  kSecClassGenericPassword,
  kSecValueData,
  kSecReturnData,
  errSecDuplicateItem,
  errSecItemNotFound,
  errSecSuccess,
} from '../../../src/index.js';
import type { Client, Dict } from '../../helpers.js';
import { Rng } from './common.js';

export const CRASH_APP = 'CRASHTEAM.app';
export const CRASH_SERVICE = 'crash-service-Quokka';
export const CRASH_GROUPS = ['CRASHTEAM.grp-Aleph', 'CRASHTEAM.grp-Beth', 'CRASHTEAM.grp-Gimel'] as const;
export const CRASH_ACCOUNTS = Array.from({ length: 8 }, (_, i) => `crash-account-${i}-Wombat`);
export const crashEntitlements = { applicationIdentifier: CRASH_APP, keychainAccessGroups: [...CRASH_GROUPS] };

export type Op =
  | { t: 'add'; g: string; a: string; s: string }
  | { t: 'set'; g: string; a: string; s: string }
  | { t: 'del'; g: string; a: string }
  | { t: 'move'; from: string; to: string }
  | { t: 'bulkset'; g: string; s: string }
  | { t: 'delgrp'; g: string }
  | { t: 'get'; g: string; a: string };

/** group|account → secret */
export type Model = ReadonlyMap<string, string>;
export const keyOf = (g: string, a: string): string => `${g}|${a}`;

export function randomOp(
  rng: Rng,
  tag: string,
  seq: number,
  groups: readonly string[] = CRASH_GROUPS,
  accounts: readonly string[] = CRASH_ACCOUNTS,
  reads = 0,
): Op {
  const g = rng.pick(groups);
  const a = rng.pick(accounts);
  const s = `crash-secret-${tag}-${seq}-${rng.hex(6)}`;
  if (reads > 0 && rng.next() < reads) return { t: 'get', g, a };
  const r = rng.next();
  if (r < 0.34) return { t: 'add', g, a, s };
  if (r < 0.52) return { t: 'set', g, a, s };
  if (r < 0.62) return { t: 'del', g, a };
  if (r < 0.82) {
    const to = rng.pick(groups.filter((x) => x !== g));
    return { t: 'move', from: g, to };
  }
  if (r < 0.94) return { t: 'bulkset', g, s };
  return { t: 'delgrp', g };
}

/** The status a call answers on `model`, and the model afterwards. */
export function applyOp(model: Model, op: Op): { status: number; next: Map<string, string> } {
  const next = new Map(model);
  const inGroup = (g: string): string[] => [...model.keys()].filter((k) => k.startsWith(`${g}|`));
  switch (op.t) {
    case 'add': {
      const k = keyOf(op.g, op.a);
      if (model.has(k)) return { status: errSecDuplicateItem, next };
      next.set(k, op.s);
      return { status: errSecSuccess, next };
    }
    case 'set': {
      const k = keyOf(op.g, op.a);
      if (!model.has(k)) return { status: errSecItemNotFound, next };
      next.set(k, op.s);
      return { status: errSecSuccess, next };
    }
    case 'del': {
      const k = keyOf(op.g, op.a);
      if (!model.has(k)) return { status: errSecItemNotFound, next };
      next.delete(k);
      return { status: errSecSuccess, next };
    }
    case 'move': {
      const keys = inGroup(op.from);
      if (keys.length === 0) return { status: errSecItemNotFound, next };
      const moved = keys.map((k) => keyOf(op.to, k.slice(op.from.length + 1)));
      if (moved.some((k) => model.has(k))) return { status: errSecDuplicateItem, next };
      keys.forEach((k, i) => {
        next.set(moved[i], model.get(k)!);
        next.delete(k);
      });
      return { status: errSecSuccess, next };
    }
    case 'bulkset': {
      const keys = inGroup(op.g);
      if (keys.length === 0) return { status: errSecItemNotFound, next };
      for (const k of keys) next.set(k, op.s);
      return { status: errSecSuccess, next };
    }
    case 'delgrp': {
      const keys = inGroup(op.g);
      if (keys.length === 0) return { status: errSecItemNotFound, next };
      for (const k of keys) next.delete(k);
      return { status: errSecSuccess, next };
    }
    case 'get':
      return { status: model.has(keyOf(op.g, op.a)) ? errSecSuccess : errSecItemNotFound, next };
  }
}

const baseFor = (service: string): Dict => ({ [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: service });
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * Performs an op through a client on `svce` (default: the crash harness's
 * service): the OSStatus it answers, and for 'get' the secret read.
 */
export function performOp(client: Client, op: Op, svce = CRASH_SERVICE): number {
  return performOpFull(client, op, svce).status;
}

export function performOpFull(client: Client, op: Op, svce = CRASH_SERVICE): { status: number; data?: string } {
  const base = (): Dict => baseFor(svce);
  switch (op.t) {
    case 'get': {
      const r = client.SecItemCopyMatching({ ...base(), [kSecAttrAccessGroup]: op.g, [kSecAttrAccount]: op.a, [kSecReturnData]: true });
      return r.status === errSecSuccess ? { status: r.status, data: Buffer.from(r.result as Uint8Array).toString('utf8') } : { status: r.status };
    }
    default:
      return { status: performWrite(client, op, svce) };
  }
}

function performWrite(client: Client, op: Exclude<Op, { t: 'get' }>, svce: string): number {
  const base = (): Dict => baseFor(svce);
  switch (op.t) {
    case 'add':
      return client.SecItemAdd({ ...base(), [kSecAttrAccessGroup]: op.g, [kSecAttrAccount]: op.a, [kSecValueData]: bytes(op.s) }).status;
    case 'set':
      return client.SecItemUpdate({ ...base(), [kSecAttrAccessGroup]: op.g, [kSecAttrAccount]: op.a }, { [kSecValueData]: bytes(op.s) });
    case 'del':
      return client.SecItemDelete({ ...base(), [kSecAttrAccessGroup]: op.g, [kSecAttrAccount]: op.a });
    case 'move':
      return client.SecItemUpdate({ ...base(), [kSecAttrAccessGroup]: op.from }, { [kSecAttrAccessGroup]: op.to });
    case 'bulkset':
      return client.SecItemUpdate({ ...base(), [kSecAttrAccessGroup]: op.g }, { [kSecValueData]: bytes(op.s) });
    case 'delgrp':
      return client.SecItemDelete({ ...base(), [kSecAttrAccessGroup]: op.g });
  }
}
