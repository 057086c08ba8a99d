/**
 * secitemd against random and mutated frames (issue 16: "a malformed,
 * truncated or oversized frame gets an error and a closed connection, never
 * a crash"; "the daemon keeps serving well-formed clients throughout").
 *
 * An in-process daemon on a socket in a temp dir; a well-formed client in a
 * process of its own (fixtures/steady-client.ts, its own app) keeps making
 * calls and checking their answers; meanwhile fast-check sends, over raw
 * sockets of this process (an app of its own, so that mutated requests that
 * still decode reach the engine), batches of frames: valid requests of
 * src/daemon/wire.ts with bytes flipped, cut short, a wrong, huge or zero
 * length, wrong versions, unknown tags, huge counts, deep nesting, garbage
 * before or after, dribbled a byte at a time; and a few connections that
 * send half a frame and stall. Whatever the daemon answers must be
 * well-formed frames; the daemon must still be running; the steady client
 * must have been served between the first and the last batch, with every
 * answer right. Bounded to a few seconds.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { startDaemon, type Daemon } from '../../src/daemon/server.js';
import type { Caller } from '../../src/daemon/caller.js';
import { FrameReader, MAX_DEPTH, MAX_FRAME, WireKey, decodeFrameBody, encodeFrame } from '../../src/daemon/wire.js';
import {
  kSecClass, kSecClassGenericPassword, kSecAttrService, kSecAttrAccount, kSecValueData, kSecReturnData, kSecReturnAttributes, kSecMatchLimit,
  kSecMatchLimitAll, kSecAttrCreationDate, kSecAttrKeyType, kSecAttrKeyTypeECSECPrimeRandom, kSecAttrKeySizeInBits, kSecAttrGeneric,
  kSecKeyAlgorithmECDSASignatureMessageX962SHA256,
} from '../../src/index.js';
import type { Entitlements } from '../../src/types.js';

const seed = Number(process.env['SECITEM_SEED'] ?? Date.now() % 2 ** 31);
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}.js`, import.meta.url));
const utf8 = (s: string) => new TextEncoder().encode(s);
const genp = (extra: Record<string, unknown> = {}) => ({ [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'fz', [kSecAttrAccount]: 'a', ...extra });

/** Valid requests: every kind of value the wire carries, and every kind of call. */
const VALID: Buffer[] = [
  encodeFrame({ i: 1, f: 'SecItemAdd', a: [genp({ [kSecValueData]: utf8('value'), [kSecAttrGeneric]: new Uint8Array([1, 2, 3]), [kSecAttrCreationDate]: new Date(0) })] }),
  encodeFrame({ i: 2, f: 'SecItemCopyMatching', a: [genp({ [kSecReturnData]: true, [kSecReturnAttributes]: true, [kSecMatchLimit]: kSecMatchLimitAll })] }),
  encodeFrame({ i: 3, f: 'SecItemUpdate', a: [genp(), { [kSecValueData]: utf8('other'), [kSecAttrAccount]: 'b' }] }),
  encodeFrame({ i: 4, f: 'SecItemDelete', a: [{ [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: 'fz' }] }),
  encodeFrame({ i: 5, f: 'SecKeyCreateRandomKey', a: [{ [kSecAttrKeyType]: kSecAttrKeyTypeECSECPrimeRandom, [kSecAttrKeySizeInBits]: 256 }] }),
  encodeFrame({ i: 6, f: 'SecKeyCreateSignature', a: [new WireKey(1, {}), kSecKeyAlgorithmECDSASignatureMessageX962SHA256, utf8('m')] }),
  encodeFrame({ i: 7, f: 'hello', a: [] }),
  encodeFrame({ i: 8, f: 'status', a: [] }),
  encodeFrame({ i: 9, f: 'release', a: [[1, 2]] }),
  encodeFrame({ i: 10, f: 'noSuchFunction', a: [null, undefined, -0, NaN, Infinity] }),
  encodeFrame({ i: 11, f: 'SecItemAdd', a: 'not a list' }),
  encodeFrame([1, 2, 3]),
];

const withLength = (body: Buffer): Buffer => {
  const b = Buffer.alloc(4 + body.length);
  b.writeUInt32BE(body.length, 0);
  body.copy(b, 4);
  return b;
};
const bodyOf = (frame: Buffer): Buffer => frame.subarray(4);

/** Nesting `depth` deep of arrays or dictionaries, as a frame. */
function nested(depth: number, dict: boolean): Buffer {
  const parts: Buffer[] = [Buffer.from([1])];
  for (let i = 0; i < depth; i++) parts.push(dict ? Buffer.from([0x09, 0, 0, 0, 1, 0, 0, 0, 1, 0x6b]) : Buffer.from([0x08, 0, 0, 0, 1]));
  parts.push(Buffer.from([0x01]));
  return withLength(Buffer.concat(parts));
}

interface Payload {
  /** The bytes, written at once or a byte at a time. */
  bytes: Buffer;
  dribble: boolean;
}

const valid = fc.constantFrom(...VALID);
const position = fc.nat({ max: 1 << 16 });
/** Mutations that keep the length prefix right (so the body reaches the decoder) or break it. */
const mutated: fc.Arbitrary<Buffer> = fc.oneof(
  // bytes flipped in the body
  fc.tuple(valid, fc.array(fc.tuple(position, fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 6 })).map(([f, flips]) => {
    const b = Buffer.from(f);
    for (const [p, x] of flips) b[4 + (p % (b.length - 4))]! ^= x;
    return b;
  }),
  // cut short (the stream then ends), or the body cut with its length fixed up
  fc.tuple(valid, position, fc.boolean()).map(([f, p, fix]) => (fix ? withLength(bodyOf(f).subarray(0, 1 + (p % (f.length - 4)))) : f.subarray(0, p % f.length))),
  // a wrong length: smaller, larger, zero, just over the limit, huge
  fc.tuple(valid, fc.oneof(fc.nat({ max: 300 }), fc.constantFrom(0, 1, MAX_FRAME, MAX_FRAME + 1, 0x7fffffff, 0xffffffff))).map(([f, n]) => {
    const b = Buffer.from(f);
    b.writeUInt32BE(n, 0);
    return b;
  }),
  // another wire version
  fc.tuple(valid, fc.integer({ min: 0, max: 255 }).filter((v) => v !== 1)).map(([f, v]) => {
    const b = Buffer.from(f);
    b[4] = v;
    return b;
  }),
  // an unknown tag where a value starts (or anywhere)
  fc.tuple(valid, position, fc.integer({ min: 0x11, max: 0xff })).map(([f, p, t]) => {
    const b = Buffer.from(f);
    b[5 + (p % (b.length - 5))] = t;
    return b;
  }),
  // a huge count or length inside the body
  fc.tuple(valid, position, fc.constantFrom(0xffffffff, 0x7fffffff, 0x01000000, MAX_FRAME)).map(([f, p, n]) => {
    const b = Buffer.from(f);
    if (b.length >= 10) b.writeUInt32BE(n, 5 + (p % (b.length - 9)));
    return b;
  }),
  // bytes inserted or removed in the body, its length fixed up
  fc.tuple(valid, position, fc.uint8Array({ minLength: 0, maxLength: 16 }), fc.nat({ max: 8 })).map(([f, p, ins, del]) => {
    const body = bodyOf(f);
    const at = 1 + (p % (body.length - 1));
    return withLength(Buffer.concat([body.subarray(0, at), Buffer.from(ins), body.subarray(Math.min(body.length, at + del))]));
  }),
  // nesting past the limit, and just within it
  fc.tuple(fc.integer({ min: MAX_DEPTH - 2, max: 400 }), fc.boolean()).map(([d, dict]) => nested(d, dict)),
  // random bytes, with a fitting length prefix or none
  fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 400 }), fc.boolean()).map(([r, framed]) => (framed ? withLength(Buffer.from(r)) : Buffer.from(r))),
  // a valid frame with garbage before or after it
  fc.tuple(valid, fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.boolean()).map(([f, g, first]) => (first ? Buffer.concat([Buffer.from(g), f]) : Buffer.concat([f, Buffer.from(g)]))),
  // valid frames back to back (these are answered)
  fc.array(valid, { minLength: 1, maxLength: 4 }).map((fs) => Buffer.concat(fs)),
);
const payload: fc.Arbitrary<Payload> = fc.record({ bytes: mutated, dribble: fc.boolean().map((b) => b && Math.random() < 0.2) });

class Profiles {
  readonly byPid = new Map<number, Entitlements>();
  identify(caller: Caller) {
    const e = this.byPid.get(caller.pid);
    return e ? { entitlements: e, owner: false } : { refused: 'no profile matches this caller' };
  }
}

/** Sends one payload on a fresh connection, ends it, and answers what came back once the daemon closed it. */
function send(socketPath: string, p: Payload): Promise<{ received: Buffer; closedByDaemon: boolean }> {
  return new Promise((resolve) => {
    const s = createConnection(socketPath);
    const chunks: Buffer[] = [];
    let ended = false;
    s.on('connect', () => {
      if (!p.dribble) {
        s.write(p.bytes);
        s.end();
        return;
      }
      let i = 0;
      const next = (): void => {
        if (s.destroyed) return;
        if (i >= p.bytes.length) return void s.end();
        s.write(p.bytes.subarray(i, i + 1));
        i++;
        setImmediate(next);
      };
      next();
    });
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('end', () => (ended = true));
    s.on('error', () => undefined);
    s.on('close', () => resolve({ received: Buffer.concat(chunks), closedByDaemon: ended }));
    // A daemon that never closes a connection after its client ended it would be a leak: the test fails on it below.
    setTimeout(() => s.destroy(), 10_000).unref();
  });
}

/** The daemon's answers decode as frames of replies or protocol errors. */
function checkAnswers(received: Buffer): void {
  const reader = new FrameReader();
  const frames = reader.push(received);
  assert.equal(reader.buffered, 0, 'the daemon sent part of a frame');
  for (const f of frames) {
    const m = decodeFrameBody(f) as Record<string, unknown>;
    assert.equal(typeof m, 'object');
    assert.ok(typeof m['i'] === 'number', 'an answer names its request');
    assert.ok('r' in m || 'e' in m, 'an answer is a reply or an error');
  }
}

describe('secitemd, fuzzed frames', () => {
  const dir = mkdtempSync(join(tmpdir(), 'secitemd-fuzz-'));
  const socketPath = join(dir, 'run', 'secitemd.sock');
  const profiles = new Profiles();
  let daemon: Daemon;
  let steady: ChildProcess | undefined;
  let stopped = false;
  let closing = false;
  const logs: string[] = [];

  before(async () => {
    daemon = await startDaemon({
      keychainPath: join(dir, 'kc.keychain-db'), socketPath, stateDir: join(dir, 'state'), profiles, audit: { record: () => undefined }, log: (l) => logs.push(l),
    });
    void daemon.closed.then(() => {
      stopped = true;
      if (!closing) process.stderr.write(`secitemd stopped during the fuzz (seed ${seed}); its log:\n${logs.slice(-20).join('\n')}\n`);
    });
  });
  after(async () => {
    steady?.kill('SIGKILL');
    closing = true;
    await daemon.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('random and mutated frames get an error and a closed connection while a well-formed client keeps being served', async (t) => {
    profiles.byPid.set(process.pid, { applicationIdentifier: 'FUZZTEAM01.com.example.fuzzer' });
    steady = spawn(process.execPath, [fixture('steady-client'), socketPath], { stdio: ['pipe', 'pipe', 'inherit'] });
    profiles.byPid.set(steady.pid!, { applicationIdentifier: 'GOODTEAM01.com.example.steady' });
    const progress: { calls: number; bad?: string[] }[] = [];
    let buf = '';
    steady.stdout!.on('data', (d) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) progress.push(JSON.parse(l) as { calls: number });
    });
    const steadyExit = new Promise((r) => steady!.once('exit', r));
    // Wait until the steady client is being served.
    while (progress.length === 0) await new Promise((r) => setTimeout(r, 20));

    // Connections that send half a frame and stall, for the whole run.
    const stalled: Socket[] = [];
    for (const head of [Buffer.from([0, 0]), Buffer.from([0, 0, 1, 0, 1, 0x09]), Buffer.from([0x01, 0x10, 0, 0, 1])]) {
      const s = createConnection(socketPath);
      s.on('error', () => undefined);
      s.write(head);
      stalled.push(s);
    }

    let sent = 0;
    let answered = 0;
    let firstBatchAt = -1;
    let lastBatchAt = -1;
    await fc.assert(
      fc.asyncProperty(fc.array(payload, { minLength: 1, maxLength: 8 }), async (batch) => {
        const seen = progress.at(-1)!.calls;
        if (firstBatchAt < 0) firstBatchAt = seen;
        lastBatchAt = seen;
        const outcomes = await Promise.all(batch.map((p) => send(socketPath, p)));
        for (const o of outcomes) {
          sent++;
          if (o.received.length > 0) answered++;
          checkAnswers(o.received);
          assert.ok(o.closedByDaemon, 'the daemon closed the connection');
        }
        assert.equal(stopped, false, 'the daemon is still running');
      }),
      { seed, numRuns: 400, interruptAfterTimeLimit: 4_000, markInterruptAsFailure: false },
    );
    const lastSeen = progress.at(-1)!.calls;

    for (const s of stalled) s.destroy();
    steady.stdin!.end();
    await steadyExit;
    const final = progress.at(-1)!;
    t.diagnostic(`seed ${seed}: ${sent} payloads, ${answered} answered; the steady client made ${final.calls} calls (${firstBatchAt} before the first batch, ${lastSeen} after the last)`);
    assert.deepEqual(final.bad, [], `seed ${seed}`);
    assert.ok(sent > 50, `${sent} payloads sent`);
    assert.ok(answered > 0, 'some payloads were answered');
    assert.ok(lastBatchAt > firstBatchAt || lastSeen > firstBatchAt, `the steady client was served during the fuzz (${firstBatchAt} → ${lastBatchAt}, ${lastSeen} calls)`);
    assert.equal(stopped, false);
  });
});
