/**
 * `item class=idnt` (listing, -j, -p, -D, -a refused), `item class=cert`'s
 * data, and `import` of bare PEM and DER certificates and keys (PKCS#8,
 * SEC 1, PKCS#1, SubjectPublicKeyInfo, encrypted PKCS#8, several blocks in
 * one file), with the identity a key and its certificate form. Material is
 * made with openssl in the run.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { pemBlocks } from '../../src/cli/certs/pem.js';
import { makeHome, run } from './helpers.js';
import type { Home } from './helpers.js';

function openssl(cwd: string, ...args: string[]): string {
  return execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function fingerprint(cwd: string, file: string): string {
  return openssl(cwd, 'x509', '-in', file, '-noout', '-fingerprint', '-sha1').trim().split('=')[1].replaceAll(':', '');
}

function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout.trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

const DUPLICATE = 'secitem: SecKeychainItemImport: The specified item already exists in the keychain.\n';
const UNSUPPORTED = 'secitem: SecKeychainItemImport: Import/Export format unsupported.\n';
const UNDECODABLE = 'secitem: SecKeychainItemImport: Unable to decode the provided data.\n';

let dir: string;
let home: Home;
const f = (name: string): string => join(dir, name);

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'secitem-idnt-'));
  // An EC leaf (key as PKCS#8 PEM), a second certificate on the same key, a CA, an RSA key.
  openssl(dir, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.pem',
    '-subj', '/CN=Leaf Signer', '-days', '10');
  openssl(dir, 'req', '-x509', '-key', 'leaf.key', '-out', 'twin.pem', '-subj', '/CN=Twin Signer', '-days', '10');
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=Test Root CA', '-days', '10');
  openssl(dir, 'x509', '-in', 'leaf.pem', '-outform', 'DER', '-out', 'leaf.der');
  openssl(dir, 'ec', '-in', 'leaf.key', '-out', 'leaf-sec1.pem');
  openssl(dir, 'pkcs8', '-topk8', '-nocrypt', '-in', 'leaf.key', '-outform', 'DER', '-out', 'leaf-pkcs8.der');
  openssl(dir, 'pkcs8', '-topk8', '-in', 'leaf.key', '-v2', 'aes-256-cbc', '-passout', 'pass:pw', '-out', 'leaf-enc.pem');
  openssl(dir, 'pkey', '-in', 'leaf.key', '-pubout', '-out', 'leaf-pub.pem');
  openssl(dir, 'pkey', '-in', 'leaf.key', '-pubout', '-outform', 'DER', '-out', 'leaf-pub.der');
  openssl(dir, 'rsa', '-in', 'ca.key', '-traditional', '-out', 'ca-pkcs1.pem');
  assert.match(readFileSync(f('leaf-sec1.pem'), 'latin1'), /^-----BEGIN EC PRIVATE KEY-----\n/);
  assert.match(readFileSync(f('ca-pkcs1.pem'), 'latin1'), /^-----BEGIN RSA PRIVATE KEY-----\n/);
  writeFileSync(f('bundle.pem'), readFileSync(f('leaf.pem'), 'latin1') + readFileSync(f('leaf.key'), 'latin1'));
  writeFileSync(f('chain.pem'), readFileSync(f('ca.pem'), 'latin1') + 'text between blocks\n' + readFileSync(f('leaf.pem'), 'latin1'));
});
after(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  home = makeHome();
});
afterEach(() => home.cleanup());

/** The private key of the keychain, as export -t privKeys -f openssl writes it, in PKCS#8 PEM for comparison. */
async function exportedPrivateKey(): Promise<string> {
  const r = await run(home, 'export', '-t', 'privKeys', '-f', 'openssl', '-p');
  assert.equal(r.code, 0, r.stderr);
  return createPrivateKey(r.stdout).export({ format: 'pem', type: 'pkcs8' }) as string;
}

const pkcs8Of = (file: string, passphrase?: string): string =>
  createPrivateKey({ key: readFileSync(f(file)), passphrase }).export({ format: 'pem', type: 'pkcs8' }) as string;

describe('import: bare PEM and DER keys and certificates', () => {
  for (const [file, what] of [
    ['leaf.key', 'PKCS#8 PEM (PRIVATE KEY)'],
    ['leaf-sec1.pem', 'SEC 1 PEM (EC PRIVATE KEY)'],
    ['leaf-pkcs8.der', 'PKCS#8 DER'],
    ['ca-pkcs1.pem', 'PKCS#1 PEM (RSA PRIVATE KEY)'],
  ] as const) {
    test(`a private key as ${what}: "1 key imported.", the same key comes back out`, async () => {
      const r = await run(home, 'import', f(file));
      assert.deepEqual([r.code, r.stdout, r.stderr], [0, '1 key imported.\n', '']);
      assert.equal(await exportedPrivateKey(), pkcs8Of(file.startsWith('ca') ? 'ca.key' : 'leaf.key'));
      const [key] = jsonLines((await run(home, 'item', '-j', 'class=keys')).stdout);
      assert.deepEqual([key.kcls, key.labl], [1, 'Imported Private Key']);
    });
  }

  test('an encrypted PKCS#8 key opens with -P; a wrong passphrase is refused', async () => {
    const wrong = await run(home, 'import', f('leaf-enc.pem'), '-P', 'nope');
    assert.deepEqual([wrong.code, wrong.stderr], [1, 'secitem: SecKeychainItemImport: The user name or passphrase you entered is not correct.\n']);
    const r = await run(home, 'import', f('leaf-enc.pem'), '-f', 'pkcs8', '-P', 'pw');
    assert.deepEqual([r.code, r.stdout], [0, '1 key imported.\n']);
    assert.equal(await exportedPrivateKey(), pkcs8Of('leaf.key'));
  });

  for (const file of ['leaf-pub.pem', 'leaf-pub.der']) {
    test(`a public key (${file}) is one key, labelled "Imported Public Key"`, async () => {
      const r = await run(home, 'import', f(file), '-t', 'pub');
      assert.deepEqual([r.code, r.stdout, r.stderr], [0, '1 key imported.\n', '']);
      const [key] = jsonLines((await run(home, 'item', '-j', 'class=keys')).stdout);
      assert.deepEqual([key.kcls, key.labl, key.type], [0, 'Imported Public Key', 73]);
      const out = await run(home, 'export', '-t', 'pubKeys', '-f', 'openssl', '-p');
      assert.equal(out.stdout, createPublicKey(readFileSync(f('leaf-pub.pem'))).export({ format: 'pem', type: 'spki' }));
    });
  }

  test('certificates: DER, and a PEM chain with text between blocks ("2 certificates imported.")', async () => {
    assert.deepEqual(await run(home, 'import', f('leaf.der')).then((r) => [r.code, r.stdout]), [0, '1 certificate imported.\n']);
    const other = makeHome();
    try {
      const r = await run(other, 'import', f('chain.pem'), '-f', 'pemseq', '-t', 'agg');
      assert.deepEqual([r.code, r.stdout, r.stderr], [0, '2 certificates imported.\n', '']);
    } finally {
      other.cleanup();
    }
  });

  test('a certificate and its key in one PEM file: keys line, then certificates line; the identity is listed', async () => {
    const r = await run(home, 'import', f('bundle.pem'));
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '1 key imported.\n1 certificate imported.\n', '']);
    const ids = await run(home, 'find-identity', '-v');
    assert.equal(ids.stdout, `  1) ${fingerprint(dir, 'leaf.pem')} "Leaf Signer"\n     1 valid identities found\n`);
  });

  test('a key whose certificate is already in the keychain forms an identity', async () => {
    assert.equal((await run(home, 'import', f('leaf.pem'))).code, 0);
    assert.equal((await run(home, 'find-identity', '-v')).stdout, '     0 valid identities found\n');
    assert.equal((await run(home, 'import', f('leaf-sec1.pem'))).stdout, '1 key imported.\n');
    assert.match((await run(home, 'find-identity', '-v')).stdout, /"Leaf Signer"\n {5}1 valid identities found\n$/);
  });

  test('a duplicate fails the import (exit 1) and leaves nothing of it behind', async () => {
    assert.equal((await run(home, 'import', f('leaf.key'))).code, 0);
    const again = await run(home, 'import', f('leaf-pkcs8.der'));
    assert.deepEqual([again.code, again.stdout, again.stderr], [1, '', DUPLICATE]);
    // The bundle's certificate is new, its key is not: the certificate is not kept either.
    const bundle = await run(home, 'import', f('bundle.pem'));
    assert.deepEqual([bundle.code, bundle.stdout, bundle.stderr], [1, '', DUPLICATE]);
    assert.equal((await run(home, 'item', 'class=cert')).code, 44);
    const cert = await run(home, 'import', f('leaf.pem'));
    assert.equal(cert.code, 0);
    assert.deepEqual(await run(home, 'import', f('leaf.der')).then((r) => [r.code, r.stderr]), [1, DUPLICATE]);
  });

  test('-t and -f that the data contradicts, formats without a reader, data that is nothing', async () => {
    assert.deepEqual(await run(home, 'import', f('leaf.key'), '-t', 'cert').then((r) => [r.code, r.stderr]), [1, UNSUPPORTED]);
    assert.deepEqual(await run(home, 'import', f('leaf.pem'), '-f', 'openssl').then((r) => [r.code, r.stderr]), [1, UNSUPPORTED]);
    assert.deepEqual(await run(home, 'import', f('ca-pkcs1.pem'), '-f', 'pkcs8').then((r) => [r.code, r.stderr]), [1, UNSUPPORTED]);
    // DER is guessed within what -t allows: a certificate read as a public key is nothing.
    assert.deepEqual(await run(home, 'import', f('leaf.der'), '-t', 'pub').then((r) => [r.code, r.stderr]), [1, UNDECODABLE]);
    assert.deepEqual(await run(home, 'import', f('leaf.der'), '-f', 'pemseq').then((r) => [r.code, r.stderr]), [1, UNDECODABLE]);
    assert.deepEqual(
      await run(home, 'import', f('leaf.key'), '-f', 'openssh1').then((r) => [r.code, r.stderr]),
      [1, 'secitem: SecKeychainItemImport: Function or operation not implemented.\n'],
    );
    writeFileSync(f('junk.bin'), Buffer.from('not a key at all'));
    assert.deepEqual(await run(home, 'import', f('junk.bin')).then((r) => [r.code, r.stderr]), [1, UNDECODABLE]);
    assert.equal((await run(home, 'item', 'class=keys')).code, 44);
  });
});

describe('item class=cert|keys|idnt', () => {
  test('class=cert -g prints the DER as uppercase hex, -j as base64', async () => {
    await run(home, 'import', f('leaf.pem'));
    const der = readFileSync(f('leaf.der'));
    const g = await run(home, 'item', '-g', 'class=cert');
    assert.ok(g.stdout.includes(`v_Data     : ${der.toString('hex').toUpperCase()}\n`), g.stdout);
    const [cert] = jsonLines((await run(home, 'item', '-j', '-g', 'class=cert')).stdout);
    assert.deepEqual([cert.class, cert.labl, cert.v_Data], ['cert', 'Leaf Signer', { base64: der.toString('base64') }]);
    assert.deepEqual(Buffer.from(pemBlocks(readFileSync(f('leaf.pem')))[0].der), der);
  });

  test('class=idnt lists the identity: the key\'s attributes overwritten by the certificate\'s', async () => {
    assert.equal((await run(home, 'import', f('bundle.pem'))).code, 0);
    const text = await run(home, 'item', 'class=idnt');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^class {6}: idnt$/m);
    assert.match(text.stdout, /^labl {7}: Leaf Signer$/m);
    assert.match(text.stdout, /^kcls {7}: 1$/m);
    assert.equal(text.stdout.split('====\n').length, 2);
    const [id] = jsonLines((await run(home, 'item', '-j', 'class=idnt')).stdout);
    assert.equal(id.class, 'idnt');
    assert.equal(id.labl, 'Leaf Signer');
    assert.deepEqual([id.kcls, id.type, id.sync, id.ctyp], [1, 73, false, 3]);
    assert.deepEqual(id.pkhh, id.klbl);
    const pref = Buffer.from((id.v_PersistentRef as { base64: string }).base64, 'base64');
    assert.equal(pref.subarray(0, 4).toString('latin1'), 'idnt');
    // Values are typed by the join's schema: pkhh as <hex> data names the certificate's hash.
    const hex = Buffer.from((id.pkhh as { base64: string }).base64, 'base64').toString('hex');
    assert.equal(jsonLines((await run(home, 'item', '-j', `class=idnt,pkhh=<${hex}>`)).stdout).length, 1);
    assert.equal((await run(home, 'item', '-j', 'class=idnt,pkhh=<00>')).code, 44);
    // -p with the printed reference finds it again.
    const byRef = await run(home, 'item', '-j', '-p', pref.toString('base64'));
    assert.deepEqual(jsonLines(byRef.stdout), [id]);
  });

  test('class=idnt -D deletes the certificate and the key, unless another certificate uses the key', async () => {
    assert.equal((await run(home, 'import', f('bundle.pem'))).code, 0);
    assert.equal((await run(home, 'import', f('twin.pem'))).code, 0);
    assert.equal(jsonLines((await run(home, 'item', '-j', 'class=idnt')).stdout).length, 2);
    const d = await run(home, 'item', '-D', 'class=idnt,labl=Leaf Signer');
    assert.deepEqual([d.code, d.stdout, d.stderr], [0, '', '']);
    const left = jsonLines((await run(home, 'item', '-j', 'class=idnt')).stdout);
    assert.deepEqual(left.map((i) => i.labl), ['Twin Signer']);
    assert.equal(jsonLines((await run(home, 'item', '-j', 'class=keys')).stdout).length, 1);
    assert.equal((await run(home, 'item', '-D', 'class=idnt')).code, 0);
    assert.equal((await run(home, 'item', 'class=keys')).code, 44);
    assert.equal((await run(home, 'item', 'class=cert')).code, 44);
    const none = await run(home, 'item', '-D', 'class=idnt');
    assert.deepEqual([none.code, none.stderr], [44, 'secitem: SecItemDelete: The specified item could not be found in the keychain.\n']);
    assert.equal((await run(home, 'item', 'class=idnt')).code, 44);
  });

  test('-a class=idnt is a usage error: identities are added by reference', async () => {
    const r = await run(home, 'item', '-a', 'class=idnt,labl=x');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^secitem: item: class=idnt cannot be added: an identity is its certificate and its private key;.*\nUsage: item /);
    assert.equal((await run(home, 'item', 'class=keys')).code, 44);
  });
});
