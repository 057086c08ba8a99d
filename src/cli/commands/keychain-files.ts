/**
 * The keychain-file commands of `security` (keychain_list.c, keychain_create.c,
 * keychain_delete.c, keychain_lock.c, keychain_unlock.c, keychain_set_settings.c,
 * keychain_show_info.c) on our keychain files: one keychain = one encrypted
 * database file whose password is the keychain's passcode. The search list,
 * default and login keychains and lock settings live in the settings file
 * (settings.ts).
 *
 * Lock state is per process: nothing keeps a keychain unlocked after the
 * command returns. unlock-keychain checks the password and keeps the keychain
 * unlocked for the rest of the session (an interactive `-i` session);
 * lock-keychain forgets it (and stops SECITEM_KEYCHAIN_PASSWORD applying).
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
  SecError,
} from '../../index.js';
import type { Command } from '../command.js';
import { getopt } from '../getopt.js';
import type { OptionDefs } from '../getopt.js';
import { EXIT_USAGE } from '../io.js';
import type { CommandContext } from '../io.js';
import {
  currentDefaultPath,
  currentLoginPath,
  currentSearchList,
  defaultTarget,
  namedKeychain,
  newKeychainPath,
} from '../keychains.js';
import type { KeychainTarget } from '../keychains.js';
import { DOMAINS, readSettings, updateSettings } from '../settings.js';
import type { Domain, LockSettings } from '../settings.js';

/** Exit status of an end of input at a password prompt (Apple returns -1). */
const EXIT_CANCELED = 255;

const keychainLine = (path: string): string => `    "${path}"\n`;

function parseDomain(text: string | undefined): Domain | null {
  if (text === undefined) return 'user';
  return (DOMAINS as readonly string[]).includes(text) ? (text as Domain) : null;
}

/** Runs `body` on an open keychain (no passcode: lock state is irrelevant to it). */
function openPlain<T>(path: string, body: (kc: ReturnType<typeof openKeychain>) => T): T {
  if (!existsSync(path)) throw new SecError(errSecNoSuchKeychain);
  const kc = openKeychain({ path });
  try {
    return body(kc);
  } finally {
    kc.close();
  }
}

/** A keychain named on the command line, or the default one. */
function targetOf(name: string | undefined, ctx: CommandContext): KeychainTarget {
  return name === undefined ? defaultTarget(ctx) : namedKeychain(name, ctx);
}

// ── list-keychains / default-keychain / login-keychain ───────────────────────

const domainOptions = {
  help: { short: 'h', type: 'boolean' },
  domain: { short: 'd', type: 'string' },
  set: { short: 's', type: 'boolean' },
} as const satisfies OptionDefs;

async function listKeychainsRun(args: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = getopt(args, domainOptions);
  if (values.help) return EXIT_USAGE;
  const domain = parseDomain(values.domain);
  if (domain === null) return EXIT_USAGE;
  if (!values.set) {
    if (positionals.length > 0) return EXIT_USAGE;
    for (const path of currentSearchList(ctx.env, domain)) ctx.out(keychainLine(path));
    return 0;
  }
  const paths = positionals.map((n) => namedKeychain(n, ctx).path);
  updateSettings(ctx.env, (s) => {
    s.domains[domain] = { ...s.domains[domain], searchList: paths };
  });
  return 0;
}

function defaultLikeRun(key: 'defaultKeychain' | 'loginKeychain') {
  return async (args: readonly string[], ctx: CommandContext): Promise<number> => {
    const { values, positionals } = getopt(args, domainOptions);
    if (values.help) return EXIT_USAGE;
    const domain = parseDomain(values.domain);
    if (domain === null) return EXIT_USAGE;
    if (!values.set) {
      if (positionals.length > 0) return EXIT_USAGE;
      const path = key === 'defaultKeychain' ? currentDefaultPath(ctx.env, domain) : currentLoginPath(ctx.env, domain);
      if (path === undefined) {
        return ctx.perror(key === 'defaultKeychain' ? 'SecKeychainCopyDomainDefault' : 'SecKeychainCopyLogin', errSecNoDefaultKeychain);
      }
      ctx.out(keychainLine(path));
      return 0;
    }
    if (positionals.length > 1) return EXIT_USAGE;
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

export const listKeychains: Command = {
  name: 'list-keychains',
  usage: '[-h] [-d user|system|common|dynamic] [-s [keychain...]]\n' +
    '    -d  Use the specified preference domain\n' +
    '    -s  Set the search list to the specified keychains',
  help: 'Display or manipulate the keychain search list.',
  options: domainOptions,
  run: listKeychainsRun,
};

export const defaultKeychainCommand: Command = {
  name: 'default-keychain',
  usage: '[-h] [-d user|system|common|dynamic] [-s [keychain]]\n' +
    '    -d  Use the specified preference domain\n' +
    '    -s  Set the default keychain to the specified keychain',
  help: 'Display or set the default keychain.',
  options: domainOptions,
  run: defaultLikeRun('defaultKeychain'),
};

export const loginKeychain: Command = {
  name: 'login-keychain',
  usage: '[-h] [-d user|system|common|dynamic] [-s [keychain]]\n' +
    '    -d  Use the specified preference domain\n' +
    '    -s  Set the login keychain to the specified keychain',
  help: 'Display or set the login keychain.',
  options: domainOptions,
  run: defaultLikeRun('loginKeychain'),
};

// ── create-keychain / delete-keychain ────────────────────────────────────────

const createOptions = {
  help: { short: 'h', type: 'boolean' },
  promptUser: { short: 'P', type: 'boolean' },
  password: { short: 'p', type: 'string', secret: true },
} as const satisfies OptionDefs;

async function createKeychainRun(args: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = getopt(args, createOptions);
  if (values.help || positionals.length === 0) return EXIT_USAGE;
  let result = 0;
  for (const name of positionals) {
    const path = newKeychainPath(name, ctx);
    const what = `SecKeychainCreate ${name}`;
    if (existsSync(path)) {
      result = ctx.perror(what, errSecDuplicateKeychain);
      continue;
    }
    let password = values.password;
    if (password === undefined) {
      const typed = await ctx.promptNewPassword('password for new keychain: ', 'retype password for new keychain: ');
      if (typed === null) return EXIT_CANCELED;
      password = typed;
    }
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      openKeychain(password === '' ? { path } : { path, passcode: password }).close();
    } catch (error) {
      if (error instanceof SecError) {
        result = ctx.perror(what, error.status);
        continue;
      }
      throw error;
    }
    updateSettings(ctx.env, (s) => {
      const list = s.domains.user?.searchList ?? currentSearchList(ctx.env);
      if (!list.includes(path)) s.domains.user = { ...s.domains.user, searchList: [...list, path] };
    });
  }
  return result;
}

export const createKeychain: Command = {
  name: 'create-keychain',
  usage: '[-hP] [-p password] [keychain...]\n' +
    '    -p  Use "password" as the password for the keychains being created\n' +
    '    -P  Prompt the user for a password (on the terminal, as without -p)\n' +
    'Use of the -p option is insecure',
  help: 'Create keychains and add them to the search list.',
  options: createOptions,
  run: createKeychainRun,
};

/** The files a keychain is made of. */
function keychainFiles(path: string): string[] {
  return [path, `${path}-wal`, `${path}-shm`, `${path}-journal`, `${path}.devicekey`];
}

async function deleteKeychainRun(args: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = getopt(args, { help: { short: 'h', type: 'boolean' } });
  if (values.help || positionals.length === 0) return EXIT_USAGE;
  let result = 0;
  for (const name of positionals) {
    const { path } = namedKeychain(name, ctx);
    try {
      // Only a keychain is deleted: anything else is reported and left alone.
      openPlain(path, () => undefined);
    } catch (error) {
      if (error instanceof SecError) {
        result = ctx.perror('SecKeychainDelete', error.status);
        continue;
      }
      throw error;
    }
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
  }
  return result;
}

export const deleteKeychain: Command = {
  name: 'delete-keychain',
  usage: '[-h] [keychain...]',
  help: 'Delete keychains and remove them from the search list.',
  run: deleteKeychainRun,
};

// ── lock-keychain / unlock-keychain ──────────────────────────────────────────

async function lockKeychainRun(args: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = getopt(args, { help: { short: 'h', type: 'boolean' }, all: { short: 'a', type: 'boolean' } });
  if (values.help || positionals.length > 1 || (values.all && positionals.length > 0)) return EXIT_USAGE;
  if (values.all) {
    ctx.session.lockAll();
    return 0;
  }
  const name = positionals[0];
  const target = targetOf(name, ctx);
  try {
    openPlain(target.path, () => undefined);
  } catch (error) {
    if (error instanceof SecError) return ctx.perror(`SecKeychainLock ${name ?? '<NULL>'}`, error.status);
    throw error;
  }
  ctx.session.lock(target.path);
  return 0;
}

export const lockKeychain: Command = {
  name: 'lock-keychain',
  usage: '[-h] [-a|keychain]\n    -a  Lock all keychains',
  help: 'Lock the specified keychain.',
  run: lockKeychainRun,
};

const unlockOptions = {
  help: { short: 'h', type: 'boolean' },
  noPassword: { short: 'u', type: 'boolean' },
  password: { short: 'p', type: 'string', secret: true },
} as const satisfies OptionDefs;

async function unlockKeychainRun(args: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = getopt(args, unlockOptions);
  if (values.help || positionals.length > 1) return EXIT_USAGE;
  const name = positionals[0];
  const what = `SecKeychainUnlock ${name ?? '<NULL>'}`;
  const target = targetOf(name, ctx);
  if (!existsSync(target.path)) return ctx.perror(what, errSecNoSuchKeychain);
  let password = values.password;
  if (password === undefined) {
    // -u: "do not use a password" is the system's own dialog; here that is the terminal.
    if (values.noPassword && !ctx.interactiveInput) return ctx.perror(what, errSecInteractionNotAllowed);
    const typed = await ctx.promptPassword(`password to unlock ${name ?? 'default'}: `);
    if (typed === null) return EXIT_CANCELED;
    password = typed;
  }
  try {
    const given = password;
    const status = openPlain(target.path, (kc) => {
      if (!kc.hasPasscode) return 0; // a keychain without a password is always unlocked
      return given === '' ? errSecAuthFailed : kc.unlock(given);
    });
    if (status !== 0) return ctx.perror(what, status);
  } catch (error) {
    if (error instanceof SecError) return ctx.perror(what, error.status);
    throw error;
  }
  ctx.session.unlocked(target.path, password);
  return 0;
}

export const unlockKeychain: Command = {
  name: 'unlock-keychain',
  usage: '[-hu] [-p password] [keychain]\n' +
    '    -p  Use "password" as the password to unlock the keychain\n' +
    '    -u  Do not use the password (ask on the terminal; fails without one)\n' +
    'Use of the -p option is insecure',
  help: 'Unlock the specified keychain.',
  options: unlockOptions,
  run: unlockKeychainRun,
};

// ── set-keychain-password ────────────────────────────────────────────────────

const passwordOptions = {
  help: { short: 'h', type: 'boolean' },
  old: { short: 'o', type: 'string', secret: true },
  next: { short: 'p', type: 'string', secret: true },
} as const satisfies OptionDefs;

async function setKeychainPasswordRun(args: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = getopt(args, passwordOptions);
  if (values.help || positionals.length > 1) return EXIT_USAGE;
  const name = positionals[0];
  const what = `SecKeychainChangePassword ${name ?? '<NULL>'}`;
  const target = targetOf(name, ctx);
  if (!existsSync(target.path)) return ctx.perror(what, errSecNoSuchKeychain);
  let old = values.old;
  if (old === undefined) {
    const typed = await ctx.promptPassword('Old Password: ');
    if (typed === null) return EXIT_CANCELED;
    old = typed;
  }
  let next = values.next;
  if (next === undefined) {
    const typed = await ctx.promptNewPassword('New Password: ', 'Retype New Password: ');
    if (typed === null) return EXIT_CANCELED;
    next = typed;
  }
  const current = old;
  const replacement = next;
  try {
    const status = openPlain(target.path, (kc) => {
      if (!kc.hasPasscode) {
        // A keychain without a password has the empty password.
        if (current !== '') return errSecAuthFailed;
        return replacement === '' ? 0 : kc.setPasscode(null, replacement);
      }
      if (current === '') return errSecAuthFailed;
      return kc.setPasscode(current, replacement === '' ? null : replacement);
    });
    if (status !== 0) return ctx.perror(what, status);
  } catch (error) {
    if (error instanceof SecError) return ctx.perror(what, error.status);
    throw error;
  }
  if (replacement !== '') ctx.session.unlocked(target.path, replacement);
  return 0;
}

export const setKeychainPassword: Command = {
  name: 'set-keychain-password',
  usage: '[-h] [-o oldPassword] [-p newPassword] [keychain]\n' +
    '    -o  Old keychain password (if not provided, will prompt)\n' +
    '    -p  New keychain password (if not provided, will prompt)\n' +
    'Use of the -o or -p options is insecure',
  help: 'Set password for a keychain.',
  options: passwordOptions,
  run: setKeychainPasswordRun,
};

// ── set-keychain-settings / show-keychain-info ───────────────────────────────

const settingsOptions = {
  help: { short: 'h', type: 'boolean' },
  lockOnSleep: { short: 'l', type: 'boolean' },
  useLockInterval: { short: 'u', type: 'boolean' },
  timeout: { short: 't', type: 'string' },
} as const satisfies OptionDefs;

async function setKeychainSettingsRun(args: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = getopt(args, settingsOptions);
  if (values.help || positionals.length > 1) return EXIT_USAGE;
  const name = positionals[0];
  const target = targetOf(name, ctx);
  if (!existsSync(target.path)) return ctx.perror(`SecKeychainSetSettings ${name ?? '<NULL>'}`, errSecNoSuchKeychain);
  // atoi(): a timeout that is not a number is 0. No -t: no timeout, and -u is dropped.
  const timeout = values.timeout === undefined ? null : Number.parseInt(values.timeout, 10) || 0;
  const settings: LockSettings = {
    lockOnSleep: values.lockOnSleep === true,
    useLockInterval: timeout !== null && values.useLockInterval === true,
    lockInterval: timeout,
  };
  updateSettings(ctx.env, (s) => {
    s.keychains[target.path] = settings;
  });
  return 0;
}

export const setKeychainSettings: Command = {
  name: 'set-keychain-settings',
  usage: '[-hlu] [-t timeout] [keychain]\n' +
    '    -l  Lock keychain when the system sleeps\n' +
    '    -u  Lock keychain after timeout interval\n' +
    '    -t  Timeout in seconds (omitting this option specifies "no timeout")\n' +
    '(stored for show-keychain-info: a secitem keychain is locked again when each command ends)',
  help: 'Set settings for a keychain.',
  options: settingsOptions,
  run: setKeychainSettingsRun,
};

async function showKeychainInfoRun(args: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = getopt(args, { help: { short: 'h', type: 'boolean' } });
  if (values.help || positionals.length > 1) return EXIT_USAGE;
  const name = positionals[0];
  const target = targetOf(name, ctx);
  if (!existsSync(target.path)) return ctx.perror(`SecKeychainCopySettings ${name ?? '<NULL>'}`, errSecNoSuchKeychain);
  const s = readSettings(ctx.env).keychains[target.path];
  const lockOnSleep = s?.lockOnSleep === true;
  const useLockInterval = s?.useLockInterval === true;
  const interval = s?.lockInterval ?? null;
  ctx.err(
    `Keychain "${name ?? '<NULL>'}"${lockOnSleep ? ' lock-on-sleep' : ''}${useLockInterval ? ' use-lock-interval' : ''}` +
      (interval === null ? ' no-timeout\n' : ` timeout=${interval}s\n`),
  );
  return 0;
}

export const showKeychainInfo: Command = {
  name: 'show-keychain-info',
  usage: '[keychain]',
  help: 'Show the settings for keychain.',
  run: showKeychainInfoRun,
};
