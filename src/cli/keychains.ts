/**
 * Which keychain file a command works on, and opening it.
 *
 * - The default keychain is `login.keychain-db` in the keychain directory,
 *   `$XDG_DATA_HOME/secitem` (or `~/.local/share/secitem` when
 *   XDG_DATA_HOME is unset or not absolute). It is created, with its
 *   directory (0700), on first use, so a fresh machine needs no set-up.
 * - A keychain named on the command line resolves as `security` resolves it:
 *   a name without `/` is looked up in the keychain directory (`foo.keychain`
 *   falls back to an existing `foo.keychain-db`), `~/…` is under HOME, any
 *   other path is relative to the working directory. A named keychain that
 *   does not exist is errSecNoSuchKeychain (exit 50); only the default one is
 *   created implicitly.
 * @module
 */
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { errSecNoSuchKeychain, openKeychain, SecError } from '../index.js';
import type { CommandContext } from './io.js';

/** The keychain object openKeychain returns. */
export type Keychain = ReturnType<typeof openKeychain>;
/** The SecItem client the CLI acts as. */
export type CliClient = ReturnType<Keychain['client']>;

/**
 * The CLI's entitlements: it is the device owner's tool, so it sees every
 * access group ('*'); items it adds go to its own group, 'secitem.cli'.
 */
export const CLI_APPLICATION_IDENTIFIER = 'secitem.cli';
export const CLI_ACCESS_GROUPS: readonly string[] = ['secitem.cli', '*'];

/** One keychain a command will use. */
export interface KeychainTarget {
  /** Absolute path of the database file. */
  readonly path: string;
  /** The name as the user typed it; undefined for the default keychain. */
  readonly name: string | undefined;
  /** The default keychain: created when absent. */
  readonly isDefault: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

function home(env: Env): string {
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

/** The default keychain file. */
export function defaultKeychainPath(env: Env): string {
  return join(keychainDirectory(env), 'login.keychain-db');
}

/** The default keychain as a target. */
export function defaultKeychain(env: Env): KeychainTarget {
  return { path: defaultKeychainPath(env), name: undefined, isDefault: true };
}

/** A keychain named on the command line, resolved to its file. */
export function namedKeychain(name: string, ctx: CommandContext): KeychainTarget {
  let path: string;
  if (name === '~' || name.startsWith('~/')) {
    path = join(home(ctx.env), name.slice(1));
  } else if (!name.includes('/')) {
    path = join(keychainDirectory(ctx.env), name);
    if (!existsSync(path) && name.endsWith('.keychain') && existsSync(`${path}-db`)) path = `${path}-db`;
  } else {
    path = resolve(ctx.cwd, name);
  }
  const isDefault = path === defaultKeychainPath(ctx.env);
  return { path, name, isDefault };
}

/** The keychains named by a command's trailing arguments, or the default one. */
export function keychainTargets(names: readonly string[], ctx: CommandContext): KeychainTarget[] {
  return names.length === 0 ? [defaultKeychain(ctx.env)] : names.map((n) => namedKeychain(n, ctx));
}

/**
 * Opens a keychain, runs `body` with the CLI's client, and closes it.
 * @throws SecError: errSecNoSuchKeychain for a missing named keychain, or
 *   whatever openKeychain throws (not a keychain, wrong passcode, …).
 */
export function withKeychain<T>(target: KeychainTarget, body: (app: CliClient, kc: Keychain) => T): T {
  if (!existsSync(target.path)) {
    if (!target.isDefault) throw new SecError(errSecNoSuchKeychain);
    mkdirSync(dirname(target.path), { recursive: true, mode: 0o700 });
  }
  const kc = openKeychain({ path: target.path });
  try {
    const app = kc.client({
      applicationIdentifier: CLI_APPLICATION_IDENTIFIER,
      keychainAccessGroups: [...CLI_ACCESS_GROUPS],
    });
    return body(app, kc);
  } finally {
    kc.close();
  }
}
