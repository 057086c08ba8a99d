/**
 * The audit log (issue 16, part 5): every tampering the chain and its head
 * exist to catch is caught; rotation keeps the chain across files; nothing
 * but metadata is written.
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, auditKey } from '../../src/daemon/audit.js';

let dir: string;
let path: string;
let key: Buffer;

function fill(log: AuditLog, n: number, from = 0): void {
  for (let i = 0; i < n; i++) {
    log.record({
      time: Date.UTC(2026, 0, 1, 0, 0, from + i), applicationIdentifier: 'SKMME9E2Y8.com.example.app', pid: 100 + i, fn: 'SecItemCopyMatching',
      cls: 'genp', group: 'SKMME9E2Y8.com.example.app', itemDigest: log.itemDigest(Buffer.from(`svc\0acct${i}`)), status: i % 5 === 0 ? -25300 : 0,
    });
  }
}

function lines(file = path): string[] {
  return readFileSync(file, 'utf8').split('\n').slice(0, -1);
}

function writeLines(ls: string[], file = path): void {
  writeFileSync(file, ls.map((l) => `${l}\n`).join(''), { mode: 0o600 });
}

const verify = () => AuditLog.verify(path, key);

describe('audit log', () => {
  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'secitem-audit-')));
    path = join(dir, 'audit.log');
    key = randomBytes(32);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes one owner-only JSON line per call, chained, and verifies', () => {
    const log = AuditLog.open(path, { key, maxBytes: 1 << 20 });
    fill(log, 10);
    log.close();
    assert.deepEqual(verify(), { ok: true, lines: 11 });
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(`${path}.head`).mode & 0o777, 0o600);
    const records = lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(records[0].gen, 1);
    assert.deepEqual(Object.keys(records[1]), ['seq', 'time', 'applicationIdentifier', 'pid', 'fn', 'cls', 'group', 'itemDigest', 'status', 'mac']);
    assert.equal(records[1].time, '2026-01-01T00:00:00.000Z');
    // Reopened, it goes on with the same chain.
    const again = AuditLog.open(path, { key, maxBytes: 1 << 20 });
    fill(again, 3);
    again.close();
    assert.deepEqual(verify(), { ok: true, lines: 14 });
    // Another key verifies nothing.
    const other = AuditLog.verify(path, randomBytes(32));
    assert.equal(other.ok, false);
  });

  it('never holds an attribute value: only the keyed digest of the primary key', () => {
    const log = AuditLog.open(path, { key, maxBytes: 1 << 20 });
    const primary = Buffer.from('MyService\0alice@example.com');
    log.record({ time: Date.now(), applicationIdentifier: 'SKMME9E2Y8.com.example.app', pid: 1, fn: 'SecItemAdd', cls: 'genp', group: 'SKMME9E2Y8.shared', itemDigest: log.itemDigest(primary), status: 0 });
    log.close();
    const text = readFileSync(path, 'utf8');
    assert.ok(!text.includes('MyService') && !text.includes('alice'));
    assert.match(text, new RegExp(`"itemDigest":"${AuditLog.itemDigest(key, primary)}"`));
    assert.throws(() => AuditLog.open(path, { key, maxBytes: 1 << 20 }).record({ time: 0, applicationIdentifier: 'x', pid: 1, fn: 'SecItemAdd', itemDigest: 'alice@example.com', status: 0 }), /itemDigest/);
  });

  it('holds deferred lines until writePending, in their order, across a rotation, and at close', () => {
    const log = AuditLog.open(path, { key, maxBytes: 4096 });
    const rec = (i: number, defer: boolean) => log.record({ time: 0, applicationIdentifier: 'SKMME9E2Y8.com.example.app', pid: i, fn: 'SecItemCopyMatching', status: 0 }, { defer });
    rec(1, true);
    rec(2, true);
    assert.equal(log.pendingLines, 2);
    assert.equal(lines().length, 1, 'deferred lines are not written yet');
    log.writePending();
    assert.equal(log.pendingLines, 0);
    assert.deepEqual(lines().slice(1).map((l) => (JSON.parse(l) as { pid: number }).pid), [1, 2]);
    rec(3, true);
    rec(4, false); // a line written at once takes the held ones first
    assert.deepEqual(lines().slice(1).map((l) => (JSON.parse(l) as { pid: number }).pid), [1, 2, 3, 4]);
    for (let i = 5; i < 60; i++) rec(i, true); // past maxBytes: the rotation writes what is held to the old file first
    log.writePending();
    log.flush();
    const rotated = verify();
    assert.ok(rotated.ok && existsSync(`${path}.1`), JSON.stringify(rotated));
    const pids = [`${path}.4`, `${path}.3`, `${path}.2`, `${path}.1`, path].filter((f) => existsSync(f)).flatMap((f) => lines(f)).map((l) => (JSON.parse(l) as { pid?: number }).pid).filter((p) => p !== undefined);
    assert.deepEqual(pids, Array.from({ length: 59 }, (_, i) => i + 1));
    // close() writes what is held.
    rec(100, true);
    rec(101, true);
    log.close();
    assert.deepEqual(verify(), { ok: true, lines: (rotated.ok ? rotated.lines : 0) + 2 });
  });

  it('detects an edited line', () => {
    const log = AuditLog.open(path, { key, maxBytes: 1 << 20 });
    fill(log, 10);
    log.close();
    const ls = lines();
    ls[4] = ls[4].replace('"status":0', '"status":1');
    writeLines(ls);
    const r = verify();
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.line, 5);
  });

  it('detects a removed line', () => {
    const log = AuditLog.open(path, { key, maxBytes: 1 << 20 });
    fill(log, 10);
    log.close();
    const ls = lines();
    ls.splice(3, 1);
    writeLines(ls);
    const r = verify();
    assert.ok(!r.ok && r.line === 4, JSON.stringify(r));
  });

  it('detects reordered lines', () => {
    const log = AuditLog.open(path, { key, maxBytes: 1 << 20 });
    fill(log, 10);
    log.close();
    const ls = lines();
    [ls[3], ls[4]] = [ls[4], ls[3]];
    writeLines(ls);
    const r = verify();
    assert.ok(!r.ok && r.line === 4, JSON.stringify(r));
  });

  it('detects a truncated log', () => {
    const log = AuditLog.open(path, { key, maxBytes: 1 << 20 });
    fill(log, 10);
    log.close();
    writeLines(lines().slice(0, 8));
    const r = verify();
    assert.ok(!r.ok && /vouches for 11/.test(r.reason), JSON.stringify(r));
    // Nor does the daemon go on with it.
    assert.throws(() => AuditLog.open(path, { key, maxBytes: 1 << 20 }), /does not verify/);
  });

  it('detects the log replaced by an older copy of itself', () => {
    const log = AuditLog.open(path, { key, maxBytes: 1 << 20 });
    fill(log, 5);
    log.flush();
    const older = join(dir, 'older');
    copyFileSync(path, older);
    fill(log, 5, 5);
    log.close();
    copyFileSync(older, path);
    const r = verify();
    assert.equal(r.ok, false);
  });

  it('detects an edited or removed head', () => {
    const log = AuditLog.open(path, { key, maxBytes: 1 << 20 });
    fill(log, 5);
    log.close();
    const head = readFileSync(`${path}.head`, 'utf8');
    writeFileSync(`${path}.head`, head.replace(/"seq":\d+/, '"seq":3'), { mode: 0o600 });
    assert.equal(verify().ok, false);
    unlinkSync(`${path}.head`);
    assert.equal(verify().ok, false);
  });

  it('tolerates lines written after the last head update (a crash before the sync), and a torn last line', () => {
    const log = AuditLog.open(path, { key, maxBytes: 1 << 20, syncIntervalMs: 60_000 });
    fill(log, 3);
    log.flush();
    fill(log, 3, 3);
    // The process dies here: three lines on disk that the head does not name yet.
    assert.deepEqual(verify(), { ok: true, lines: 7 });
    writeFileSync(path, readFileSync(path, 'utf8') + '{"seq":8,"time":"20', { flag: 'w', mode: 0o600 });
    assert.deepEqual(verify(), { ok: true, lines: 7 });
    const after = AuditLog.open(path, { key, maxBytes: 1 << 20 });
    fill(after, 1);
    after.close();
    assert.deepEqual(verify(), { ok: true, lines: 8 });
    log.close();
  });

  it("the interval's sync runs off the event loop: the head follows, no temporary file stays, and a copy of the log at any moment verifies", async () => {
    const log = AuditLog.open(path, { key, maxBytes: 1 << 20, syncIntervalMs: 5 });
    const headSeq = () => Number(/"seq":(\d+)/.exec(readFileSync(`${path}.head`, 'utf8'))?.[1]);
    fill(log, 20);
    for (let i = 0; i < 200 && headSeq() !== 21; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(headSeq(), 21);
    assert.deepEqual(verify(), { ok: true, lines: 21 });
    // records while syncs are under way: the head is at or behind the file, never ahead of it
    for (let round = 0; round < 20; round++) {
      fill(log, 5, round * 5);
      assert.equal(verify().ok, true);
      await new Promise((r) => setImmediate(r));
    }
    log.close();
    await new Promise((r) => setTimeout(r, 50)); // a sync still in the thread pool when close() ran finds the head moved and drops its file
    assert.deepEqual(verify(), { ok: true, lines: 121 });
    assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tmp')), []);
  });

  it('rotations between and during background syncs keep a log that verifies', async () => {
    const log = AuditLog.open(path, { key, maxBytes: 2048, keep: 3, syncIntervalMs: 1 });
    for (let i = 0; i < 60; i++) {
      fill(log, 3, i * 3);
      if (i % 3 === 0) await new Promise((r) => setTimeout(r, 2));
      else await new Promise((r) => setImmediate(r));
      const r = verify();
      assert.equal(r.ok, true, JSON.stringify(r));
    }
    log.close();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(verify().ok, true);
    assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tmp')), []);
  });

  it('rotates by size and verifies across the rotated files; removing or editing one is detected', () => {
    const log = AuditLog.open(path, { key, maxBytes: 2048, keep: 3 });
    fill(log, 60);
    log.close();
    const names = readdirSync(dir).sort();
    assert.deepEqual(names, ['audit.log', 'audit.log.1', 'audit.log.2', 'audit.log.3', 'audit.log.head']);
    for (const f of ['audit.log', 'audit.log.1']) assert.ok(statSync(join(dir, f)).size <= 2048 + 400);
    const ok = verify();
    assert.ok(ok.ok && ok.lines > 20, JSON.stringify(ok));
    // The new file's header chains to the rotated file's last MAC.
    const rotatedLast = JSON.parse(lines(`${path}.1`).at(-1)!) as { mac: string };
    const header = JSON.parse(lines()[0]) as { prev: string; gen: number };
    assert.equal(header.prev, rotatedLast.mac);
    // Reopen and go on across one more rotation.
    const again = AuditLog.open(path, { key, maxBytes: 2048, keep: 3 });
    fill(again, 30);
    again.close();
    assert.ok(verify().ok);

    const saved = readFileSync(`${path}.2`);
    const edited = lines(`${path}.2`);
    edited[2] = edited[2].replace('"pid":1', '"pid":9');
    writeLines(edited, `${path}.2`);
    assert.equal(verify().ok, false);
    writeFileSync(`${path}.2`, saved, { mode: 0o600 });
    assert.ok(verify().ok);
    unlinkSync(`${path}.3`);
    const r = verify();
    assert.ok(!r.ok && /generation/.test(r.reason), JSON.stringify(r));
  });

  it('removing the current file is detected', () => {
    const log = AuditLog.open(path, { key, maxBytes: 2048, keep: 2 });
    fill(log, 40);
    log.close();
    unlinkSync(path);
    assert.equal(verify().ok, false);
  });

  it('a rotation interrupted after the rename still verifies, and open() finishes it', () => {
    const log = AuditLog.open(path, { key, maxBytes: 1 << 20, keep: 2 });
    fill(log, 5);
    log.close();
    // As if the daemon died right after renaming the file in a rotation.
    copyFileSync(path, `${path}.1`);
    unlinkSync(path);
    assert.ok(verify().ok);
    const again = AuditLog.open(path, { key, maxBytes: 1 << 20, keep: 2 });
    fill(again, 2);
    again.close();
    assert.deepEqual(verify(), { ok: true, lines: 6 + 1 + 2 });
    assert.ok(existsSync(`${path}.1`));
  });

  it('auditKey keeps a 32-byte owner-only key in the state directory', () => {
    const k = auditKey(dir);
    assert.equal(k.length, 32);
    assert.deepEqual(auditKey(dir), k);
    assert.equal(statSync(join(dir, 'audit.key')).mode & 0o777, 0o600);
  });
});
