/**
 * The daemon's audit log (issue 16, part 5): one line per call, chained by
 * MACs, with the chain's head kept apart, rotated by size.
 *
 * **Lines.** Text, one JSON object per line. Each file starts with a header
 * line `{"seq":S,"gen":G,"prev":"<hex>","mac":"<hex>"}` (G the file's
 * generation, 1 for the first file ever; `prev` the MAC of the last line of
 * the file before it, 32 zero bytes for generation 1), then one record per
 * call:
 *
 *     {"seq":S,"time":"<ISO>","applicationIdentifier":"…","pid":N,"fn":"SecItemAdd",
 *      "cls":"genp","group":"…","itemDigest":"<hex>","status":N,"reason":"…","mac":"<hex>"}
 *
 * (cls, group, itemDigest and reason only when given). `seq` numbers every
 * line of every file from 1, with no gap. Nothing else is ever written: no
 * attribute value, no secret. The item is named by `itemDigest`, a keyed
 * digest of its primary key (`AuditLog.itemDigest`) that links the lines of
 * one item without telling what the item is.
 *
 * **Chain.** `mac` = HMAC-SHA-256(chainKey, previous line's MAC (32 bytes) ‖
 * the line's bytes up to `,"mac":`), so each line vouches for every line
 * before it, across files. chainKey and the digest key are derived from the
 * 32-byte key given to open() with HKDF-SHA-256 (info `secitem audit chain
 * v1`, `secitem audit item digest v1`). The key is kept apart from the log:
 * `auditKey(stateDir)` keeps it in `<stateDir>/audit.key` (0600).
 *
 * **Head.** `<path>.head` (0600, replaced atomically): one JSON line
 * `{"v":1,"gen":G,"oldest":O,"seq":S,"mac":"<hex>"}` and a second line, the
 * HMAC of the first under chainKey. It names the last line known to be on
 * disk (seq and MAC), the current generation, and the oldest generation
 * that must still be there. verify() requires that line to be present with
 * that MAC, the generations O…G (or G+1) to be present and contiguous, and
 * every MAC to hold. So editing, removing or reordering lines breaks the
 * chain; truncating the log, removing a file, or putting back an older copy
 * of the log leaves the head's line missing or different. What is not
 * detected: lines after the head's line removed from the end (at most the
 * last sync interval's worth, see below), and the log *and* its head both
 * replaced by older copies of themselves (nothing on this machine remembers
 * more than the head; ship lines elsewhere if that matters).
 *
 * **Durability.** record() appends the line with one write() (synchronous:
 * it is in the file, and survives a crash of the daemon, when record
 * returns); record(r, { defer: true }) seals and chains the line at once
 * but holds it in memory until writePending() (the daemon calls it once per
 * round of calls: one write() for the round's lines), the next record
 * without defer, flush() or close(). fsync is batched: at most every `syncIntervalMs` (100 ms) and at
 * close() the file is synced, and only then is the head rewritten to name
 * the last synced line. The timer's sync runs off the event loop (node's
 * thread pool: fsync, the head's temporary file and its fsync, the
 * directory's fsync; only the rename is on the event loop), so the calls
 * the daemon answers meanwhile do not wait for the disk; flush() and
 * close() sync on the spot. So an operating-system crash or power loss may lose
 * the lines written since the last sync (at most ~100 ms of calls), and
 * since the head never names a line that was not synced first, verify()
 * reports such a loss as nothing at all: the head is always at or behind
 * what is on disk. A line torn by such a crash (no newline at its end) is
 * cut off when the log is next opened.
 *
 * **Rotation.** Before a line that would take the file past `maxBytes`, the
 * file is synced and renamed `<path>.1` (`<path>.1` → `.2` … up to `keep`;
 * the oldest is dropped), a new file starts with a header whose `prev` is
 * the last MAC of the rotated file, and the head moves to the new
 * generation. The dropped file is set aside as `<path>.drop` and removed
 * only once the head no longer needs it, so a crash at any point of a
 * rotation leaves a log that verifies.
 *
 * One AuditLog per file at a time (the daemon holds it; a second daemon on
 * the same state refuses to start).
 * @module
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import {
  closeSync, constants as fsConstants, existsSync, fstatSync, fsync, fsyncSync, ftruncateSync, openSync, readdirSync, renameSync, unlinkSync, writeSync,
} from 'node:fs';
import { open as openAsync, unlink as unlinkAsync } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { createFileExclusive, ensurePrivateDir, readCheckedFile, syncDir, writeFileAtomic } from './files.js';

/** The audit log cannot be opened or written; the message never holds a key or a line's content beyond its number. */
export class AuditError extends Error {
  constructor(message: string) {
    super(message);
    Object.defineProperty(this, 'name', { value: 'AuditError', enumerable: false });
  }
}

export interface AuditLogOptions {
  /** 32 bytes, kept apart from the log (auditKey()). */
  readonly key: Uint8Array;
  /** A file is rotated before a line would take it past this size. */
  readonly maxBytes: number;
  /** How many rotated files are kept (`<path>.1` … `<path>.keep`); default 4. */
  readonly keep?: number;
  /** The longest a line waits for fsync (and the head for its update); default 100 ms. */
  readonly syncIntervalMs?: number;
}

/** One call, as the log records it: metadata only. */
export interface AuditRecord {
  readonly time: Date | number | string;
  /** The caller's application identifier, or `-` for a caller that was not identified. */
  readonly applicationIdentifier: string;
  readonly pid: number;
  /** The function called (`SecItemAdd`, `connect`, …). */
  readonly fn: string;
  /** The item class (`genp`, `inet`, `cert`, `keys`, `idnt`). */
  readonly cls?: string;
  /** The access group. */
  readonly group?: string;
  /** AuditLog.itemDigest of the item's primary key. */
  readonly itemDigest?: string;
  /** The OSStatus returned. */
  readonly status: number;
  /** Why a call was refused (identify's refusal): never a secret. */
  readonly reason?: string;
}

export type AuditVerification = { ok: true; lines: number } | { ok: false; line: number; reason: string };

const MAC_BYTES = 32;
const MAC_HEX = MAC_BYTES * 2;
const MAC_INFIX = ',"mac":"';
const MAC_SUFFIX_LENGTH = MAC_INFIX.length + MAC_HEX + 2; // ,"mac":"<hex>"}
const ZERO_MAC = Buffer.alloc(MAC_BYTES);
const KEY_BYTES = 32;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

interface Keys {
  readonly chain: Buffer;
  readonly digest: Buffer;
}

function deriveKeys(key: Uint8Array): Keys {
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) throw new AuditError(`the audit key must be ${KEY_BYTES} bytes`);
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), info, 32));
  return { chain: derive('secitem audit chain v1'), digest: derive('secitem audit item digest v1') };
}

function macOf(chainKey: Buffer, prev: Buffer, prefix: string): Buffer {
  return createHmac('sha256', chainKey).update(prev).update(prefix, 'utf8').digest();
}

function sealLine(chainKey: Buffer, prev: Buffer, prefix: string): { line: string; mac: Buffer } {
  const mac = macOf(chainKey, prev, prefix);
  return { line: `${prefix}${MAC_INFIX}${mac.toString('hex')}"}\n`, mac };
}

/** The key file of a state directory: `<stateDir>/audit.key`, 32 random bytes, 0600, made on first use. */
export function auditKey(stateDir: string): Buffer {
  const file = join(stateDir, 'audit.key');
  if (!existsSync(file)) {
    ensurePrivateDir(stateDir);
    try {
      createFileExclusive(file, randomBytes(KEY_BYTES), 0o600);
    } catch (e) {
      if (!existsSync(file)) throw e; // another process made it first: read theirs
    }
  }
  const key = readCheckedFile(file, { maxBytes: KEY_BYTES, ownerOnly: true });
  if (key.length !== KEY_BYTES) throw new AuditError(`${file} is damaged (${key.length} bytes, expected ${KEY_BYTES})`);
  return key;
}

/** The audit log of a state directory, by default. */
export function defaultAuditLogPath(stateDir: string): string {
  return join(stateDir, 'audit.log');
}

// ---------------------------------------------------------------------------
// Head

interface Head {
  readonly gen: number;
  readonly oldest: number;
  readonly seq: number;
  readonly mac: string;
}

function headText(chainKey: Buffer, head: Head): string {
  const body = JSON.stringify({ v: 1, gen: head.gen, oldest: head.oldest, seq: head.seq, mac: head.mac });
  const tag = createHmac('sha256', chainKey).update('secitem audit head v1\n').update(body, 'utf8').digest('hex');
  return `${body}\n${tag}\n`;
}

type HeadRead = { head: Head } | { missing: true } | { damaged: string };

function readHead(path: string, chainKey: Buffer): HeadRead {
  const file = `${path}.head`;
  if (!existsSync(file)) return { missing: true };
  let text: string;
  try {
    text = readCheckedFile(file, { maxBytes: 4096, ownerOnly: true }).toString('utf8');
  } catch (e) {
    return { damaged: e instanceof Error ? e.message : String(e) };
  }
  const [body, tag, rest] = text.split('\n');
  const expected = createHmac('sha256', chainKey).update('secitem audit head v1\n').update(body ?? '', 'utf8').digest();
  const given = /^[0-9a-f]{64}$/.test(tag ?? '') ? Buffer.from(tag!, 'hex') : Buffer.alloc(0);
  if (rest !== '' || given.length !== MAC_BYTES || !timingSafeEqual(given, expected)) return { damaged: 'the head file was changed or is not this log\'s (its MAC does not verify)' };
  const o = JSON.parse(body!) as Record<string, unknown>;
  return { head: { gen: o.gen as number, oldest: o.oldest as number, seq: o.seq as number, mac: o.mac as string } };
}

// ---------------------------------------------------------------------------
// Verification

interface ParsedFile {
  readonly name: string;
  readonly gen: number;
  /** Complete lines (each without its newline). */
  readonly lines: string[];
  /** Bytes of the complete lines (a torn tail excluded). */
  readonly validBytes: number;
  /** Whether the file ends in a line without a newline. */
  readonly torn: boolean;
}

interface Tail {
  readonly seq: number;
  readonly mac: Buffer;
  readonly gen: number;
  /** The file holding the last line. */
  readonly file: string;
  readonly validBytes: number;
  readonly torn: boolean;
}

type Check =
  | { ok: true; empty: true; head?: undefined }
  | { ok: true; empty: false; lines: number; head: Head; tail: Tail; files: ParsedFile[] }
  | { ok: false; line: number; reason: string };

const fail = (line: number, reason: string): Check => ({ ok: false, line, reason });

/** The files of a log: `<path>`, `<path>.N`, `<path>.drop`. */
function logFiles(path: string): string[] {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const pattern = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\.[1-9][0-9]{0,5}|\\.drop)?$`);
  return names.filter((n) => pattern.test(n)).map((n) => join(dir, n));
}

function parseFile(file: string): ParsedFile | { error: string } {
  let bytes: Buffer;
  try {
    bytes = readCheckedFile(file, { maxBytes: 1 << 30, ownerOnly: true });
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
  const text = bytes.toString('utf8');
  const end = text.lastIndexOf('\n') + 1;
  const lines = end === 0 ? [] : text.slice(0, end - 1).split('\n');
  const first = lines[0];
  const gen = first === undefined ? NaN : Number(/^\{"seq":\d+,"gen":(\d+),/.exec(first)?.[1]);
  if (!Number.isSafeInteger(gen) || gen < 1) return { error: `${file} does not start with a header line` };
  return { name: file, gen, lines, validBytes: Buffer.byteLength(text.slice(0, end), 'utf8'), torn: end < text.length };
}

/** Splits a line into its MAC'd prefix and MAC; undefined when it is not shaped as a line. */
function splitLine(line: string): { prefix: string; mac: Buffer; fields: Record<string, unknown> } | undefined {
  if (line.length < MAC_SUFFIX_LENGTH + 2 || !line.endsWith('"}')) return undefined;
  const prefix = line.slice(0, line.length - MAC_SUFFIX_LENGTH);
  if (line.slice(prefix.length, prefix.length + MAC_INFIX.length) !== MAC_INFIX) return undefined;
  const hex = line.slice(prefix.length + MAC_INFIX.length, line.length - 2);
  if (!/^[0-9a-f]{64}$/.test(hex)) return undefined;
  let fields: unknown;
  try {
    fields = JSON.parse(`${prefix}}`);
  } catch {
    return undefined;
  }
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return undefined;
  return { prefix, mac: Buffer.from(hex, 'hex'), fields: fields as Record<string, unknown> };
}

function check(path: string, keys: Keys): Check {
  const headRead = readHead(path, keys.chain);
  const names = logFiles(path);
  if ('missing' in headRead) {
    return names.length === 0 ? { ok: true, empty: true } : fail(0, `the head ${path}.head is missing (it is removed only with the log)`);
  }
  if ('damaged' in headRead) return fail(0, headRead.damaged);
  const head = headRead.head;
  const parsed: ParsedFile[] = [];
  for (const name of names) {
    const p = parseFile(name);
    if ('error' in p) return fail(0, p.error);
    parsed.push(p);
  }
  parsed.sort((a, b) => a.gen - b.gen);
  const kept = parsed.filter((f) => f.gen >= head.oldest);
  for (let i = 1; i < kept.length; i++) {
    if (kept[i].gen === kept[i - 1].gen) return fail(0, `${kept[i - 1].name} and ${kept[i].name} both hold generation ${kept[i].gen}`);
  }
  if (kept.length === 0 || kept[0].gen !== head.oldest) {
    return fail(0, `the log file of generation ${head.oldest} is missing (the head needs generations ${head.oldest} to ${head.gen})`);
  }
  const newest = kept[kept.length - 1].gen;
  if (newest < head.gen) return fail(0, `the log file of generation ${head.gen} is missing or was replaced by an older copy`);
  if (newest > head.gen + 1) return fail(0, `the head names generation ${head.gen} but the log has reached ${newest}: the head was replaced`);
  let prev: Buffer | undefined;
  let seq = 0;
  let lines = 0;
  let anchored = false;
  for (let f = 0; f < kept.length; f++) {
    const file = kept[f];
    if (f > 0 && file.gen !== kept[f - 1].gen + 1) return fail(seq + 1, `the log file of generation ${kept[f - 1].gen + 1} is missing`);
    if (file.torn && f !== kept.length - 1) return fail(seq + file.lines.length + 1, `${file.name} ends in an incomplete line`);
    for (let i = 0; i < file.lines.length; i++) {
      const where = `${file.name} line ${i + 1}`;
      const split = splitLine(file.lines[i]);
      const expected = seq + 1;
      if (split === undefined) return fail(expected, `${where} is not an audit line`);
      const { prefix, mac, fields } = split;
      const isHeader = 'gen' in fields;
      if (isHeader !== (i === 0)) return fail(expected, `${where}: ${isHeader ? 'a header line inside a file' : 'the file does not start with its header'}`);
      if (!Number.isSafeInteger(fields.seq)) return fail(expected, `${where} has no sequence number`);
      if (prev === undefined) {
        // The oldest file kept: its header states what came before it.
        if (typeof fields.prev !== 'string' || !/^[0-9a-f]{64}$/.test(fields.prev)) return fail(expected, `${where}: the header has no previous MAC`);
        prev = Buffer.from(fields.prev, 'hex');
        if (file.gen === 1 && (!prev.equals(ZERO_MAC) || fields.seq !== 1)) return fail(expected, `${where}: generation 1 must start the chain`);
        seq = (fields.seq as number) - 1;
      } else {
        if (fields.seq !== expected) return fail(expected, `${where} has sequence number ${String(fields.seq)}, expected ${expected}: lines were removed, added or reordered`);
        if (isHeader && (fields.gen !== file.gen || fields.prev !== prev.toString('hex'))) return fail(expected, `${where}: the header does not chain to the file before it`);
      }
      if (isHeader && fields.gen !== file.gen) return fail(fields.seq as number, `${where}: the header names another generation`);
      if (!timingSafeEqual(macOf(keys.chain, prev, prefix), mac)) {
        return fail(fields.seq as number, `${where} does not verify: it was changed, or lines before it were removed, added or reordered`);
      }
      prev = mac;
      seq = fields.seq as number;
      lines++;
      if (seq === head.seq) {
        if (mac.toString('hex') !== head.mac) return fail(seq, `${where} is not the line the head vouches for: the log was replaced or rewritten`);
        anchored = true;
      }
    }
  }
  if (!anchored) {
    return fail(seq + 1, `the log ends at line ${seq} but its head vouches for ${head.seq} lines: lines were removed from the end, or the log was replaced by an older copy`);
  }
  const last = kept[kept.length - 1];
  return {
    ok: true, empty: false, lines, head, files: kept,
    tail: { seq, mac: prev!, gen: last.gen, file: last.name, validBytes: last.validBytes, torn: last.torn },
  };
}

// ---------------------------------------------------------------------------
// The log

function checkRecord(r: AuditRecord): void {
  const text = (name: string, v: unknown, max: number, optional: boolean): void => {
    if (v === undefined && optional) return;
    if (typeof v !== 'string' || v.length === 0 || v.length > max || CONTROL.test(v)) throw new AuditError(`audit record: ${name} must be text of at most ${max} characters`);
  };
  text('applicationIdentifier', r.applicationIdentifier, 255, false);
  if (!Number.isSafeInteger(r.pid) || r.pid < 0) throw new AuditError('audit record: pid must be a whole number');
  if (typeof r.fn !== 'string' || !/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(r.fn)) throw new AuditError('audit record: fn must be a function name');
  if (r.cls !== undefined && !/^[A-Za-z0-9_-]{1,32}$/.test(r.cls)) throw new AuditError('audit record: cls must be a class name');
  text('group', r.group, 255, true);
  if (r.itemDigest !== undefined && !/^[0-9a-f]{16,128}$/.test(r.itemDigest)) throw new AuditError('audit record: itemDigest must be hex (AuditLog.itemDigest)');
  if (!Number.isSafeInteger(r.status)) throw new AuditError('audit record: status must be an OSStatus');
  text('reason', r.reason, 300, true);
}

function isoTime(t: Date | number | string): string {
  const d = t instanceof Date ? t : new Date(t);
  if (Number.isNaN(d.getTime())) throw new AuditError('audit record: time is not a date');
  return d.toISOString();
}

export class AuditLog {
  readonly path: string;
  readonly #keys: Keys;
  readonly #maxBytes: number;
  readonly #keep: number;
  readonly #syncIntervalMs: number;
  #fd: number;
  #size: number;
  #gen: number;
  #oldest: number;
  #seq: number;
  #mac: Buffer;
  #linesInFile: number;
  /** seq of the last line the head names. */
  #headSeq: number;
  #timer: NodeJS.Timeout | undefined;
  /** A sync started by the timer is under way (off the event loop). */
  #syncing = false;
  #closed = false;
  /** Lines recorded with `defer`, sealed and chained, not yet written. */
  #pending: string[] = [];
  /** The chain's state before the first pending line (to go back to when their write fails). */
  #beforePending: { seq: number; mac: Buffer; size: number; linesInFile: number } | undefined;

  private constructor(path: string, keys: Keys, options: AuditLogOptions, state: { fd: number; size: number; gen: number; oldest: number; seq: number; mac: Buffer; linesInFile: number; headSeq: number }) {
    this.path = path;
    this.#keys = keys;
    this.#maxBytes = options.maxBytes;
    this.#keep = options.keep ?? 4;
    this.#syncIntervalMs = options.syncIntervalMs ?? 100;
    this.#fd = state.fd;
    this.#size = state.size;
    this.#gen = state.gen;
    this.#oldest = state.oldest;
    this.#seq = state.seq;
    this.#mac = state.mac;
    this.#linesInFile = state.linesInFile;
    this.#headSeq = state.headSeq;
  }

  /**
   * Opens the log, creating it (and its head) when neither exists. The
   * whole log is verified first: a log that does not verify is refused
   * (AuditError with verify's reason): move it aside after reading what
   * `secitem daemon audit --verify` says, and a new one starts.
   */
  static open(path: string, options: AuditLogOptions): AuditLog {
    const keys = deriveKeys(options.key);
    if (!Number.isSafeInteger(options.maxBytes) || options.maxBytes < 1024) throw new AuditError('maxBytes must be at least 1024');
    const keep = options.keep ?? 4;
    if (!Number.isSafeInteger(keep) || keep < 1 || keep > 999) throw new AuditError('keep must be from 1 to 999');
    const c = check(path, keys);
    if (!c.ok) throw new AuditError(`the audit log ${path} does not verify (line ${c.line}: ${c.reason}); move it and its rotated files and head aside to start a new one`);
    const oldestFor = (gen: number): number => Math.max(1, gen - keep);
    if (c.empty) {
      const header = sealLine(keys.chain, ZERO_MAC, '{"seq":1,"gen":1,"prev":"' + ZERO_MAC.toString('hex') + '"');
      createFileExclusive(path, header.line, 0o600);
      syncDir(dirname(path));
      writeFileAtomic(`${path}.head`, headText(keys.chain, { gen: 1, oldest: 1, seq: 1, mac: header.mac.toString('hex') }));
      const fd = openSync(path, fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_NOFOLLOW);
      return new AuditLog(path, keys, options, { fd, size: Buffer.byteLength(header.line), gen: 1, oldest: 1, seq: 1, mac: header.mac, linesInFile: 1, headSeq: 1 });
    }
    const { tail, head } = c;
    if (tail.file !== path) {
      // A rotation stopped after the current file was renamed: start the next generation now.
      const log = new AuditLog(path, keys, options, { fd: -1, size: 0, gen: tail.gen, oldest: head.oldest, seq: tail.seq, mac: tail.mac, linesInFile: 0, headSeq: head.seq });
      log.#startGeneration();
      return log;
    }
    const fd = openSync(path, fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_NOFOLLOW);
    if (tail.torn) {
      // A line torn by a crash: never synced, so never named by the head.
      ftruncateSync(fd, tail.validBytes);
      fsyncSync(fd);
    }
    const linesInFile = c.files[c.files.length - 1].lines.length;
    const log = new AuditLog(path, keys, options, {
      fd, size: fstatSync(fd).size, gen: tail.gen, oldest: Math.max(head.oldest, oldestFor(tail.gen)),
      seq: tail.seq, mac: tail.mac, linesInFile, headSeq: head.seq,
    });
    // Lines written after the last head update (a crash before its sync), a rotation the head missed, a new `keep`.
    if (tail.seq !== head.seq || tail.gen !== head.gen || log.#oldest !== head.oldest) {
      fsyncSync(fd);
      log.#writeHead();
    }
    const drop = `${path}.drop`;
    if (existsSync(drop)) {
      unlinkSync(drop);
      syncDir(dirname(path));
    }
    return log;
  }

  /** Verifies a log, its rotated files and its head. `line` is the sequence number where it failed (0: a file or the head). */
  static verify(path: string, key: Uint8Array): AuditVerification {
    const c = check(path, deriveKeys(key));
    if (!c.ok) return { ok: false, line: c.line, reason: c.reason };
    if (c.empty) return { ok: false, line: 0, reason: `there is no audit log at ${path}` };
    return { ok: true, lines: c.lines };
  }

  /** The keyed digest that names an item in the log: HMAC of its primary key's bytes, 16 bytes in hex. */
  static itemDigest(key: Uint8Array, primaryKey: Uint8Array): string {
    return createHmac('sha256', deriveKeys(key).digest).update(primaryKey).digest().subarray(0, 16).toString('hex');
  }

  /** The same digest under this log's key. */
  itemDigest(primaryKey: Uint8Array): string {
    return createHmac('sha256', this.#keys.digest).update(primaryKey).digest().subarray(0, 16).toString('hex');
  }

  /**
   * Appends one line: written when this returns (synced within
   * syncIntervalMs), or with `defer`, held in memory and written by the next
   * writePending() (one write() for all lines held), or by the next record
   * without `defer`, flush() or close(), whichever comes first. The line's
   * place in the chain (its seq and MAC) is fixed when record returns.
   */
  record(r: AuditRecord, options?: { readonly defer?: boolean }): void {
    if (this.#closed) throw new AuditError('the audit log is closed');
    checkRecord(r);
    const fields: Record<string, unknown> = {
      seq: this.#seq + 1,
      time: isoTime(r.time),
      applicationIdentifier: r.applicationIdentifier,
      pid: r.pid,
      fn: r.fn,
      ...(r.cls !== undefined ? { cls: r.cls } : {}),
      ...(r.group !== undefined ? { group: r.group } : {}),
      ...(r.itemDigest !== undefined ? { itemDigest: r.itemDigest } : {}),
      status: r.status,
      ...(r.reason !== undefined ? { reason: r.reason } : {}),
    };
    let prefix = JSON.stringify(fields).slice(0, -1);
    let bytes = Buffer.byteLength(prefix) + MAC_SUFFIX_LENGTH + 1;
    if (this.#size + bytes > this.#maxBytes && this.#linesInFile > 1) {
      this.#rotate();
      fields.seq = this.#seq + 1;
      prefix = JSON.stringify(fields).slice(0, -1);
      bytes = Buffer.byteLength(prefix) + MAC_SUFFIX_LENGTH + 1;
    }
    const sealed = sealLine(this.#keys.chain, this.#mac, prefix);
    if (this.#pending.length === 0) this.#beforePending = { seq: this.#seq, mac: this.#mac, size: this.#size, linesInFile: this.#linesInFile };
    this.#pending.push(sealed.line);
    this.#size += bytes;
    this.#seq++;
    this.#mac = sealed.mac;
    this.#linesInFile++;
    if (options?.defer !== true) this.writePending();
  }

  /** Lines recorded with `defer` and not yet written. */
  get pendingLines(): number {
    return this.#pending.length;
  }

  /**
   * Writes the lines held by record({ defer }) with one write(). When that
   * write fails, the lines are dropped and the chain goes back to the last
   * line written (the file is cut back to it), so the log still verifies;
   * the AuditError says how many lines were lost.
   */
  writePending(): void {
    if (this.#pending.length === 0) return;
    const text = this.#pending.length === 1 ? this.#pending[0]! : this.#pending.join('');
    const lines = this.#pending.length;
    this.#pending = [];
    const before = this.#beforePending!;
    this.#beforePending = undefined;
    try {
      const buffer = Buffer.from(text, 'utf8');
      let at = 0;
      while (at < buffer.length) at += writeSync(this.#fd, buffer, at, buffer.length - at);
    } catch (e) {
      this.#seq = before.seq;
      this.#mac = before.mac;
      this.#size = before.size;
      this.#linesInFile = before.linesInFile;
      try {
        ftruncateSync(this.#fd, before.size);
      } catch {
        // a torn tail is cut off at the next open
      }
      throw new AuditError(`${lines} audit line${lines === 1 ? '' : 's'} could not be written (${e instanceof Error ? e.message : String(e)})`);
    }
    this.#scheduleSync();
  }

  #scheduleSync(): void {
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      if (!this.#closed) this.#syncInBackground();
    }, this.#syncIntervalMs).unref();
  }

  /**
   * flush() off the event loop: fsync of the file, then the head's new text
   * in a temporary file (written and synced in the thread pool), renamed
   * over the head on the event loop only if nothing moved the head meanwhile
   * (flush, close, a rotation: each syncs and writes the head itself), then
   * the directory synced. The head is never moved back: it names a line
   * only once that line was synced, and only a later line than it names.
   * Errors leave the head where it was (the next sync tries again).
   */
  #syncInBackground(): void {
    if (this.#syncing) {
      this.#scheduleSync();
      return;
    }
    try {
      this.writePending(); // the head names only lines in the file
    } catch {
      return; // the lines were dropped and the chain rolled back; the next record schedules a sync again
    }
    if (this.#headSeq === this.#seq) return;
    this.#syncing = true;
    const target: Head = { gen: this.#gen, oldest: this.#oldest, seq: this.#seq, mac: this.#mac.toString('hex') };
    const headFile = `${this.path}.head`;
    const temp = join(dirname(this.path), `.${basename(headFile)}.${randomBytes(6).toString('hex')}.tmp`);
    // Still the file and the head this sync started from: no rotation, close or flush since.
    const current = () => !this.#closed && this.#gen === target.gen && this.#headSeq < target.seq;
    const run = async (): Promise<void> => {
      await new Promise<void>((resolve, reject) => fsync(this.#fd, (e) => (e ? reject(e) : resolve())));
      if (!current()) return;
      const handle = await openAsync(temp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, 0o600);
      try {
        await handle.writeFile(headText(this.#keys.chain, target));
        await handle.sync();
      } finally {
        await handle.close();
      }
      if (!current()) return;
      renameSync(temp, headFile);
      this.#headSeq = target.seq;
      const dir = await openAsync(dirname(this.path), fsConstants.O_RDONLY);
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    };
    run()
      .catch(() => {
        // a failed sync leaves the head where it was; the next one (or close) tries again
      })
      .finally(() => {
        unlinkAsync(temp).catch(() => {}); // gone once renamed
        this.#syncing = false;
        if (!this.#closed && this.#headSeq !== this.#seq) this.#scheduleSync();
      });
  }

  /** Writes the lines held, syncs the file, then moves the head to the last line. */
  flush(): void {
    this.writePending();
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#headSeq === this.#seq) return;
    fsyncSync(this.#fd);
    this.#writeHead();
  }

  /** Flushes and closes. */
  close(): void {
    if (this.#closed) return;
    this.flush();
    closeSync(this.#fd);
    this.#closed = true;
  }

  #writeHead(): void {
    writeFileAtomic(`${this.path}.head`, headText(this.#keys.chain, { gen: this.#gen, oldest: this.#oldest, seq: this.#seq, mac: this.#mac.toString('hex') }));
    this.#headSeq = this.#seq;
  }

  #rotate(): void {
    this.writePending();
    fsyncSync(this.#fd);
    closeSync(this.#fd);
    this.#fd = -1;
    const p = this.path;
    const drop = `${p}.drop`;
    // The oldest kept file is set aside, not removed, until the head no longer needs it.
    if (existsSync(`${p}.${this.#keep}`)) {
      if (existsSync(drop)) unlinkSync(drop);
      renameSync(`${p}.${this.#keep}`, drop);
    }
    for (let k = this.#keep - 1; k >= 1; k--) if (existsSync(`${p}.${k}`)) renameSync(`${p}.${k}`, `${p}.${k + 1}`);
    renameSync(p, `${p}.1`);
    syncDir(dirname(p));
    this.#startGeneration();
  }

  /** Starts generation gen+1 at `path`, chained to the last MAC, and moves the head to it. */
  #startGeneration(): void {
    const gen = this.#gen + 1;
    const seq = this.#seq + 1;
    const header = sealLine(this.#keys.chain, this.#mac, `{"seq":${seq},"gen":${gen},"prev":"${this.#mac.toString('hex')}"`);
    createFileExclusive(this.path, header.line, 0o600);
    syncDir(dirname(this.path));
    this.#fd = openSync(this.path, fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_NOFOLLOW);
    this.#gen = gen;
    this.#oldest = Math.max(1, gen - this.#keep);
    this.#seq = seq;
    this.#mac = header.mac;
    this.#size = Buffer.byteLength(header.line);
    this.#linesInFile = 1;
    this.#writeHead();
    const drop = `${this.path}.drop`;
    if (existsSync(drop)) {
      unlinkSync(drop);
      syncDir(dirname(this.path));
    }
  }
}
