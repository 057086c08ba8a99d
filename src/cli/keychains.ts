/**
 * Which keychains a command works on, and opening them.
 *
 * - The default keychain is `login.keychain-db` in the keychain directory
 *   (keychain-paths.ts), created, with its directory (0700), on first use,
 *   so a fresh machine needs no set-up.
 * - A keychain named on the command line resolves as keychain-paths.ts
 *   says. A named keychain that does not exist is errSecNoSuchKeychain (exit
 *   50); only the default one is created implicitly.
 * - When secitemd runs (its socket: $SECITEM_SOCKET, else the default path
 *   of docs/daemon.md) and owns the target keychain, the command goes
 *   through it (daemon-bridge.ts) as the owner's tool: the daemon's lock
 *   state applies, so an `unlock-keychain` lasts until `lock-keychain` or
 *   the idle lock. The file is opened here only when no daemon owns it.
 * @module
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { errSecNoSuchKeychain, openKeychain, SecError, type SecDictionary } from '../index.js';
import { defaultSocketPath } from '../daemon/paths.js';
import { daemonAt, daemonFor, type DaemonBridge } from './daemon-bridge.js';
import { terminalAuthenticationContext } from './user-presence.js';
import type { CommandContext } from './io.js';
import { defaultKeychainPath, keychainPath } from './keychain-paths.js';
import type { Session } from './session.js';
import { readSettings } from './settings.js';
import type { Domain } from './settings.js';

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
  /** Where the password that unlocks it comes from (none: opened locked). */
  readonly session?: Session;
  /** Where secitemd would listen (absent: the file is always opened in this process). */
  readonly socketPath?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The user's default keychain: `default-keychain -s`, else the built-in one. */
export function currentDefaultPath(env: Env, domain: Domain = 'user'): string | undefined {
  const set = readSettings(env).domains[domain]?.defaultKeychain;
  if (set !== undefined) return set;
  return domain === 'user' ? defaultKeychainPath(env) : undefined;
}

/** The login keychain: `login-keychain -s`, else the built-in default keychain. */
export function currentLoginPath(env: Env, domain: Domain = 'user'): string | undefined {
  const set = readSettings(env).domains[domain]?.loginKeychain;
  if (set !== undefined) return set;
  return domain === 'user' ? defaultKeychainPath(env) : undefined;
}

/** The search list: `list-keychains -s`, else the default keychain alone. */
export function currentSearchList(env: Env, domain: Domain = 'user'): string[] {
  const set = readSettings(env).domains[domain]?.searchList;
  if (set !== undefined) return set;
  const d = currentDefaultPath(env, domain);
  return d === undefined ? [] : [d];
}

/** The default keychain of this invocation, with its session. */
export function defaultTarget(ctx: CommandContext): KeychainTarget {
  const path = currentDefaultPath(ctx.env) ?? defaultKeychainPath(ctx.env);
  return { path, name: undefined, isDefault: path === defaultKeychainPath(ctx.env), session: ctx.session, socketPath: defaultSocketPath(ctx.env) };
}

/** A keychain named on the command line, resolved to its file. */
export function namedKeychain(name: string, ctx: CommandContext): KeychainTarget {
  const path = keychainPath(name, ctx.env, ctx.cwd);
  return { path, name, isDefault: path === defaultKeychainPath(ctx.env), session: ctx.session, socketPath: defaultSocketPath(ctx.env) };
}

/** A keychain named on the command line, or the default one. */
export function targetOf(name: string | undefined, ctx: CommandContext): KeychainTarget {
  return name === undefined ? defaultTarget(ctx) : namedKeychain(name, ctx);
}

/**
 * The keychains named by a command's trailing arguments, or the search list.
 * Search-list entries whose file is gone are skipped, as `security` skips
 * them; the built-in default keychain is created on first use.
 */
export function keychainTargets(names: readonly string[], ctx: CommandContext): KeychainTarget[] {
  if (names.length > 0) return names.map((n) => namedKeychain(n, ctx));
  const builtIn = defaultKeychainPath(ctx.env);
  return currentSearchList(ctx.env)
    .filter((path) => path === builtIn || existsSync(path))
    .map((path) => ({ path, name: undefined, isDefault: path === builtIn, session: ctx.session, socketPath: defaultSocketPath(ctx.env) }));
}

/**
 * Before a command works on `targets`: a keychain with a password that this
 * session cannot unlock is unlocked by asking on the terminal
 * (`password to unlock <name|default>: `). Without a terminal nothing is
 * asked: the keychain is opened locked and its protected items answer
 * errSecInteractionNotAllowed (exit 36), as `security` does in an SSH session.
 */
export async function unlockTargets(targets: readonly KeychainTarget[], ctx: CommandContext): Promise<void> {
  for (const target of targets) {
    if (!existsSync(target.path) || ctx.session.passwordFor(target.path) !== undefined) continue;
    if (!ctx.interactiveInput) continue;
    let hasPasscode: boolean;
    try {
      const daemon = daemonOf(target);
      if (daemon !== undefined) {
        const state = daemon.status().result;
        hasPasscode = state !== undefined && state.hasPasscode && state.lockState !== 'unlocked';
      } else {
        const kc = openKeychain({ path: target.path });
        hasPasscode = kc.hasPasscode;
        kc.close();
      }
    } catch {
      continue; // the command reports it when it opens the file
    }
    if (!hasPasscode) continue;
    const typed = await ctx.promptPassword(`password to unlock ${target.name ?? 'default'}: `);
    if (typed === null || typed === '') continue;
    ctx.session.unlocked(target.path, typed);
  }
}

/**
 * The daemon that owns the target keychain, when one runs and this process
 * is its owner (only the owner may ask which keychain it owns); undefined:
 * open the file here.
 */
export function daemonOf(target: KeychainTarget): DaemonBridge | undefined {
  return target.socketPath === undefined ? undefined : daemonFor(target.socketPath, target.path);
}

/** This user's daemon, whichever keychain it owns (lock-keychain -a); undefined when none answers this process. */
export function runningDaemon(ctx: CommandContext): DaemonBridge | undefined {
  return daemonAt(defaultSocketPath(ctx.env))?.bridge;
}

/** The SecItem client of each daemon connection (one `hello` per process). */
const daemonClients = new WeakMap<DaemonBridge, CliClient>();

/**
 * Runs `body` with the CLI's client on the target keychain, and closes it:
 * through the daemon that owns it, else on the file opened here.
 * Through the daemon, the daemon's lock state applies. A password this
 * session has (SECITEM_KEYCHAIN_PASSWORD, a prompt) unlocks a locked
 * keychain for this call only: it is locked again afterwards, as the
 * keychain opened here is forgotten when the command ends; only
 * `unlock-keychain` unlocks it for longer.
 * @throws SecError: errSecNoSuchKeychain for a missing named keychain, or
 *   whatever openKeychain throws (not a keychain, wrong passcode, …), or
 *   errSecNotAvailable when the daemon's connection fails.
 */
export function withKeychain<T>(target: KeychainTarget, body: (app: CliClient) => T): T {
  const daemon = daemonOf(target);
  if (daemon !== undefined) {
    let client = daemonClients.get(daemon);
    if (client === undefined) daemonClients.set(daemon, (client = daemon.client()));
    const password = target.session?.passwordFor(target.path);
    let relock = false;
    if (password !== undefined && password !== '') {
      const state = daemon.status().result;
      if (state !== undefined && state.hasPasscode && state.lockState !== 'unlocked') relock = daemon.call('unlock', password) === 0;
    }
    try {
      return body(client);
    } finally {
      if (relock) daemon.call('lock');
    }
  }
  return withKeychainFile(target, (kc) => {
    const client = kc.client({
      applicationIdentifier: CLI_APPLICATION_IDENTIFIER,
      keychainAccessGroups: [...CLI_ACCESS_GROUPS],
    });
    return body(withTerminalAuthentication(client));
  });
}

/**
 * Opens the keychain's file in this process (unlocked with the session's
 * password), runs `body` on it, and closes it. For what needs the file
 * itself (`keychain verify`/`repair`) and for withKeychain without a daemon.
 * @throws SecError as withKeychain does
 */
export function withKeychainFile<T>(target: KeychainTarget, body: (kc: Keychain) => T): T {
  let passcode: string | undefined;
  if (!existsSync(target.path)) {
    if (!target.isDefault) throw new SecError(errSecNoSuchKeychain);
    mkdirSync(dirname(target.path), { recursive: true, mode: 0o700 });
  } else {
    passcode = target.session?.passwordFor(target.path);
  }
  // An implicitly created default keychain has no password, whatever the environment says.
  const kc = openKeychain(passcode === undefined ? { path: target.path } : { path: target.path, passcode });
  try {
    return body(kc);
  } finally {
    kc.close();
  }
}

/**
 * The client with the terminal as its LocalAuthentication: a query that
 * names no kSecUseAuthenticationContext gets the terminal's (when stdin is
 * one), so protected items and keys ask the person there.
 */
function withTerminalAuthentication(client: CliClient): CliClient {
  const context = terminalAuthenticationContext(process.stdin.isTTY === true);
  if (context === undefined) return client;
  const withContext = (d: SecDictionary): SecDictionary => (Object.hasOwn(d, 'u_AuthCtx') ? d : { ...d, u_AuthCtx: context });
  return Object.freeze({
    ...client,
    SecItemCopyMatching: (query: SecDictionary) => client.SecItemCopyMatching(withContext(query)),
    SecItemUpdate: (query: SecDictionary, attributes: SecDictionary) => client.SecItemUpdate(withContext(query), attributes),
  });
}
