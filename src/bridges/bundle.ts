/**
 * Builds what package.json names for the bridges, after tsc (`npm run build`):
 *
 * - dist/src/bridges/keytar.cjs, keyring.cjs: the `require` entries of
 *   `secitem/keytar` and `secitem/keyring`, each the ESM module bundled as
 *   CommonJS with the engine it needs (node 20 cannot require() ESM, and
 *   keyring's `Entry` and both modules' argument checks are synchronous, so
 *   a wrapper that import()s the ESM inside each function would not do);
 *   their types, keytar.d.cts and keyring.d.cts, are tsc's declarations.
 *   `module.exports` is the module's default export, a plain object of the
 *   original's names and nothing else (no `default`, no `__esModule`), as
 *   the originals' `module.exports` are.
 * - dist/src/bridges/keyring-keytar.cjs: `secitem/keyring/keytar`'s, which
 *   requires keyring.cjs (one engine for both, as their ESM modules share).
 * - dist/src/bridges/git-credential-secitem.js: the helper git runs, one
 *   ESM file (it replaces tsc's output), so that it starts fast.
 *
 * node's builtins and the package's dependencies (better-sqlite3 and its
 * native addon, …) stay outside: they are loaded from node_modules.
 * @module
 */
import { build } from 'esbuild';
import { copyFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/src/bridges/bundle.js → the package root. */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const source = join(root, 'src', 'bridges');
const out = join(root, 'dist', 'src', 'bridges');

/** The CommonJS bundles' module.exports: the default export alone (see above). */
const defaultAsExports = { js: 'module.exports = module.exports.default;' };

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  packages: 'external',
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  logLevel: 'warning',
} as const;

for (const name of ['keytar', 'keyring']) {
  await build({
    ...common,
    format: 'cjs',
    entryPoints: [join(source, `${name}.ts`)],
    outfile: join(out, `${name}.cjs`),
    // The engine's ES modules find files beside themselves with import.meta.url, which CommonJS lacks: the bundle's own URL stands in.
    define: { 'import.meta.url': 'secitemBundleUrl' },
    banner: { js: "const secitemBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    footer: defaultAsExports,
  });
  copyFileSync(join(out, `${name}.d.ts`), join(out, `${name}.d.cts`));
}

await build({
  ...common,
  format: 'cjs',
  entryPoints: [join(source, 'keyring-keytar.ts')],
  outfile: join(out, 'keyring-keytar.cjs'),
  footer: defaultAsExports,
  plugins: [{
    name: 'keyring.cjs',
    setup: (b) => b.onResolve({ filter: /^\.\/keyring\.js$/ }, () => ({ path: './keyring.cjs', external: true })),
  }],
});
copyFileSync(join(out, 'keyring-keytar.d.ts'), join(out, 'keyring-keytar.d.cts'));

await build({
  ...common,
  format: 'esm',
  entryPoints: [join(source, 'git-credential-secitem.ts')],
  outfile: join(out, 'git-credential-secitem.js'),
  // (esbuild keeps the entry's #! line first.) CommonJS dependencies bundled in require() node's builtins at run time: give the ESM bundle a require.
  banner: { js: "import { createRequire as secitemCreateRequire } from 'node:module'; const require = secitemCreateRequire(import.meta.url);" },
});
