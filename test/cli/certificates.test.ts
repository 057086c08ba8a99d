/**
 * The certificate, key and identity commands against
 * ../shared/reference/security-cli.md §2.5 and Apple's SecurityTool texts.
 * Material is made with openssl in the run.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pemBlocks, pemEncode } from '../../src/cli/certs/pem.js';
import { writePkcs12 } from '../../src/cli/certs/pkcs12-write.js';
import { certificateFacts, digestHex } from '../../src/cli/certs/x509.js';
import { makeHome, run } from './helpers.js';
import type { Home } from './helpers.js';

function openssl(cwd: string, ...args: string[]): string {
  return execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `openssl x509 -fingerprint` as the uppercase hex `-Z` prints. */
function fingerprint(cwd: string, file: string, digest: 'sha1' | 'sha256'): string {
  return openssl(cwd, 'x509', '-in', file, '-noout', '-fingerprint', `-${digest}`).trim().split('=')[1].replaceAll(':', '');
}

describe('certificate material', () => {
  let dir: string;
  let home: Home;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'secitem-certs-'));
    openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=Test Root CA', '-days', '30');
    openssl(dir, 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr',
      '-subj', '/CN=Leaf Signer/emailAddress=leaf@example.com');
    openssl(dir, 'x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'leaf.pem', '-days', '10');
    openssl(dir, 'x509', '-in', 'ca.pem', '-outform', 'DER', '-out', 'ca.der');
    openssl(dir, 'pkcs12', '-export', '-in', 'leaf.pem', '-inkey', 'leaf.key', '-certfile', 'ca.pem', '-name', 'Leaf Signer', '-passout', 'pass:s3cret', '-out', 'leaf.p12');
    openssl(dir, 'pkcs12', '-export', '-legacy', '-in', 'leaf.pem', '-inkey', 'leaf.key', '-passout', 'pass:old', '-out', 'legacy.p12');
    home = makeHome();
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    home.cleanup();
  });

  test('PEM armour is 64-column base64 between BEGIN and END lines, and reads back', () => {
    const der = readFileSync(join(dir, 'ca.der'));
    const pem = pemEncode('CERTIFICATE', der);
    assert.equal(pem, readFileSync(join(dir, 'ca.pem'), 'latin1'));
    assert.deepEqual(Buffer.from(pemBlocks(Buffer.from(pem))[0].der), der);
  });

  test('the SHA-1 and SHA-256 hashes are openssl\'s fingerprints; e-mail addresses and the last common name are read', () => {
    const der = pemBlocks(readFileSync(join(dir, 'leaf.pem')))[0].der;
    assert.equal(digestHex('sha1', der), fingerprint(dir, 'leaf.pem', 'sha1'));
    assert.equal(digestHex('sha256', der), fingerprint(dir, 'leaf.pem', 'sha256'));
    const facts = certificateFacts(der);
    assert.equal(facts.commonName, 'Leaf Signer');
    assert.deepEqual(facts.emailAddresses, ['leaf@example.com']);
  });

  test('export -f pkcs12 output opens with openssl pkcs12 (PBES2 AES-256-CBC, SHA-256 MAC) and holds the certificate and key', () => {
    const cert = pemBlocks(readFileSync(join(dir, 'leaf.pem')))[0].der;
    const key = createPrivateKey(readFileSync(join(dir, 'leaf.key')));
    writeFileSync(join(dir, 'written.p12'), writePkcs12([{ certificate: cert, privateKey: key, friendlyName: 'Leaf Signer' }], 'pw'));
    const info = execFileSync('openssl', ['pkcs12', '-in', 'written.p12', '-passin', 'pass:pw', '-nodes', '-info'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.match(info, /friendlyName: Leaf Signer/);
    assert.match(info, /BEGIN CERTIFICATE/);
    assert.match(info, /BEGIN PRIVATE KEY/);
    assert.throws(() => execFileSync('openssl', ['pkcs12', '-in', 'written.p12', '-passin', 'pass:wrong', '-nodes'], { cwd: dir, stdio: 'ignore' }));
  });

  test('an empty passphrase writes a file openssl opens with pass:', () => {
    const cert = pemBlocks(readFileSync(join(dir, 'leaf.pem')))[0].der;
    writeFileSync(join(dir, 'empty.p12'), writePkcs12([{ certificate: cert }], ''));
    const out = openssl(dir, 'pkcs12', '-in', 'empty.p12', '-passin', 'pass:', '-nodes');
    assert.match(out, /BEGIN CERTIFICATE/);
  });

  test('find-certificate without -a exits 44 when nothing matches; with -a it prints nothing and exits 0', async () => {
    const one = await run(home, 'find-certificate', '-c', 'nobody');
    assert.deepEqual([one.code, one.stdout, one.stderr], [44, '', 'secitem: SecKeychainSearchCopyNext: The specified item could not be found in the keychain.\n']);
    const all = await run(home, 'find-certificate', '-a', '-c', 'nobody');
    assert.deepEqual([all.code, all.stdout, all.stderr], [0, '', '']);
  });

  test('find-identity on a keychain without identities prints the basic policy block with zero counts', async () => {
    const r = await run(home, 'find-identity');
    assert.deepEqual([r.code, r.stderr], [0, '']);
    assert.equal(r.stdout, '\nPolicy: X.509 Basic\n  Matching identities\n     0 identities found\n\n  Valid identities only\n     0 valid identities found\n');
    const v = await run(home, 'find-identity', '-v', '-p', 'codesigning');
    assert.equal(v.stdout, '     0 valid identities found\n');
  });

  test('find-identity -p with an unknown policy is a usage error (exit 2)', async () => {
    const r = await run(home, 'find-identity', '-p', 'bogus');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^Usage: find-identity /);
  });

  test('delete-certificate needs -c or -Z (usage, exit 2) and reports no match without a newline, exit 1', async () => {
    assert.equal((await run(home, 'delete-certificate')).code, 2);
    const r = await run(home, 'delete-certificate', '-c', 'nobody');
    assert.deepEqual([r.code, r.stderr], [1, 'Unable to delete certificate matching "nobody"']);
  });

  test('create-keypair refuses dh/dsa/fee with exit 1 and an unknown algorithm with the usage (exit 2)', async () => {
    const dsa = await run(home, 'create-keypair', '-a', 'dsa', 'k');
    assert.deepEqual([dsa.code, dsa.stderr], [1, 'secitem: create-keypair: dsa keys are not supported (use rsa or ec)\n']);
    const bad = await run(home, 'create-keypair', '-a', 'x', 'k');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^secitem: Invalid algorithm: x\nUsage: create-keypair /);
  });

  test('find-key with no match reports SecItemCopyMatching and exits 1', async () => {
    const r = await run(home, 'find-key', '-l', 'nothing');
    assert.deepEqual([r.code, r.stderr], [1, 'secitem: SecItemCopyMatching: The specified item could not be found in the keychain.\n']);
  });

  test('import of a missing file: Error reading infile, exit 1; import without a file: usage', async () => {
    const r = await run(home, 'import', join(dir, 'missing.p12'));
    assert.deepEqual([r.code, r.stderr], [1, `secitem: Error reading infile ${join(dir, 'missing.p12')}: No such file or directory\n`]);
    assert.equal((await run(home, 'import')).code, 2);
  });

  test('export with an unknown type or format is a usage error; -v hides -P', async () => {
    assert.equal((await run(home, 'export', '-t', 'everything')).code, 2);
    assert.equal((await run(home, 'export', '-f', 'zip')).code, 2);
    const v = await run(home, '-v', 'export', '-t', 'bogus', '-P', 'topsecret');
    assert.match(v.stderr, /^export "-t" "bogus" "-P" "\*\*\*\*\*\*\*\*"\n/);
  });

  // ── flows through the engine's certificate objects ────────────────────────

  test('add-certificates then find-certificate -a -Z -p: hashes are openssl\'s fingerprints, PEM is the input', async () => {
    assert.deepEqual(await run(home, 'add-certificates', join(dir, 'ca.pem'), join(dir, 'leaf.pem')).then((r) => [r.code, r.stderr]), [0, '']);
    const r = await run(home, 'find-certificate', '-a', '-Z', '-p', '-c', 'root');
    assert.equal(r.code, 0);
    assert.equal(
      r.stdout,
      `SHA-256 hash: ${fingerprint(dir, 'ca.pem', 'sha256')}\nSHA-1 hash: ${fingerprint(dir, 'ca.pem', 'sha1')}\n${readFileSync(join(dir, 'ca.pem'), 'latin1')}`,
    );
    const dup = await run(home, 'add-certificates', join(dir, 'ca.der'));
    assert.deepEqual([dup.code, dup.stderr], [1, `secitem: ${join(dir, 'ca.der')}: already in default keychain\n`]);
    const block = await run(home, 'find-certificate', '-c', 'Leaf', '-m');
    assert.match(block.stdout, /^email addresses: leaf@example.com\nkeychain: ".*"\nversion: 512\nclass: 0x80001000 \nattributes:\n {4}"alis"<blob>=/);
  });

  test('import of a PKCS#12 file reports the identity and the rest of its chain; find-identity lists it', async () => {
    const r = await run(home, 'import', join(dir, 'leaf.p12'), '-P', 's3cret');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^1 identity imported\.\n/);
    const f = await run(home, 'find-identity', '-v');
    assert.equal(f.stdout, `  1) ${fingerprint(dir, 'leaf.pem', 'sha1')} "Leaf Signer"\n     1 valid identities found\n`);
    const wrong = await run(home, 'import', join(dir, 'legacy.p12'), '-P', 'nope');
    assert.deepEqual([wrong.code, wrong.stderr], [1, 'secitem: SecKeychainItemImport: MAC verification failed during PKCS12 import (wrong password?)\n']);
  });

  test('-v hides the passphrase of import, whose options follow its input file (issue 14, hole 6)', async () => {
    const file = join(dir, 'legacy.p12');
    for (const words of [['-P', 'topsecret'], ['-Ptopsecret'], ['-a', 'name', 'value', '-P', 'topsecret'], ['-f', 'pkcs12', '-P', 'topsecret']]) {
      const r = await run(home, '-v', 'import', file, ...words);
      assert.ok(!r.stderr.includes('topsecret'), r.stderr);
      assert.match(r.stderr, /^import ".*legacy\.p12" .*"-P(" ")?\*{8}"\n/);
    }
  });

  test('export -t identities -f pkcs12 is reopened by openssl with the same certificate', async () => {
    const out = join(dir, 'exported.p12');
    const r = await run(home, 'export', '-t', 'identities', '-f', 'pkcs12', '-P', 'pw', '-o', out);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^\.\.\.\d+ bytes written to /);
    const pem = openssl(dir, 'pkcs12', '-in', out, '-passin', 'pass:pw', '-nodes', '-clcerts', '-nokeys');
    assert.ok(pem.includes(readFileSync(join(dir, 'leaf.pem'), 'latin1').trim()));
  });

  test('a certificate\'s block: the attributes in ascending tag order, cenc 0x00000003 and ctyp 0x00000001 as macOS prints them (§2.2)', async () => {
    const own = makeHome();
    try {
      assert.equal((await run(own, 'add-certificates', join(dir, 'ca.der'))).code, 0);
      const r = await run(own, 'find-certificate', '-c', 'Test Root CA');
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.split('\n');
      assert.deepEqual(lines.slice(0, 4), [`keychain: "${own.defaultKeychain}"`, 'version: 512', 'class: 0x80001000 ', 'attributes:']);
      assert.deepEqual(lines.slice(4, -1).map((l) => /^ {4}"(\w{4})"<(\w+)>=/.exec(l)?.slice(1, 3).join(' ')),
        ['alis blob', 'cenc uint32', 'ctyp uint32', 'hpky blob', 'issu blob', 'labl blob', 'skid blob', 'snbr blob', 'subj blob']);
      assert.equal(lines[5], '    "cenc"<uint32>=0x00000003 ');
      // A v3 certificate: macOS's file keychain records CSSM_CERT_X_509v1 (every public capture).
      assert.equal(lines[6], '    "ctyp"<uint32>=0x00000001 ');
      assert.equal(lines[9], '    "labl"<blob>="Test Root CA"');
    } finally {
      own.cleanup();
    }
  });

  test('delete-identity removes the certificate and its private key', async () => {
    const r = await run(home, 'delete-identity', '-c', 'Leaf Signer');
    assert.deepEqual([r.code, r.stderr], [0, '']);
    assert.equal((await run(home, 'find-identity', '-v')).stdout, '     0 valid identities found\n');
    assert.equal((await run(home, 'find-certificate', '-c', 'Leaf Signer')).code, 44);
  });
});
