/**
 * The tamper, crash and fuzz harnesses over certificates, keys and
 * identities (issue 15 acceptance): a tampered key row is never used (it
 * answers errSecDecode or is absent, as Apple skips undecodable rows); an
 * identity add killed at any moment leaves both halves or neither; random
 * kSecValueRef dictionaries only ever answer documented OSStatus values.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import {
  SecCertificateCreateWithData,
  SecIdentity,
  SecKey,
  SecKeyCreateSignature,
  errSecSuccess,
  kSecKeyAlgorithmECDSASignatureMessageX962SHA256,
  knownStatuses,
} from '../../src/index.js';
import { REPO_ROOT, TempKeychain, statusName } from '../helpers.js';

const cleanups: (() => void)[] = [];
after(() => {
  for (const c of cleanups) c();
});

function temp(): TempKeychain {
  const tk = new TempKeychain();
  cleanups.push(() => tk.cleanup());
  return tk;
}

/** A self-signed EC certificate and its private key, made with openssl. */
function identity(dir: string, cn: string): SecIdentity {
  const key = join(dir, `${cn}.key`);
  const der = join(dir, `${cn}.der`);
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-outform', 'DER', '-out', der, '-subj', `/CN=${cn}`, '-days', '2'], { encoding: 'utf8' });
  assert.equal(made.status, 0, `openssl (needed by this test) failed: ${made.stderr}`);
  const cert = SecCertificateCreateWithData(new Uint8Array(spawnSync('cat', [der]).stdout));
  assert.ok(cert);
  const pem = spawnSync('cat', [key], { encoding: 'utf8' }).stdout;
  const privateKey = SecKey.fromPrivateKeyObject(createPrivateKey(pem), (k) => createPublicKey(k));
  return new SecIdentity(cert, privateKey);
}


describe('tampered key rows are never used', () => {
  for (const [what, tamper] of [
    ['a flipped byte in the key row\'s blob', (db: Database.Database, rowid: number) => {
      const row = db.prepare('SELECT blob FROM keys WHERE rowid = ?').get(rowid) as { blob: Buffer };
      row.blob[row.blob.length - 5] ^= 1;
      db.prepare('UPDATE keys SET blob = ? WHERE rowid = ?').run(row.blob, rowid);
    }],
    ['the key row\'s blob replaced by another key\'s', (db: Database.Database, rowid: number) => {
      const other = db.prepare('SELECT blob FROM keys WHERE rowid != ? LIMIT 1').get(rowid) as { blob: Buffer };
      db.prepare('UPDATE keys SET blob = ? WHERE rowid = ?').run(other.blob, rowid);
    }],
  ] as const) {
    it(`${what}: the key answers errSecDecode or is absent; the identity is not formed; the other identity still signs`, () => {
      const tk = temp();
      const app = tk.client();
      const [a, b] = [identity(tk.dir, 'tamper-a'), identity(tk.dir, 'tamper-b')];
      for (const [id, label] of [[a, 'a'], [b, 'b']] as const) assert.equal(app.SecItemAdd({ v_Ref: id, labl: label }).status, errSecSuccess);
      tk.kc.close();
      const db = new Database(tk.path);
      const rows = db.prepare('SELECT rowid FROM keys ORDER BY rowid').all() as { rowid: number }[];
      tamper(db, rows[0]!.rowid);
      db.close();
      tk.reopen();
      const app2 = tk.client();
      const key = app2.SecItemCopyMatching({ class: 'keys', labl: 'a', r_Ref: true });
      assert.notEqual(key.status, errSecSuccess, 'the tampered key was returned');
      assert.ok([-26275, -25300].includes(key.status), statusName(key.status));
      assert.notEqual(app2.SecItemCopyMatching({ class: 'idnt', labl: 'a', r_Ref: true }).status, errSecSuccess);
      const other = app2.SecItemCopyMatching({ class: 'idnt', labl: 'b', r_Ref: true });
      assert.equal(other.status, errSecSuccess, statusName(other.status));
      const signed = SecKeyCreateSignature((other.result as SecIdentity).privateKey, kSecKeyAlgorithmECDSASignatureMessageX962SHA256, new Uint8Array([1, 2, 3]));
      assert.ok(signed.value, signed.error?.message);
    });
  }
});

/** Runs the adder and SIGKILLs it once it has reported `adds` acknowledged adds (or when it ends by itself). */
function killAfterAdds(script: string, args: string[], adds: number): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let seen = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString('latin1').split('.').length - 1;
      if (seen >= adds) child.kill('SIGKILL');
    });
    child.on('exit', () => resolve());
  });
}

describe('crash: an identity add killed at any moment', () => {
  it('leaves its certificate and its key together, or neither (SIGKILL during 40 adds, 3 runs)', async () => {
    const tk = temp();
    tk.kc.close();
    const script = join(tk.dir, 'adder.mjs');
    writeFileSync(script, `
      import { openKeychain, SecCertificateCreateWithData, SecKey, SecIdentity } from ${JSON.stringify(join(REPO_ROOT, 'dist/src/index.js'))};
      import { generateKeyPairSync, createPublicKey, X509Certificate } from 'node:crypto';
      import { execFileSync } from 'node:child_process';
      import { readFileSync } from 'node:fs';
      const kc = openKeychain({ path: process.argv[2] });
      const app = kc.client({ applicationIdentifier: 'SKMME9E2Y8.com.example.app' });
      for (let i = 0; i < 40; i++) {
        const base = process.argv[3] + '/c' + process.pid + '-' + i;
        execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', base + '.key', '-outform', 'DER', '-out', base + '.der', '-subj', '/CN=crash' + i, '-days', '2'], { stdio: 'ignore' });
        const cert = SecCertificateCreateWithData(readFileSync(base + '.der'));
        const { createPrivateKey } = await import('node:crypto');
        const key = SecKey.fromPrivateKeyObject(createPrivateKey(readFileSync(base + '.key')), (k) => createPublicKey(k));
        app.SecItemAdd({ v_Ref: new SecIdentity(cert, key) });
        process.stdout.write('.');
      }
    `);
    let added = 0;
    for (let run = 0; run < 3; run++) {
      // Killed once it has acknowledged a few adds (a number, not a time: the machine's speed does not matter),
      // while it is most likely in the middle of the next one.
      await killAfterAdds(script, [tk.path, tk.dir], 2 + run * 3);
      tk.reopen();
      const app = tk.client();
      const count = (cls: string): number => {
        const r = app.SecItemCopyMatching({ class: cls, m_Limit: 'm_LimitAll', r_Attributes: true });
        return r.status === errSecSuccess ? (r.result as unknown[]).length : 0;
      };
      const certs = count('cert');
      assert.equal(count('keys'), certs, 'every certificate has its key and every key its certificate');
      assert.equal(count('idnt'), certs, 'every pair forms an identity');
      added = certs;
      tk.kc.close();
    }
    assert.ok(added > 0, 'the killed processes added identities before they were killed');
  });
});

describe('fuzz: kSecValueRef dictionaries', () => {
  it('2,000 random dictionaries with objects, junk and attributes answer documented OSStatus values and never throw', () => {
    const tk = temp();
    const app = tk.client();
    const id = identity(tk.dir, 'fuzz');
    const objects = [id, id.certificate, id.privateKey, 42, 'cert', new Uint8Array([48, 3, 2, 1, 0]), {}, null, [id]];
    const value = fc.oneof(fc.constantFrom(...objects), fc.string(), fc.integer(), fc.boolean(), fc.uint8Array({ maxLength: 40 }));
    const key = fc.constantFrom('class', 'v_Ref', 'labl', 'klbl', 'pkhh', 'issr', 'atag', 'accc', 'r_Ref', 'r_Data', 'r_Attributes', 'r_PersistentRef', 'm_Limit', 'kcls', 'sync', 'agrp', 'tkid');
    const dictionary = fc.dictionary(key, value, { maxKeys: 6 });
    const known = new Set(knownStatuses);
    fc.assert(
      fc.property(dictionary, fc.constantFrom('add', 'copy', 'update', 'delete'), (d, fn) => {
        const status =
          fn === 'add' ? app.SecItemAdd(d).status
          : fn === 'copy' ? app.SecItemCopyMatching(d).status
          : fn === 'update' ? app.SecItemUpdate(d, { labl: 'x' })
          : app.SecItemDelete(d);
        assert.ok(known.has(status), `${fn} answered an undocumented ${status}`);
        assert.notEqual(status, -2070, `${fn} failed unexpectedly (errSecInternalComponent) on ${Object.keys(d).join(',')}`);
      }),
      { numRuns: 2000, seed: 0x0b1ec7 },
    );
  });
});
