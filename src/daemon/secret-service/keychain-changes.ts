/**
 * Whether the keychain file changed: SQLite's `PRAGMA data_version` on a
 * read-only connection of the provider's own. Its value changes whenever
 * any other connection commits to the file — the daemon's own keychain
 * connection (every SecItem write of the daemon, the provider's included)
 * and any other process's — and stays put otherwise. The connection reads
 * no table and holds no key: it only watches the write-ahead log's header.
 *
 * The value tells "something was committed since", not how many commits: a
 * cache keyed on it must be rebuilt from the file after any change, never
 * patched and carried forward (a commit by another process could hide behind
 * one's own).
 * @module
 */
import Database from 'better-sqlite3';

export interface ChangeCounter {
  /** A value that differs from every earlier one once anything was committed to the file. */
  version(): number;
  close(): void;
}

/** The keychain file's change counter, or undefined when the file cannot be opened read-only (then nothing may be cached). */
export function openChangeCounter(path: string): ChangeCounter | undefined {
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch {
    return undefined;
  }
  const dataVersion = db.prepare('PRAGMA data_version').pluck(true);
  return {
    version: () => Number(dataVersion.get()),
    close: () => {
      if (db.open) db.close();
    },
  };
}
