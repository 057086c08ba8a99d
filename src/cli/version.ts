/**
 * `secitem --version`: the version in the package's package.json, found by
 * walking up from this module's file. That works from the compiled module
 * (dist/src/cli), from the bundled executable, and from an installed
 * package (node_modules/secitem/...). URLs throughout: fs takes them, and
 * node:path and node:url are not loaded for it. The bundled executable has
 * the version written in at build time and reads nothing.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';

const PACKAGE_NAME = 'secitem';

/** Set by the bundler (src/cli/bundle.ts) to package.json's version: the executable reads no file for it. */
declare const SECITEM_BUNDLED_VERSION: string | undefined;

/** The package's version, or undefined when no package.json of secitem is above this file. */
export function packageVersion(): string | undefined {
  if (typeof SECITEM_BUNDLED_VERSION === 'string') return SECITEM_BUNDLED_VERSION;
  for (let dir = new URL('./', import.meta.url); ; ) {
    const file = new URL('package.json', dir);
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === PACKAGE_NAME && typeof pkg.version === 'string') return pkg.version;
    }
    const parent = new URL('../', dir);
    if (parent.href === dir.href) return undefined;
    dir = parent;
  }
}

/** The line `--version` prints. */
export function versionLine(): string {
  return `${PACKAGE_NAME} ${packageVersion() ?? 'unknown'}\n`;
}
