/**
 * The keybag: one random class key per data-protection class, and the lock
 * state that decides which of them are in memory.
 *
 * Always (dk, dku) keys are wrapped by a key derived from the device key
 * alone. The others are wrapped by a key derived from the device key and,
 * when a passcode is set, the passcode through scrypt (memory-hard), so they
 * need both the device and the passcode. Without a passcode the device is
 * always unlocked and WhenPasscodeSet (akpu) has no key at all.
 * @module
 */
import { hkdfSync, randomBytes, scryptSync } from 'node:crypto';
import { KEY_BYTES, open, seal } from './aead.js';
import { CryptoError } from './errors.js';

import { PASSCODE_SET_CLASS, protectionClassTable, protectionClasses, type ProtectionClass } from '../schema/protection.js';
import type { LockState } from '../types.js';
import { wipe } from './wipe.js';

/** Classes whose key is wrapped under the passcode when there is one. */
const passcodeBound: ReadonlySet<ProtectionClass> = new Set(protectionClassTable.filter((p) => p.passcodeBound).map((p) => p.code));
/** Classes whose key leaves memory when the device locks. */
const droppedOnLock: ReadonlySet<ProtectionClass> = new Set(protectionClassTable.filter((p) => p.droppedOnLock).map((p) => p.code));

/** scrypt parameters, stored with the keybag so they can be raised later. */
export interface KdfParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: string; // base64
}

/**
 * One of OWASP's equivalent scrypt minimums (Password Storage Cheat Sheet):
 * 16 MiB per lane, five lanes run one after another. Against N=2^15, p=1
 * it is 2.5× the work per guess at half the memory, and on the benchmark
 * machine it takes the same ~0.15 s (16 MiB stays closer to the cache).
 */
export const defaultKdf = { N: 2 ** 14, r: 8, p: 5 } as const;

/** The persisted keybag: wrapped class keys, and the KDF when a passcode is set. */
export interface KeybagRecord {
  readonly version: 1;
  readonly kdf: KdfParams | null;
  readonly wrapped: Readonly<Partial<Record<ProtectionClass, string>>>; // base64 sealed boxes
}

const base64 = /^[A-Za-z0-9+/]+={0,2}$/;

function isKdf(v: unknown): v is KdfParams {
  if (typeof v !== 'object' || v === null) return false;
  const { N, r, p, salt } = v as Record<string, unknown>;
  return (
    Number.isInteger(N) && (N as number) >= 2 ** 10 && (N as number) <= 2 ** 20 && ((N as number) & ((N as number) - 1)) === 0 &&
    Number.isInteger(r) && (r as number) >= 1 && (r as number) <= 32 &&
    Number.isInteger(p) && (p as number) >= 1 && (p as number) <= 16 &&
    typeof salt === 'string' && base64.test(salt) && Buffer.from(salt, 'base64').length >= 16
  );
}

/**
 * Reads a stored keybag record, checking its whole shape: a damaged record
 * is CryptoError('damaged'), never a crash deep inside the key derivation.
 */
export function parseKeybagRecord(json: string): KeybagRecord {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    throw new CryptoError('damaged');
  }
  if (typeof v !== 'object' || v === null) throw new CryptoError('damaged');
  const { version, kdf, wrapped } = v as Record<string, unknown>;
  if (version !== 1 || (kdf !== null && !isKdf(kdf))) throw new CryptoError('damaged');
  if (typeof wrapped !== 'object' || wrapped === null || Array.isArray(wrapped)) throw new CryptoError('damaged');
  const known = new Set<string>(protectionClasses);
  for (const [pc, box] of Object.entries(wrapped)) {
    if (!known.has(pc) || typeof box !== 'string' || !base64.test(box)) throw new CryptoError('damaged');
  }
  const expected = protectionClasses.filter((pc) => pc !== PASSCODE_SET_CLASS || kdf !== null);
  if (Object.keys(wrapped).length !== expected.length || !expected.every((pc) => pc in wrapped)) throw new CryptoError('damaged');
  return { version: 1, kdf: kdf as KdfParams | null, wrapped: wrapped as KeybagRecord['wrapped'] };
}

const wrapAad = (pc: ProtectionClass): Buffer => Buffer.from(`secitem keybag class key ${pc}`);

function hkdf(ikm: Uint8Array, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), info, KEY_BYTES));
}

function deviceKek(deviceKey: Uint8Array): Buffer {
  return hkdf(deviceKey, 'secitem keybag device kek v1');
}

/**
 * A passcode: text (taken as its NFC-normalised UTF-8) or bytes (taken as
 * they are, so a caller can wipe its own copy).
 */
export type Passcode = string | Uint8Array;

function passcodeKek(deviceKey: Uint8Array, passcode: Passcode, kdf: KdfParams): Buffer {
  const secret = typeof passcode === 'string' ? Buffer.from(passcode.normalize('NFC'), 'utf8') : Buffer.from(passcode);
  const stretched = scryptSync(secret, Buffer.from(kdf.salt, 'base64'), KEY_BYTES, {
    N: kdf.N,
    r: kdf.r,
    p: kdf.p,
    maxmem: 256 * kdf.N * kdf.r + 1024 * 1024,
  });
  const ikm = Buffer.concat([deviceKey, stretched]);
  const kek = hkdf(ikm, 'secitem keybag passcode kek v1');
  wipe(secret, stretched, ikm);
  return kek;
}

function newKdf(): KdfParams {
  return { ...defaultKdf, salt: randomBytes(16).toString('base64') };
}

/** A keybag for a new keychain: fresh class keys, optionally under a passcode. */
export function createKeybagRecord(deviceKey: Uint8Array, passcode: Passcode | null): KeybagRecord {
  const keys = new Map<ProtectionClass, Buffer>();
  for (const pc of protectionClasses) {
    if (pc === PASSCODE_SET_CLASS && passcode === null) continue;
    keys.set(pc, randomBytes(KEY_BYTES));
  }
  return wrapAll(deviceKey, keys, passcode);
}

function wrapAll(deviceKey: Uint8Array, keys: ReadonlyMap<ProtectionClass, Buffer>, passcode: Passcode | null): KeybagRecord {
  const kdf = passcode === null ? null : newKdf();
  const dkek = deviceKek(deviceKey);
  const pkek = kdf === null || passcode === null ? dkek : passcodeKek(deviceKey, passcode, kdf);
  const wrapped: Partial<Record<ProtectionClass, string>> = {};
  for (const [pc, key] of keys) {
    const kek = passcodeBound.has(pc) ? pkek : dkek;
    wrapped[pc] = seal(kek, key, wrapAad(pc)).toString('base64');
  }
  wipe(dkek, pkek);
  return { version: 1, kdf, wrapped };
}

/** Unwraps the keys of `classes` under `kek`; undefined if any fails to open. */
function unwrapWith(record: KeybagRecord, kek: Buffer, classes: Iterable<ProtectionClass>): Map<ProtectionClass, Buffer> | undefined {
  const out = new Map<ProtectionClass, Buffer>();
  for (const pc of classes) {
    const box = record.wrapped[pc];
    if (box === undefined) continue;
    const key = open(kek, Buffer.from(box, 'base64'), wrapAad(pc));
    if (key === undefined) return undefined;
    out.set(pc, key);
  }
  return out;
}


/** The in-memory keybag of one open keychain: which class keys are available now. */
export class Keybag {
  #deviceKey: Buffer;
  #record: KeybagRecord;
  #keys = new Map<ProtectionClass, Buffer>();
  #state: LockState;

  constructor(deviceKey: Buffer, record: KeybagRecord) {
    this.#deviceKey = deviceKey;
    this.#record = record;
    const dkek = deviceKek(deviceKey);
    try {
      const always = unwrapWith(record, dkek, ['dk', 'dku']);
      if (always === undefined || always.size !== 2) throw new CryptoError('damaged');
      this.#keys = always;
      if (record.kdf === null) {
        const rest = unwrapWith(record, dkek, passcodeBound);
        if (rest === undefined) throw new CryptoError('damaged');
        for (const [pc, k] of rest) this.#keys.set(pc, k);
        this.#state = 'unlocked';
      } else {
        this.#state = 'beforeFirstUnlock';
      }
    } finally {
      wipe(dkek);
    }
  }

  get state(): LockState {
    return this.#state;
  }

  get hasPasscode(): boolean {
    return this.#record.kdf !== null;
  }

  /**
   * Takes the record as another process may have rewritten it (a passcode
   * set, changed or removed there). Class keys never change with the
   * passcode, so the keys in memory stay valid.
   */
  refresh(record: KeybagRecord): void {
    if (JSON.stringify(record) === JSON.stringify(this.#record)) return;
    this.#record = record;
    if (record.kdf === null) {
      const dkek = deviceKek(this.#deviceKey);
      const keys = unwrapWith(record, dkek, protectionClasses);
      wipe(dkek);
      if (keys === undefined) throw new CryptoError('damaged');
      this.#keys = keys;
      this.#state = 'unlocked';
    } else if (record.wrapped.akpu === undefined) {
      this.#keys.delete('akpu');
    }
  }

  /** The class key, or undefined when the lock state withholds it (or akpu has none). */
  classKey(pc: ProtectionClass): Buffer | undefined {
    return this.#keys.get(pc);
  }

  /** Whether the passcode opens this keybag, with the class keys it opens. */
  #open(passcode: Passcode): Map<ProtectionClass, Buffer> {
    const kdf = this.#record.kdf;
    if (kdf === null) throw new CryptoError('noPasscode');
    const kek = passcodeKek(this.#deviceKey, passcode, kdf);
    const keys = unwrapWith(this.#record, kek, passcodeBound);
    wipe(kek);
    if (keys === undefined) throw new CryptoError('wrongPasscode');
    return keys;
  }

  /** Unlocks with the passcode; throws CryptoError('wrongPasscode'). */
  unlock(passcode: Passcode): void {
    if (this.#record.kdf === null) return;
    for (const [pc, k] of this.#open(passcode)) this.#keys.set(pc, k);
    this.#state = 'unlocked';
  }

  /** Drops the WhenUnlocked keys. Without a passcode the device never locks. */
  lock(): void {
    if (this.#record.kdf === null || this.#state !== 'unlocked') return;
    for (const pc of droppedOnLock) wipe(this.#keys.get(pc));
    for (const pc of droppedOnLock) this.#keys.delete(pc);
    this.#state = 'locked';
  }

  /**
   * The new keybag for a passcode change, checked against `current`; apply it
   * with `adopt` once its record is stored. Removing the passcode drops the
   * akpu key; setting one where there was none creates it.
   */
  changePasscode(current: Passcode | null, next: Passcode | null): PendingKeybag {
    let keys: Map<ProtectionClass, Buffer>;
    if (this.#record.kdf === null) {
      if (current !== null) throw new CryptoError('noPasscode');
      keys = new Map(this.#keys);
    } else {
      if (current === null) throw new CryptoError('wrongPasscode');
      keys = new Map([...this.#keys, ...this.#open(current)]);
    }
    if (next === null) keys.delete('akpu');
    else if (!keys.has('akpu')) keys.set('akpu', randomBytes(KEY_BYTES));
    return { record: wrapAll(this.#deviceKey, keys, next), keys };
  }

  /** Takes a stored keybag from changePasscode: afterwards the device is unlocked. */
  adopt(pending: PendingKeybag): void {
    this.#record = pending.record;
    this.#keys = new Map(pending.keys);
    this.#state = 'unlocked';
  }
}

/** A keybag computed by a passcode change, not yet stored. */
export interface PendingKeybag {
  readonly record: KeybagRecord;
  readonly keys: ReadonlyMap<ProtectionClass, Buffer>;
}
