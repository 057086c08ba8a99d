/**
 * Where keychain files are: the keychain directory, the default keychain,
 * and the file a keychain named on the command line is. Paths only: nothing
 * here opens a keychain.
 *
 * A name resolves as `security` resolves it, with the differences noted:
 *
 * - `~` and `~/…` are under HOME (a shell expands them before `security`
 *   sees them; interactive mode and quoted words need it here);
 * - a name without `/` (`build`, `build.keychain`, `build.keychain-db`) is in
 *   the keychain directory, `$XDG_DATA_HOME/secitem`, where Apple's is
 *   `~/Library/Keychains`;
 * - any other path is taken as is, relative to the working directory (Apple
 *   puts relative paths under `~/Library/Keychains` too);
 * - a keychain file is a `.keychain-db` file: a name ending in `.keychain`
 *   means `<name>-db`, and a name without `/` or suffix means
 *   `<name>.keychain-db`, as macOS's StorageManager decides for keychains
 *   since 10.12: the `-db` file when it exists or when neither file does (so
 *   `create-keychain ~/x.keychain` makes `~/x.keychain-db`, and every later
 *   `~/x.keychain` finds it); the name itself only when that file exists and
 *   the `-db` one does not.
 * @module
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

type Env = Readonly<Record<string, string | undefined>>;

/** HOME, or the user's home directory from the system when HOME is unset. */
export function home(env: Env): string {
  return env.HOME !== undefined && env.HOME !== '' ? env.HOME : homedir();
}

/** `$XDG_DATA_HOME`, or `~/.local/share` (the XDG Base Directory default). */
export function dataHome(env: Env): string {
  const xdg = env.XDG_DATA_HOME;
  return xdg !== undefined && isAbsolute(xdg) ? xdg : join(home(env), '.local', 'share');
}

/** The directory holding the user's keychains: `<data home>/secitem`. */
export function keychainDirectory(env: Env): string {
  return join(dataHome(env), 'secitem');
}

/** The built-in default keychain file. */
export function defaultKeychainPath(env: Env): string {
  return join(keychainDirectory(env), 'login.keychain-db');
}

const SUFFIX = '.keychain-db';
const LEGACY_SUFFIX = '.keychain';

/** The path a name stands for, before the choice of its `.keychain-db` file. */
function expand(name: string, env: Env, cwd: string): string {
  if (name === '~' || name.startsWith('~/')) return join(home(env), name.slice(1));
  if (!name.includes('/')) return join(keychainDirectory(env), name);
  return resolve(cwd, name);
}

/** The `.keychain-db` file a name may mean, or undefined when it means itself only. */
function dbFileOf(name: string, path: string): string | undefined {
  if (path.endsWith(SUFFIX)) return undefined;
  if (path.endsWith(LEGACY_SUFFIX)) return `${path}-db`;
  const bare = name !== '~' && !name.includes('/');
  return bare ? `${path}${SUFFIX}` : undefined;
}

/**
 * The keychain file `name` (as typed on the command line) is: the file to
 * open, and the file create-keychain creates.
 */
export function keychainPath(name: string, env: Env, cwd: string): string {
  const path = expand(name, env, cwd);
  const db = dbFileOf(name, path);
  if (db === undefined) return path;
  return existsSync(path) && !existsSync(db) ? path : db;
}
