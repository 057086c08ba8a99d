/**
 * The keychain-file commands on our keychain files: one keychain = one
 * encrypted database file whose password is the keychain's passcode. The
 * search list, default and login keychains and lock settings live in the
 * settings file (settings.ts).
 *
 * Without a daemon, lock state is per process: nothing keeps a keychain
 * unlocked after the command returns. unlock-keychain checks the password
 * and keeps the keychain unlocked for the rest of the session (an
 * interactive `-i` session); lock-keychain forgets it (and stops
 * SECITEM_KEYCHAIN_PASSWORD applying).
 *
 * When secitemd owns the keychain (keychains.ts), lock-keychain,
 * unlock-keychain and set-keychain-password are its owner operations: the
 * lock state is the daemon's, device-wide, and an unlock lasts until
 * lock-keychain or the idle lock that `set-keychain-settings -u -t N` gives
 * the daemon (N seconds without a call), as on macOS.
 * @module
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  errSecAuthFailed,
  errSecDuplicateKeychain,
  errSecInteractionNotAllowed,
  errSecNoDefaultKeychain,
  errSecNoSuchKeychain,
  openKeychain,
} from '../../index.js';
import * as declared from '../commands/keychain-files.js';
import { Canceled, UsageError } from '../failures.js';
import type { CommandContext } from '../io.js';
import { currentDefaultPath, currentLoginPath, currentSearchList, daemonOf, namedKeychain, runningDaemon, targetOf } from '../keychains.js';
import type { KeychainTarget } from '../keychains.js';
import type { DaemonBridge } from '../daemon-bridge.js';
import type { Keychain } from '../keychains.js';
import { getopt } from '../options.js';
import type { OptionTable, ParsedArgs } from '../options.js';
import { DOMAINS, idleLockSeconds, readSettings, updateSettings } from '../settings.js';
import type { Domain, LockSettings } from '../settings.js';
import { SecFailure, check, eachReported, reportedAs } from './sec-failures.js';

const keychainLine = (path: string): string => `    "${path}"\n`;

/** The keychain's file must exist; `what` names the failure (`SecKeychainUnlock build.keychain`). */
function mustExist(path: string, what: string): void {
  if (!existsSync(path)) throw new SecFailure(what, errSecNoSuchKeychain);
}

/** Runs `body` on an open keychain (no passcode: lock state is irrelevant to it). */
function openPlain<T>(path: string, what: string, body: (kc: Keychain) => T): T {
  mustExist(path, what);
  return reportedAs(what, () => {
    const kc = openKeychain({ path });
    try {
      return body(kc);
    } finally {
      kc.close();
    }
  });
}

/** The daemon's device-wide state; its failure (not the owner, …) reported as `what`. */
function daemonState(daemon: DaemonBridge, what: string): { hasPasscode: boolean; idleLockSeconds: number | null } {
  const s = reportedAs(what, () => daemon.status());
  check(what, s.status);
  return { hasPasscode: s.result?.hasPasscode === true, idleLockSeconds: s.result?.idleLockSeconds ?? null };
}

/** An owner operation of the daemon, its failure reported as `what`. */
function daemonCall(daemon: DaemonBridge, what: string, fn: 'lock' | 'unlock' | 'setPasscode' | 'setIdleLock', ...args: unknown[]): void {
  check(what, reportedAs(what, () => daemon.call(fn, ...args) as number));
}

function domainOf(text: string | undefined): Domain {
  if (text === undefined) return 'user';
  if (!(DOMAINS as readonly string[]).includes(text)) throw new UsageError(`no domain ${text}`);
  return text as Domain;
}

/**
 * A command on one keychain, the one named or the default: its options, the
 * name as typed, what its failures are reported as (`SecKeychainUnlock
 * build.keychain`), and the keychain, which must exist.
 */
function oneKeychain<T extends OptionTable>({ values, positionals }: ParsedArgs<T>, call: string, ctx: CommandContext) {
  if (positionals.length > 1) throw new UsageError('more than one keychain');
  const name: string | undefined = positionals[0];
  const what = `${call} ${name ?? '<NULL>'}`;
  const target = targetOf(name, ctx);
  mustExist(target.path, what);
  return { values, name, what, target };
}

/** A password typed at a prompt; end of input cancels the command (exit 255). */
function typed(answer: string | null): string {
  if (answer === null) throw new Canceled();
  return answer;
}

// ── list-keychains / default-keychain / login-keychain ───────────────────────

export async function listKeychains(args: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = getopt(args, declared.listKeychainsCommand.options);
  const domain = domainOf(values.domain);
  if (!values.set) {
    if (positionals.length > 0) throw new UsageError('keychains without -s');
    for (const path of currentSearchList(ctx.env, domain)) ctx.out(keychainLine(path));
    return 0;
  }
  const paths = positionals.map((n) => namedKeychain(n, ctx).path);
  updateSettings(ctx.env, (s) => {
    s.domains[domain] = { ...s.domains[domain], searchList: paths };
  });
  return 0;
}

/** default-keychain and login-keychain: `key` is the setting they show or set. */
function defaultLike(key: 'defaultKeychain' | 'loginKeychain', table: typeof declared.defaultKeychainCommand.options) {
  return async (args: readonly string[], ctx: CommandContext): Promise<number> => {
    const { values, positionals } = getopt(args, table);
    const domain = domainOf(values.domain);
    if (!values.set) {
      if (positionals.length > 0) throw new UsageError('a keychain without -s');
      const path = key === 'defaultKeychain' ? currentDefaultPath(ctx.env, domain) : currentLoginPath(ctx.env, domain);
      const what = key === 'defaultKeychain' ? 'SecKeychainCopyDomainDefault' : 'SecKeychainCopyLogin';
      if (path === undefined) throw new SecFailure(what, errSecNoDefaultKeychain);
      ctx.out(keychainLine(path));
      return 0;
    }
    if (positionals.length > 1) throw new UsageError('more than one keychain');
    const path = positionals.length === 0 ? undefined : namedKeychain(positionals[0], ctx).path;
    updateSettings(ctx.env, (s) => {
      const d = { ...s.domains[domain] };
      if (path === undefined) delete d[key];
      else d[key] = path;
      s.domains[domain] = d;
    });
    return 0;
  };
}

export const defaultKeychain = defaultLike('defaultKeychain', declared.defaultKeychainCommand.options);
export const loginKeychain = defaultLike('loginKeychain', declared.loginKeychainCommand.options);

// ── create-keychain / delete-keychain ────────────────────────────────────────

export async function createKeychain(args: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = getopt(args, declared.createKeychainCommand.options);
  if (positionals.length === 0) throw new UsageError('no keychain');
  return eachReported(positionals, (text) => ctx.err(text), async (name) => {
    const { path } = namedKeychain(name, ctx);
    const what = `SecKeychainCreate ${name}`;
    if (existsSync(path)) throw new SecFailure(what, errSecDuplicateKeychain);
    const password =
      values.password ??
      typed(await ctx.promptNewPassword('password for new keychain: ', 'retype password for new keychain: '));
    reportedAs(what, () => {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      openKeychain(password === '' ? { path } : { path, passcode: password }).close();
    });
    updateSettings(ctx.env, (s) => {
      const list = s.domains.user?.searchList ?? currentSearchList(ctx.env);
      if (!list.includes(path)) s.domains.user = { ...s.domains.user, searchList: [...list, path] };
    });
  });
}

/** The files a keychain is made of. */
function keychainFiles(path: string): string[] {
  return [path, `${path}-wal`, `${path}-shm`, `${path}-journal`, `${path}.devicekey`];
}

export async function deleteKeychain(args: readonly string[], ctx: CommandContext): Promise<number> {
  const { positionals } = getopt(args, declared.deleteKeychainCommand.options);
  if (positionals.length === 0) throw new UsageError('no keychain');
  return eachReported(positionals, (text) => ctx.err(text), (name) => {
    const { path } = namedKeychain(name, ctx);
    // Only a keychain is deleted: anything else is reported and left alone.
    openPlain(path, 'SecKeychainDelete', () => undefined);
    for (const file of keychainFiles(path)) rmSync(file, { force: true });
    updateSettings(ctx.env, (s) => {
      for (const d of DOMAINS) {
        const ds = s.domains[d];
        if (ds === undefined) continue;
        if (ds.searchList !== undefined) ds.searchList = ds.searchList.filter((p) => p !== path);
        if (ds.defaultKeychain === path) delete ds.defaultKeychain;
        if (ds.loginKeychain === path) delete ds.loginKeychain;
      }
      delete s.keychains[path];
    });
  });
}

// ── lock-keychain / unlock-keychain ──────────────────────────────────────────

export async function lockKeychain(args: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = getopt(args, declared.lockKeychainCommand.options);
  if (values.all) {
    if (positionals.length > 0) throw new UsageError('-a and a keychain');
    ctx.session.lockAll();
    // The daemon's keychain, if this user's daemon runs: whichever keychain it owns.
    const daemon = runningDaemon(ctx);
    if (daemon !== undefined) daemonCall(daemon, 'SecKeychainLockAll', 'lock');
    return 0;
  }
  const { what, target } = oneKeychain({ values, positionals }, 'SecKeychainLock', ctx);
  if (!lockDaemonOf(target, what)) openPlain(target.path, what, () => undefined);
  ctx.session.lock(target.path);
  return 0;
}

/** Locks the keychain of the daemon that owns `target`; false when there is none. */
function lockDaemonOf(target: KeychainTarget, what: string): boolean {
  const daemon = daemonOf(target);
  if (daemon === undefined) return false;
  daemonCall(daemon, what, 'lock');
  return true;
}

export async function unlockKeychain(args: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, name, what, target } = oneKeychain(getopt(args, declared.unlockKeychainCommand.options), 'SecKeychainUnlock', ctx);
  let password = values.password;
  if (password === undefined) {
    // -u: "do not use a password" is the system's own dialog; here that is the terminal.
    if (values.noPassword && !ctx.interactiveInput) throw new SecFailure(what, errSecInteractionNotAllowed);
    password = typed(await ctx.promptPassword(`password to unlock ${name ?? 'default'}: `));
  }
  const given = password;
  const daemon = daemonOf(target);
  if (daemon !== undefined) {
    // Device-wide: the daemon's keychain stays unlocked after this command, for every client.
    if (daemonState(daemon, what).hasPasscode) {
      if (given === '') throw new SecFailure(what, errSecAuthFailed);
      daemonCall(daemon, what, 'unlock', given);
    }
    ctx.session.unlocked(target.path, password);
    return 0;
  }
  check(
    what,
    openPlain(target.path, what, (kc) => {
      if (!kc.hasPasscode) return 0; // a keychain without a password is always unlocked
      return given === '' ? errSecAuthFailed : kc.unlock(given);
    }),
  );
  ctx.session.unlocked(target.path, password);
  return 0;
}

// ── set-keychain-password ────────────────────────────────────────────────────

export async function setKeychainPassword(args: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, what, target } = oneKeychain(getopt(args, declared.setKeychainPasswordCommand.options), 'SecKeychainChangePassword', ctx);
  const current = values.old ?? typed(await ctx.promptPassword('Old Password: '));
  const replacement = values.next ?? typed(await ctx.promptNewPassword('New Password: ', 'Retype New Password: '));
  const daemon = daemonOf(target);
  if (daemon !== undefined) {
    if (!daemonState(daemon, what).hasPasscode) {
      if (current !== '') throw new SecFailure(what, errSecAuthFailed);
      if (replacement !== '') daemonCall(daemon, what, 'setPasscode', null, replacement);
    } else {
      if (current === '') throw new SecFailure(what, errSecAuthFailed);
      daemonCall(daemon, what, 'setPasscode', current, replacement === '' ? null : replacement);
    }
    if (replacement !== '') ctx.session.unlocked(target.path, replacement);
    return 0;
  }
  check(
    what,
    openPlain(target.path, what, (kc) => {
      if (!kc.hasPasscode) {
        // A keychain without a password has the empty password.
        if (current !== '') return errSecAuthFailed;
        return replacement === '' ? 0 : kc.setPasscode(null, replacement);
      }
      if (current === '') return errSecAuthFailed;
      return kc.setPasscode(current, replacement === '' ? null : replacement);
    }),
  );
  if (replacement !== '') ctx.session.unlocked(target.path, replacement);
  return 0;
}

// ── set-keychain-settings / show-keychain-info ───────────────────────────────

export async function setKeychainSettings(args: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, what, target } = oneKeychain(getopt(args, declared.setKeychainSettingsCommand.options), 'SecKeychainSetSettings', ctx);
  // atoi(): a timeout that is not a number is 0. No -t: no timeout, and -u is dropped.
  const timeout = values.timeout === undefined ? null : Number.parseInt(values.timeout, 10) || 0;
  const settings: LockSettings = {
    lockOnSleep: values.lockOnSleep === true,
    useLockInterval: timeout !== null && values.useLockInterval === true,
    lockInterval: timeout,
  };
  // The daemon that owns the keychain locks it after the interval without a call; it applies at once.
  const daemon = daemonOf(target);
  if (daemon !== undefined) daemonCall(daemon, what, 'setIdleLock', idleLockSeconds(settings));
  updateSettings(ctx.env, (s) => {
    s.keychains[target.path] = settings;
  });
  return 0;
}

export async function showKeychainInfo(args: readonly string[], ctx: CommandContext): Promise<number> {
  const { name, what, target } = oneKeychain(getopt(args, declared.showKeychainInfoCommand.options), 'SecKeychainCopySettings', ctx);
  const s = readSettings(ctx.env).keychains[target.path];
  const lockOnSleep = s?.lockOnSleep === true;
  let useLockInterval = s?.useLockInterval === true;
  let interval = s?.lockInterval ?? null;
  // A daemon's idle lock is what applies: it shows, whatever the file says.
  const daemon = daemonOf(target);
  const idle = daemon === undefined ? null : daemonState(daemon, what).idleLockSeconds;
  if (idle !== null) {
    useLockInterval = true;
    interval = idle;
  }
  ctx.err(
    `Keychain "${name ?? '<NULL>'}"${lockOnSleep ? ' lock-on-sleep' : ''}${useLockInterval ? ' use-lock-interval' : ''}` +
      (interval === null ? ' no-timeout\n' : ` timeout=${interval}s\n`),
  );
  return 0;
}
