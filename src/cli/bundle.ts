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
 * (failures.ts). better-sqlite3 stays outside the bundles: it loads its
 * native addon from node_modules.
 * @module
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
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
/** Packages loaded with require() from the bundle that uses them (see `resolving`). */
const REQUIRED = 'required';

/**
 * Marks every module of src/ but the entry, and better-sqlite3, as having
 * no side effects on import. The run/ modules imported with import() are
 * collected in `found`; those in `lazy` become `./lazy/<module>.js` of
 * bin.js, the others are bundled into it. better-sqlite3 is a CommonJS
 * package: the bundle require()s it, which spares node the translation of a
 * CommonJS module for an ESM importer (reading its source again for the
 * names it exports).
 */
function resolving(found?: Set<string>, lazy?: ReadonlySet<string>): Plugin {
  return {
    name: 'secitem-modules',
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === 'resolving') return undefined;
        if (args.path === 'better-sqlite3') return { path: args.path, namespace: REQUIRED, sideEffects: false };
        if (args.kind === 'entry-point' || !args.path.startsWith('.')) return undefined;
        const resolved = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'resolving' });
        if (resolved.errors.length > 0 || !resolved.path.startsWith(source)) return undefined;
        if (found !== undefined && args.kind === 'dynamic-import' && resolved.path.startsWith(runModules)) {
          found.add(resolved.path);
          if (lazy?.has(resolved.path)) return { path: `./${LAZY}/${basename(resolved.path, '.ts')}.js`, external: true };
        }
        return { path: resolved.path, sideEffects: false };
      });
      b.onLoad({ filter: /.*/, namespace: REQUIRED }, (args) => ({
        contents: `import { createRequire } from 'node:module';\nexport default createRequire(import.meta.url)(${JSON.stringify(args.path)});\n`,
        loader: 'js',
      }));
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
} as const;

// Which run/ modules bin.js imports with import(): all of them are bundled on their own first ...
const runs = new Set<string>();
await build({ ...common, entryPoints: [entry], outfile: join(out, 'bin.js'), write: false, plugins: [resolving(runs)] });
const { metafile } = await build({ ...common, entryPoints: [...runs], outdir: join(out, LAZY), metafile: true, plugins: [resolving()] });
// ... and those that need better-sqlite3 (the engine's store) stay apart: the others are small enough to be part of bin.js.
const heavy = new Set<string>();
for (const [file, output] of Object.entries(metafile.outputs)) {
  if (output.entryPoint === undefined) continue;
  if (Object.keys(output.inputs).some((input) => input.startsWith(`${REQUIRED}:`))) heavy.add(resolve(root, output.entryPoint));
  else for (const written of [file, `${file}.map`]) rmSync(resolve(root, written), { force: true });
}
await build({ ...common, entryPoints: [entry], outfile: join(out, 'bin.js'), plugins: [resolving(new Set(), heavy)] });
