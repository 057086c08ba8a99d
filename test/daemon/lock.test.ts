/**
 * The daemon's lock files (server.ts takeLockFile): a kernel flock, so one
 * holder at a time even when many processes start at once, no stale lock
 * after a SIGKILL, and nothing followed through a planted symbolic link.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lockHolder, takeLockFile } from '../../src/daemon/server.js';

const serverModule = fileURLToPath(new URL('../../src/daemon/server.js', import.meta.url));

/** A process that tries the lock, prints "won" or "lost", and holds a win until its stdin closes (or it is killed). */
function contender(file: string): { done: Promise<string>; kill: () => void; release: () => void } {
  const script = `
    const { takeLockFile } = await import(${JSON.stringify(serverModule)});
    try { takeLockFile(${JSON.stringify(file)}, 'the test keychain'); process.stdout.write('won\\n'); }
    catch (e) { process.stdout.write(/another secitemd/.test(e.message) ? 'lost\\n' : 'error ' + e.message + '\\n'); process.exit(0); }
    process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const done = new Promise<string>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.on('exit', () => resolve(out.trim()));
  });
  return { done, kill: () => child.kill('SIGKILL'), release: () => child.stdin.end() };
}

describe('the lock file', () => {
  it('of 12 processes started at once exactly one takes it; the holder is named to the others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secitem-lock-'));
    try {
      const file = join(dir, 'k.keychain-db.secitemd.lock');
      const all = Array.from({ length: 12 }, () => contender(file));
      const outcomes = await Promise.all(all.map((c) => c.done));
      assert.equal(outcomes.filter((o) => o === 'won').length, 1, outcomes.join(', '));
      assert.equal(outcomes.filter((o) => o === 'lost').length, 11, outcomes.join(', '));
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.ok(lockHolder(file), 'the winner wrote its pid and start time');
      for (const c of all) c.kill();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a holder killed by SIGKILL leaves no stale lock: the next process takes it at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secitem-lock-'));
    try {
      const file = join(dir, 'k.lock');
      const first = contender(file);
      assert.equal(await first.done, 'won');
      assert.equal(await contender(file).done, 'lost');
      first.kill();
      await new Promise((r) => setTimeout(r, 100));
      const next = contender(file);
      assert.equal(await next.done, 'won');
      next.release();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a file that merely names a live process is not a lock: only the kernel lock counts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'secitem-lock-'));
    try {
      const file = join(dir, 'k.lock');
      writeFileSync(file, `${process.ppid} 0\n`, { mode: 0o600 });
      const release = takeLockFile(file, 'the test keychain');
      assert.equal(lockHolder(file)?.pid, process.pid);
      assert.throws(() => takeLockFile(file, 'the test keychain'), /another secitemd \(pid \d+\) owns the test keychain/);
      release();
      assert.equal(existsSync(file), false, 'a clean release removes the file');
      takeLockFile(file, 'the test keychain')();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a symbolic link planted at the lock path is not followed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'secitem-lock-'));
    try {
      const target = join(dir, 'victim');
      writeFileSync(target, 'keep me');
      symlinkSync(target, join(dir, 'k.lock'));
      assert.throws(() => takeLockFile(join(dir, 'k.lock'), 'the test keychain'), /ELOOP/);
      assert.equal(readFileSync(target, 'utf8'), 'keep me');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
