/**
 * Issue 14, hole 7, as the review found it: after lock() and a garbage
 * collection, what is left of a passcode's KDF output and of a decoded item
 * in the memory of the process that had the keychain open. The test is the
 * attacker with memory access: a child process opens a keychain with a
 * passcode given as bytes, adds and reads back a WhenUnlocked item, wipes
 * its own copies, locks, collects; the parent then reads the child's
 * writable memory (/proc/<pid>/mem: the heap, the stacks, every anonymous
 * mapping, the buffers' backing stores included) for the secret, the
 * passcode, the scrypt output and the key-encryption key derived from it,
 * which it computes itself from the file, the device key and the passcode.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { hkdfSync, randomBytes, scryptSync } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { tempDir } from '../helpers.js';

const indexModule = fileURLToPath(new URL('../../src/index.js', import.meta.url));

const CHILD = `
const { openKeychain } = await import(process.argv[1]);
const input = await new Promise((resolve) => {
  let text = '';
  const onData = (d) => { text += d; if (text.includes('\\n')) { process.stdin.off('data', onData); process.stdin.pause(); resolve(text); } };
  process.stdin.on('data', onData);
});
const job = JSON.parse(input);
const passcode = Buffer.from(job.passcode, 'hex');
const secret = Buffer.from(job.secret, 'hex');
const kc = openKeychain({ path: job.path, passcode });
const app = kc.client({ applicationIdentifier: 'MEMTEST000.com.example.memory' });
if (app.SecItemAdd({ class: 'genp', svce: 'memory', acct: 'after-lock', pdmn: 'ak', v_Data: secret }).status !== 0) throw new Error('add');
secret.fill(0);
const copy = app.SecItemCopyMatching({ class: 'genp', svce: 'memory', acct: 'after-lock', r_Data: true });
if (copy.status !== 0) throw new Error('copy');
copy.result.fill(0);
kc.lock();
passcode.fill(0);
for (let i = 0; i < 4; i++) { globalThis.gc(); await new Promise((r) => setImmediate(r)); }
process.stdout.write('locked\\n');
await new Promise((r) => { process.stdin.once('end', r); process.stdin.resume(); });
kc.close();
`;

/** How many times each needle occurs in the writable mappings of process `pid`. */
function scanMemory(pid: number, needles: Record<string, Buffer>): Record<string, number> {
  const hits: Record<string, number> = Object.fromEntries(Object.keys(needles).map((k) => [k, 0]));
  const longest = Math.max(...Object.values(needles).map((n) => n.length));
  const fd = openSync(`/proc/${pid}/mem`, 'r');
  const chunk = Buffer.alloc(8 << 20);
  try {
    for (const line of readFileSync(`/proc/${pid}/maps`, 'latin1').split('\n')) {
      const m = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \d+\s*(.*)$/.exec(line);
      if (!m || m[3]![0] !== 'r' || m[3]![1] !== 'w') continue; // secrets are in writable memory
      const name = m[4]!;
      if (name !== '' && !name.startsWith('[heap') && !name.startsWith('[stack') && !name.startsWith('[anon')) continue;
      const start = parseInt(m[1]!, 16);
      const end = parseInt(m[2]!, 16);
      for (let at = start; at < end; at += chunk.length - longest) {
        let n: number;
        try {
          n = readSync(fd, chunk, 0, Math.min(chunk.length, end - at), at);
        } catch {
          break; // a guard page or a mapping gone meanwhile
        }
        const view = chunk.subarray(0, n);
        for (const [k, needle] of Object.entries(needles)) {
          for (let i = view.indexOf(needle); i >= 0; i = view.indexOf(needle, i + 1)) {
            // Count a match once even where two chunks overlap.
            if (at === start || i >= longest) hits[k]! += 1;
          }
        }
        if (n < Math.min(chunk.length, end - at)) break;
      }
    }
  } finally {
    closeSync(fd);
    chunk.fill(0);
  }
  return hits;
}

describe('memory after lock (issue 14, hole 7)', () => {
  it('after lock() and a collection, no copy of the item, the passcode, its scrypt output or its key-encryption key is left in the process', async () => {
    const dir = tempDir();
    const path = join(dir, 'memory.keychain-db');
    const passcode = randomBytes(24);
    const secret = randomBytes(48);
    const child = spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e', CHILD, indexModule], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      child.stdin.write(`${JSON.stringify({ path, passcode: passcode.toString('hex'), secret: secret.toString('hex') })}\n`);
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
        child.on('exit', (code) => reject(new Error(`the child exited (${code}) before locking`)));
      });
      // What the attacker computes from the file, the device key and the passcode (src/crypto/keybag.ts).
      const db = new Database(path, { readonly: true });
      const keybag = JSON.parse(String(db.prepare("SELECT value FROM meta WHERE key = 'keybag'").pluck().get())) as { kdf: { salt: string; N: number; r: number; p: number } };
      db.close();
      const { salt, N, r, p } = keybag.kdf;
      const stretched = scryptSync(passcode, Buffer.from(salt, 'base64'), 32, { N, r, p, maxmem: 256 * N * r + (1 << 20) });
      const deviceKey = readFileSync(`${path}.devicekey`);
      const kek = Buffer.from(hkdfSync('sha256', Buffer.concat([deviceKey, stretched]), Buffer.alloc(0), 'secitem keybag passcode kek v1', 32));
      const hits = scanMemory(child.pid!, { secret, passcode, stretched, kek });
      assert.deepEqual(hits, { secret: 0, passcode: 0, stretched: 0, kek: 0 });
    } finally {
      child.stdin.end();
      await new Promise((r) => child.once('exit', r));
    }
  });
});
