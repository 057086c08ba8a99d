/**
 * Builds the `secitem` executable that package.json's `bin` names,
 * dist/src/cli/bin.js, with esbuild (a devDependency). Run by `npm run
 * build`, after tsc; it replaces tsc's output of bin.ts.
 *
 * - bin.js: src/cli/bin.ts and what every command needs (the command
 *   table, option parsing, failures), one file.
 * - lazy/<module>.js: each module of src/cli/run/ that the table loads on
 *   first use, a bundle of its own with what it needs of the engine.
 *
 * Why: node spends most of secitem's start loading modules, some forty of
 * them for the engine, each a file to find, read and link. One file starts
 * in a fraction of that time; `help` and `--version` load nothing more, and
 * `error` only the message table, never better-sqlite3.
 *
 * Why separate bundles rather than esbuild's code splitting: splitting
 * assigns a module to every chunk that imports one that re-exports it, so a
 * chunk that needs one export of the public API (`error` needs
 * SecCopyErrorMessageString) shares a chunk with the whole engine. A bundle
 * keeps exactly what it uses, since every module of src/ is marked free of
 * import-time side effects (none has any: no module is imported for its
 * effects alone). Each bundle has its own copy of the CLI modules it uses,
 * which is why the dispatcher recognises failures by their fields
 * (failures.ts). better-sqlite3 stays external: it loads its native addon
 * from node_modules.
 * @module
 */
import { build } from 'esbuild';
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

/**
 * Marks every module of src/ but the entry, and better-sqlite3, as having
 * no side effects on import; `lazy` collects the run/ modules imported with
 * import(), which become `./lazy/<module>.js` of bin.js.
 */
function resolving(lazy?: Set<string>): Plugin {
  return {
    name: 'secitem-modules',
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === 'resolving') return undefined;
        if (args.path === 'better-sqlite3') return { path: args.path, external: true, sideEffects: false };
        if (args.kind === 'entry-point' || !args.path.startsWith('.')) return undefined;
        const found = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'resolving' });
        if (found.errors.length > 0 || !found.path.startsWith(source)) return undefined;
        if (lazy !== undefined && args.kind === 'dynamic-import' && found.path.startsWith(runModules)) {
          lazy.add(found.path);
          return { path: `./${LAZY}/${basename(found.path, '.ts')}.js`, external: true };
        }
        return { path: found.path, sideEffects: false };
      });
    },
  };
}

const common = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  minifyIdentifiers: true,
  sourcemap: 'linked',
  logLevel: 'warning',
} as const;

const lazy = new Set<string>();
await build({ ...common, entryPoints: [entry], outfile: join(out, 'bin.js'), plugins: [resolving(lazy)] });
await build({ ...common, entryPoints: [...lazy], outdir: join(out, LAZY), plugins: [resolving()] });
