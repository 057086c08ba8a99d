/**
 * Passcode attempts cannot be reset or raced (issue 14, hole 5): the
 * attempt is taken in a write transaction before the KDF runs, and the
 * counter is authenticated, so deleting or editing it counts as the most
 * failures.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { openKeychain, SecError, errSecAuthFailed, errSecInteractionNotAllowed, errSecSuccess } from '../../src/index.js';
import { TempKeychain, repoFile, tempDir } from '../helpers.js';

const isStatus = (status: number) => (e: unknown): boolean => e instanceof SecError && e.status === status;

function setAttempts(path: string, value: string | undefined): void {
  const raw = new Database(path);
  if (value === undefined) raw.prepare("DELETE FROM meta WHERE key = 'attempts'").run();
  else raw.prepare("UPDATE meta SET value = ? WHERE key = 'attempts'").run(value);
  raw.close();
}

describe('the passcode-attempt counter', () => {
  it('deleting the counter row counts as the most failures: passcode entry is disabled, not reset', () => {
    const t = new TempKeychain('123456');
    for (let i = 0; i < 4; i++) assert.equal(t.kc.unlock('000000'), errSecAuthFailed);
    t.kc.close();
    setAttempts(t.path, undefined);
    assert.throws(() => openKeychain({ path: t.path, passcode: '123456' }), isStatus(errSecInteractionNotAllowed));
    const kc = openKeychain({ path: t.path });
    assert.ok(kc.passcodeRetryDelay > 59 * 60_000, `delay ${kc.passcodeRetryDelay}`);
    kc.close();
    t.cleanup();
  });

  it('editing the counter (a well-formed record of zero failures, without its tag) counts as the most failures', () => {
    const t = new TempKeychain('123456');
    t.kc.close();
    setAttempts(t.path, JSON.stringify({ failed: 0, lastFailureMs: 0 }));
    assert.throws(() => openKeychain({ path: t.path, passcode: '123456' }), isStatus(errSecInteractionNotAllowed));
    t.cleanup();
  });

  it('twelve processes started after four wrong passcodes get one guess between them; the others wait', async () => {
    const t = new TempKeychain('123456');
    for (let i = 0; i < 4; i++) assert.equal(t.kc.unlock('000000'), errSecAuthFailed);
    t.kc.close();
    const index = pathToFileURL(repoFile('dist/src/index.js')).href;
    const script = `
      const { openKeychain } = await import(${JSON.stringify(index)});
      try { openKeychain({ path: ${JSON.stringify(t.path)}, passcode: '999999' }).close(); console.log('0'); }
      catch (e) { console.log(String(e.status)); }`;
    const run = (): Promise<string> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.on('error', reject);
        child.on('exit', () => resolve(out.trim()));
      });
    const answers = await Promise.all(Array.from({ length: 12 }, run));
    const tried = answers.filter((a) => a === String(errSecAuthFailed)).length;
    const refused = answers.filter((a) => a === String(errSecInteractionNotAllowed)).length;
    assert.deepEqual({ tried, refused }, { tried: 1, refused: 11 }, `answers: ${answers.join(' ')}`);
    t.cleanup();
  });

  it('a format-5 keychain keeps its count through the upgrade: two wrong passcodes, then three more disable entry', () => {
    const dir = tempDir();
    const path = join(dir, 'login.keychain-db');
    copyFileSync(repoFile('test/fixtures/format-5/login.keychain-db'), path);
    copyFileSync(repoFile('test/fixtures/format-5/login.keychain-db.devicekey'), `${path}.devicekey`);
    chmodSync(`${path}.devicekey`, 0o600);
    const kc = openKeychain({ path });
    assert.equal(kc.passcodeRetryDelay, 0);
    for (let i = 0; i < 3; i++) assert.equal(kc.unlock('wrong'), errSecAuthFailed);
    assert.ok(kc.passcodeRetryDelay > 0, 'the fifth wrong passcode disables entry');
    kc.close();
  });

  it('the right passcode clears the count it took', () => {
    const t = new TempKeychain('123456');
    for (let i = 0; i < 4; i++) t.kc.unlock('000000');
    assert.equal(t.kc.unlock('123456'), errSecSuccess);
    for (let i = 0; i < 4; i++) assert.equal(t.kc.unlock('000000'), errSecAuthFailed);
    assert.equal(t.kc.passcodeRetryDelay, 0);
    t.cleanup();
  });
});
