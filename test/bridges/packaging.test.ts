/**
 * The package's `exports` for the bridges, from a project that depends on
 * it (node_modules/secitem a link to this package): `require()` gets the
 * CommonJS bundles, `import` the ESM modules, both working on the same
 * default keychain, with keytar's synchronous argument checks intact.
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
      console.log(JSON.stringify([sync, await keytar.getPassword('cjs service', 'b'), e.getPassword(), findCredentials('cjs service').length,
        typeof AsyncEntry, typeof findCredentialsAsync, require.resolve('secitem/keytar').endsWith('keytar.cjs')]));
    })();
  `);
  assert.deepEqual(JSON.parse(out), ['Password is required.', 'sync é', 'sync é', 2, 'function', 'function', true]);
});

it("import('secitem/keytar') and import('secitem/keyring'): ESM, the same keychain", () => {
  const out = node('use.mjs', `
    import * as keytar from 'secitem/keytar';
    import keytarDefault from 'secitem/keytar';
    import { Entry } from 'secitem/keyring';
    console.log(JSON.stringify([await keytar.getPassword('cjs service', 'a'), await keytarDefault.findCredentials('cjs service'), new Entry('cjs service', 'a').getPassword(),
      import.meta.resolve('secitem/keytar').endsWith('keytar.js')]));
  `);
  const [a, found, sync, esm] = JSON.parse(out) as [string, { account: string }[], string, boolean];
  assert.equal(a, 'from cjs');
  assert.deepEqual(found.map((c) => c.account).sort(), ['a', 'b']);
  assert.equal(sync, 'from cjs');
  assert.equal(esm, true);
});
