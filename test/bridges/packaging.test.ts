/**
 * The package's `exports` for the bridges, from a project that depends on
 * it (node_modules/secitem a link to this package): `require()` gets the
 * CommonJS bundles, `import` the ESM modules, both working on the same
 * default keychain, with keytar's synchronous argument checks intact; and
 * `secitem/keyring/keytar` (@napi-rs/keyring/keytar) on keyring's bundle.
 */
import { bridgeEnv, home } from './env.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const project = join(home, 'project');
mkdirSync(join(project, 'node_modules'), { recursive: true });
symlinkSync(packageRoot, join(project, 'node_modules', 'secitem'));

function node(file: string, source: string): string {
  writeFileSync(join(project, file), source);
  const r = spawnSync(process.execPath, [file], { cwd: project, env: { ...process.env, ...bridgeEnv }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

it("require('secitem/keytar') and require('secitem/keyring'): CommonJS, no top-level await needed", () => {
  const out = node('use.cjs', `
    const keytar = require('secitem/keytar');
    const { Entry, AsyncEntry, findCredentials, findCredentialsAsync } = require('secitem/keyring');
    let sync;
    try { keytar.setPassword('s', 'a', ''); } catch (e) { sync = e.message; }
    (async () => {
      await keytar.setPassword('cjs service', 'a', 'from cjs');
      const e = new Entry('cjs service', 'b');
      e.setPassword('sync é');
      const shim = require('secitem/keyring/keytar');
      console.log(JSON.stringify([sync, await keytar.getPassword('cjs service', 'b'), e.getPassword(), findCredentials('cjs service').length,
        typeof AsyncEntry, typeof findCredentialsAsync, require.resolve('secitem/keytar').endsWith('keytar.cjs'),
        await shim.getPassword('cjs service', 'a'), shim.findCredentials === findCredentialsAsync,
        // module.exports holds the originals' names and nothing else.
        [keytar, require('secitem/keyring'), shim].map((m) => Object.getOwnPropertyNames(m).sort().join())]));
    })();
  `);
  assert.deepEqual(JSON.parse(out), ['Password is required.', 'sync é', 'sync é', 2, 'function', 'function', true, 'from cjs', true, [
    'deletePassword,findCredentials,findPassword,getPassword,setPassword',
    'AsyncEntry,Entry,findCredentials,findCredentialsAsync',
    'deletePassword,findCredentials,findPassword,getPassword,setPassword',
  ]]);
});

it("import('secitem/keytar') and import('secitem/keyring'): ESM, the same keychain", () => {
  const out = node('use.mjs', `
    import * as keytar from 'secitem/keytar';
    import keytarDefault from 'secitem/keytar';
    import { Entry } from 'secitem/keyring';
    import shim from 'secitem/keyring/keytar';
    console.log(JSON.stringify([await keytar.getPassword('cjs service', 'a'), await keytarDefault.findCredentials('cjs service'), new Entry('cjs service', 'a').getPassword(),
      import.meta.resolve('secitem/keytar').endsWith('keytar.js') && (await shim.getPassword('cjs service', 'b')) === 'sync é']));
  `);
  const [a, found, sync, esm] = JSON.parse(out) as [string, { account: string }[], string, boolean];
  assert.equal(a, 'from cjs');
  assert.deepEqual(found.map((c) => c.account).sort(), ['a', 'b']);
  assert.equal(sync, 'from cjs');
  assert.equal(esm, true);
});

it('the types: a TypeScript project (nodenext, strict) compiles against both entry points of each bridge', () => {
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, lib: ['es2022', 'dom'], types: [] },
    files: ['types.mts', 'types.cts'],
  }));
  writeFileSync(join(project, 'types.mts'), `
    import keytar, { getPassword } from 'secitem/keytar';
    import * as keytarNamespace from 'secitem/keytar';
    import { Entry, AsyncEntry, findCredentials, findCredentialsAsync, type Credential } from 'secitem/keyring';
    import shim from 'secitem/keyring/keytar';
    export const got: Array<Promise<string | null> | Promise<void> | Promise<boolean>> = [getPassword('s', 'a'), keytar.setPassword('s', 'a', 'p'), keytarNamespace.deletePassword('s', 'a')];
    export const sync: [string | null, number[] | null, boolean] = [new Entry('s', 'a').getPassword(), Entry.withTarget('t', 's', 'a').getSecret(), new Entry('s', 'a').deleteCredential()];
    export const asynchronous: Promise<string | undefined> = AsyncEntry.withTarget('t', 's', 'a').getPassword(new AbortController().signal);
    export const found: [Credential[], Promise<Credential[]>, Promise<string | null>] = [findCredentials('s', null), findCredentialsAsync('s'), shim.findPassword('s')];
  `);
  writeFileSync(join(project, 'types.cts'), `
    import keytar = require('secitem/keytar');
    import keyring = require('secitem/keyring');
    import shim = require('secitem/keyring/keytar');
    export const got: [Promise<Array<{ account: string; password: string }>>, string | null, Promise<void>] =
      [keytar.findCredentials('s'), new keyring.Entry('s', 'a').getPassword(), shim.setPassword('s', 'a', 'p')];
  `);
  const tsc = join(packageRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', project], { cwd: project, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

/** Whether Node `version` (x.y.z) is in an `engines.node` range of the forms dependencies use (>=, x.x, ^, ||). */
function nodeSatisfies(version: string, range: string): boolean {
  const v = version.split('.').map(Number);
  const atLeast = (min: string): boolean => {
    const m = min.split('.').map(Number);
    for (let i = 0; i < 3; i++) if ((v[i] ?? 0) !== (m[i] ?? 0)) return (v[i] ?? 0) > (m[i] ?? 0);
    return true;
  };
  return range.split('||').some((clause) => {
    const c = clause.trim();
    let m: RegExpExecArray | null;
    if ((m = /^>=\s*([\d.]+)$/.exec(c))) return atLeast(m[1]);
    if ((m = /^(\d+)\.x$/.exec(c))) return v[0] === Number(m[1]);
    if ((m = /^\^([\d.]+)$/.exec(c))) return v[0] === Number(m[1].split('.')[0]) && atLeast(m[1]);
    throw new Error(`an engines range this test cannot read: ${range}`);
  });
}

it("package.json's engines accept no Node version that a dependency's engines refuse", async () => {
  const { readFileSync } = await import('node:fs');
  const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { engines: { node: string }; dependencies: Record<string, string> };
  const oldest = /^>=(\d+\.\d+\.\d+)$/.exec(pkg.engines.node)?.[1];
  assert.ok(oldest !== undefined, `engines.node should read >=x.y.z, not ${pkg.engines.node}`);
  for (const dep of Object.keys(pkg.dependencies)) {
    const range = (JSON.parse(readFileSync(join(packageRoot, 'node_modules', dep, 'package.json'), 'utf8')) as { engines?: { node?: string } }).engines?.node;
    if (range !== undefined) assert.ok(nodeSatisfies(oldest, range), `${dep} needs Node ${range}; secitem says >=${oldest}`);
  }
  assert.ok(nodeSatisfies(process.versions.node, pkg.engines.node));
});
