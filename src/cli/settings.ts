/**
 * The user's keychain settings: the search list, the default and login
 * keychains, and per-keychain lock settings, in one small JSON file,
 * `$XDG_CONFIG_HOME/secitem/settings.json` (or `~/.config/secitem/…`).
 * This is where Apple's tool keeps `~/Library/Preferences/com.apple.security.plist`.
 *
 * A missing or unreadable file means "nothing set": the search list is the
 * default keychain alone. Writes go to a temporary file renamed over the old
 * one, so a reader never sees half a file.
 * @module
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { home } from './keychain-paths.js';

type Env = Readonly<Record<string, string | undefined>>;

/** `set-keychain-settings` values for one keychain (KeychainSettings). */
export interface LockSettings {
  lockOnSleep: boolean;
  useLockInterval: boolean;
  /** Seconds; null = no timeout (INT_MAX in Apple's tool). */
  lockInterval: number | null;
}

/**
 * The idle lock these settings ask for: the interval with `-u` (use the
 * lock interval), else none (null). What secitemd applies for its keychain.
 */
export function idleLockSeconds(settings: LockSettings | undefined): number | null {
  return settings !== undefined && settings.useLockInterval && settings.lockInterval !== null ? settings.lockInterval : null;
}

/** A preference domain of `list-keychains -d` / `default-keychain -d`. */
export type Domain = 'user' | 'system' | 'common' | 'dynamic';
export const DOMAINS: readonly Domain[] = ['user', 'system', 'common', 'dynamic'];

interface DomainSettings {
  /** Absolute keychain paths; absent = the built-in default. */
  searchList?: string[];
  defaultKeychain?: string;
  loginKeychain?: string;
}

export interface Settings {
  version: 1;
  domains: Partial<Record<Domain, DomainSettings>>;
  /** Lock settings by absolute keychain path. */
  keychains: Record<string, LockSettings>;
}

/** `$XDG_CONFIG_HOME`, or `~/.config`. */
export function configHome(env: Env): string {
  const xdg = env.XDG_CONFIG_HOME;
  return xdg !== undefined && isAbsolute(xdg) ? xdg : join(home(env), '.config');
}

export function settingsPath(env: Env): string {
  return join(configHome(env), 'secitem', 'settings.json');
}

function empty(): Settings {
  return { version: 1, domains: {}, keychains: {} };
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}

/** Reads the settings; a missing or damaged file reads as empty. */
export function readSettings(env: Env): Settings {
  const path = settingsPath(env);
  if (!existsSync(path)) return empty();
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return empty();
  }
  const out = empty();
  if (typeof raw !== 'object' || raw === null) return out;
  const r = raw as { domains?: unknown; keychains?: unknown };
  if (typeof r.domains === 'object' && r.domains !== null) {
    for (const d of DOMAINS) {
      const v = (r.domains as Record<string, unknown>)[d];
      if (typeof v !== 'object' || v === null) continue;
      const ds = v as Record<string, unknown>;
      const s: DomainSettings = {};
      if (isStringArray(ds.searchList)) s.searchList = ds.searchList;
      if (typeof ds.defaultKeychain === 'string') s.defaultKeychain = ds.defaultKeychain;
      if (typeof ds.loginKeychain === 'string') s.loginKeychain = ds.loginKeychain;
      out.domains[d] = s;
    }
  }
  if (typeof r.keychains === 'object' && r.keychains !== null) {
    for (const [path, v] of Object.entries(r.keychains as Record<string, unknown>)) {
      if (typeof v !== 'object' || v === null) continue;
      const k = v as Record<string, unknown>;
      out.keychains[path] = {
        lockOnSleep: k.lockOnSleep === true,
        useLockInterval: k.useLockInterval === true,
        lockInterval: typeof k.lockInterval === 'number' ? k.lockInterval : null,
      };
    }
  }
  return out;
}

/** Writes the settings (directory 0700, file 0600), atomically. */
export function writeSettings(env: Env, settings: Settings): void {
  const path = settingsPath(env);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

/** Reads, changes and writes the settings. */
export function updateSettings(env: Env, change: (s: Settings) => void): void {
  const s = readSettings(env);
  change(s);
  writeSettings(env, s);
}
