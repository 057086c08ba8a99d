/**
 * What stays unlocked while this process runs: passwords given to
 * unlock-keychain (or typed at a prompt) by keychain path, and the
 * environment password for the keychains not locked since. One invocation is
 * one session; interactive mode (-i) keeps it across its command lines.
 * Nothing of it is written anywhere.
 * @module
 */

/** The environment variable that unlocks keychains for one invocation. */
export const PASSWORD_ENV = 'SECITEM_KEYCHAIN_PASSWORD';

export class Session {
  readonly #env: Readonly<Record<string, string | undefined>>;
  readonly #passwords = new Map<string, string>();
  /** Keychains locked by lock-keychain: the environment password no longer applies. */
  readonly #locked = new Set<string>();
  #lockedAll = false;

  constructor(env: Readonly<Record<string, string | undefined>>) {
    this.#env = env;
  }

  /** The password to open `path` with, if this session has one. */
  passwordFor(path: string): string | undefined {
    const known = this.#passwords.get(path);
    if (known !== undefined) return known;
    if (this.#lockedAll || this.#locked.has(path)) return undefined;
    const fromEnv = this.#env[PASSWORD_ENV];
    return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
  }

  unlocked(path: string, password: string): void {
    this.#passwords.set(path, password);
    this.#locked.delete(path);
  }

  lock(path: string): void {
    this.#passwords.delete(path);
    this.#locked.add(path);
  }

  lockAll(): void {
    this.#passwords.clear();
    this.#lockedAll = true;
  }
}
