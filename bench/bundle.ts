/**
 * Run by `npm run build` after tsc: bench/lookup.ts, the one-process-per-call
 * lookup of bench/daemon.ts, becomes one file (dist/bench/lookup.js,
 * replacing tsc's output) holding the client and what it uses, as
 * src/cli/bundle.ts does for the `secitem` executable: node then reads,
 * resolves and links one module instead of the client's seventeen. What a
 * program that wants one password from secitemd would ship.
 * @module
 */
import { build, type Plugin } from 'esbuild';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const nodeRequire = createRequire(import.meta.url);

/**
 * node's builtins require()d, each export a pure pick the bundle drops when
 * unused, as src/cli/bundle.ts does: node's ESM face of a builtin reads
 * every one of its exports (node:net's load stream modules no lookup needs).
 */
const builtinsRequired: Plugin = {
  name: 'builtins-required',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => (args.path === 'node:module' ? undefined : { path: args.path, namespace: 'required' }));
    b.onLoad({ filter: /.*/, namespace: 'required' }, (args) => {
      const names = Object.keys(nodeRequire(args.path) as object).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default');
      return {
        loader: 'js',
        contents:
          "import { createRequire as requireFrom } from 'node:module';\n" +
          `const loaded = requireFrom(import.meta.url)(${JSON.stringify(args.path)});\n` +
          'const pick = (key) => loaded[key];\nexport default loaded;\n' +
          names.map((n) => `export const ${n} = /* @__PURE__ */ pick(${JSON.stringify(n)});\n`).join(''),
      };
    });
  },
};

/** dist/bench/bundle.js → the package root. */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

await build({
  absWorkingDir: root,
  entryPoints: [join(root, 'bench', 'lookup.ts')],
  outfile: join(root, 'dist', 'bench', 'lookup.js'),
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  sourcemap: 'linked',
  logLevel: 'warning',
  plugins: [builtinsRequired],
  banner: { js: "import { createRequire as secitemCreateRequire } from 'node:module'; const require = secitemCreateRequire(import.meta.url);" },
});
