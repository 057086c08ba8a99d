/**
 * `secitem --version`: the version in the package's package.json, found by
 * walking up from this module's file. That works from the compiled module
 * (dist/src/cli), from the bundled executable and its chunks, and from an
 * installed package (node_modules/secitem/...).
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'secitem';

/** The package's version, or undefined when no package.json of secitem is above this file. */
export function packageVersion(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === PACKAGE_NAME && typeof pkg.version === 'string') return pkg.version;
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The line `--version` prints. */
export function versionLine(): string {
  return `${PACKAGE_NAME} ${packageVersion() ?? 'unknown'}\n`;
}
