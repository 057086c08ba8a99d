/**
 * Builds the `secitem` executable that package.json's `bin` names,
 * dist/src/cli/bin.js, with esbuild (a devDependency). Run by `npm run
 * build`, after tsc; it replaces tsc's output of bin.ts.
 *
 * - bin.js: src/cli/bin.ts and what every command needs (the command
 *   table, option parsing, failures), with the code of the commands that
 *   open no keychain (`error`, `help`), one file.
 * - lazy/<module>.js: each module of src/cli/run/ whose code needs
 *   better-sqlite3, a bundle of its own with what it needs of the engine,
 *   loaded when one of its commands runs.
 *
 * Why: node spends most of secitem's start loading modules, some forty of
 * them for the engine, each a file to find, read and link. One file starts
 * in a fraction of that time; `help`, `error` and `--version` load no
 * module but bin.js.
 *
 * Why separate bundles rather than esbuild's code splitting: splitting
 * assigns a module to every chunk that imports one that re-exports it, so a
 * chunk that needs one export of the public API (`error` needs
 * SecCopyErrorMessageString) shares a chunk with the whole engine. A bundle
 * keeps exactly what it uses, since every module of src/ is marked free of
 * import-time side effects (none has any: no module is imported for its
 * effects alone). Each bundle has its own copy of the CLI modules it uses,
 * which is why the dispatcher recognises failures by their fields
 * (failures.ts). node's builtins, better-sqlite3 and dbus-next stay outside the
 * bundles and are loaded with require() (see `required`); better-sqlite3
 * loads its native addon from node_modules.
 * @module
 */
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Plugin } from 'esbuild';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/src/cli/bundle.js → the package root. */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const source = join(root, 'src') + sep;
const runModules = join(root, 'src', 'cli', 'run') + sep;
const entry = join(root, 'src', 'cli', 'bin.ts');
const out = join(root, 'dist', 'src', 'cli');
const LAZY = 'lazy';
/** Modules the bundles load with require() (see `required`). */
const REQUIRED = 'required';

/** Loads modules with require() inside the bundles; node:module itself stays an ESM import. */
const nodeRequire = createRequire(import.meta.url);

/**
 * A module that require()s `name` and exports its default and its named
 * exports, each a pure call that the bundle drops when unused. Builtins
 * are loaded this way because node's ESM face of a builtin reads every one
 * of its exports, and those of node:fs include getters (ReadStream,
 * promises) that load some twenty stream modules no command needs;
 * better-sqlite3, a CommonJS package, because require() spares node
 * translating it for an ESM importer (reading its source again for the
 * names it exports).
 */
/** Whether a name can be a module's binding (not a reserved word in strict code, such as dbus-next's export `interface`). */
function isBindingName(n: string): boolean {
  try {
    new Function(`'use strict'; const ${n} = 0;`);
    return n !== 'await';
  } catch {
    return false;
  }
}

function required(name: string): string {
  const exported = nodeRequire(name) as Record<string, unknown>;
  const names = Object.keys(exported).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default' && isBindingName(n));
  return (
    "import { createRequire as requireFrom } from 'node:module';\n" +
    `const loaded = requireFrom(import.meta.url)(${JSON.stringify(name)});\n` +
    'const pick = (key) => loaded[key];\n' +
    'export default loaded;\n' +
    names.map((n) => `export const ${n} = /* @__PURE__ */ pick(${JSON.stringify(n)});\n`).join('')
  );
}

/**
 * Marks every module of src/ but the entry as having no side effects on
 * import, and loads node's builtins and better-sqlite3 with require(). The
 * run/ modules imported with import() are collected in `found`; those in
 * `lazy` become `./lazy/<module>.js` of bin.js, the others are bundled into
 * it.
 */
function resolving(found?: Set<string>, lazy?: ReadonlySet<string>): Plugin {
  return {
    name: 'secitem-modules',
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === 'resolving' || args.path === 'node:module') return undefined;
        if (args.path === 'better-sqlite3' || args.path === 'dbus-next' || args.path.startsWith('node:')) return { path: args.path, namespace: REQUIRED, sideEffects: false };
        if (args.kind === 'entry-point' || !args.path.startsWith('.')) return undefined;
        const resolved = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'resolving' });
        if (resolved.errors.length > 0 || !resolved.path.startsWith(source)) return undefined;
        if (found !== undefined && args.kind === 'dynamic-import' && resolved.path.startsWith(runModules)) {
          found.add(resolved.path);
          if (lazy?.has(resolved.path)) return { path: `./${LAZY}/${basename(resolved.path, '.ts')}.js`, external: true };
        }
        return { path: resolved.path, sideEffects: false };
      });
      b.onLoad({ filter: /.*/, namespace: REQUIRED }, (args) => ({ contents: required(args.path), loader: 'js' }));
    },
  };
}

const common = {
  absWorkingDir: root,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  minifyIdentifiers: true,
  sourcemap: 'linked',
  logLevel: 'warning',
  // `--version` without reading package.json (src/cli/version.ts).
  define: { SECITEM_BUNDLED_VERSION: JSON.stringify((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version) },
  // CommonJS packages bundled in (node-forge) require() node's builtins at run time: give the ESM bundles a require.
  banner: { js: "import { createRequire as secitemCreateRequire } from 'node:module'; const require = secitemCreateRequire(import.meta.url);" },
} as const;

// Which run/ modules bin.js imports with import(): all of them are bundled on their own first ...
const runs = new Set<string>();
await build({ ...common, entryPoints: [entry], outfile: join(out, 'bin.js'), write: false, plugins: [resolving(runs)] });
const { metafile } = await build({ ...common, entryPoints: [...runs], outdir: join(out, LAZY), metafile: true, plugins: [resolving()] });
// ... and those that need better-sqlite3 (the engine's store) stay apart: the others are small enough to be part of bin.js.
const heavy = new Set<string>();
for (const [file, output] of Object.entries(metafile.outputs)) {
  if (output.entryPoint === undefined) continue;
  if (`${REQUIRED}:better-sqlite3` in output.inputs) heavy.add(resolve(root, output.entryPoint));
  else for (const written of [file, `${file}.map`]) rmSync(resolve(root, written), { force: true });
}
await build({ ...common, entryPoints: [entry], outfile: join(out, 'bin.js'), plugins: [resolving(new Set(), heavy)] });
