/**
 * The daemon's state on disk: a private directory (mode 0700, this user's)
 * and small owner-only files in it, replaced atomically (a temporary file in
 * the same directory, synced, renamed over the old one, then the directory
 * synced) so that a crash leaves either the old or the new file, never half
 * of one. Read back only when they are regular files (O_NOFOLLOW), owned by
 * this user and closed to everyone else: the same rules as the device key
 * file (store/device-key-file.ts).
 *
 * Also where the state lives by default: `$XDG_STATE_HOME/secitem/daemon`,
 * else `~/.local/state/secitem/daemon`.
 * @module
 */
import {
  closeSync, constants as fsConstants, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, readSync, renameSync, unlinkSync, writeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';

/** A state file or directory that is not what it must be; the message names the path, never a file's content. */
export class StateFileError extends Error {
  constructor(message: string) {
    super(message);
    Object.defineProperty(this, 'name', { value: 'StateFileError', enumerable: false });
  }
}

const myUid = (): number | undefined => (typeof process.getuid === 'function' ? process.getuid() : undefined);

/** The default state directory for an environment (HOME, XDG_STATE_HOME). */
export function defaultStateDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const xdg = env.XDG_STATE_HOME;
  if (xdg !== undefined && xdg.startsWith('/')) return join(xdg, 'secitem', 'daemon');
  return join(env.HOME ?? homedir(), '.local', 'state', 'secitem', 'daemon');
}

/**
 * Creates `dir` (and its parents) when missing, mode 0700; refuses one that
 * is a symbolic link, not a directory, another user's, or open to others.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  checkPrivateDir(dir);
}

/** Refuses a directory that is a symbolic link, not a directory, another user's, or open to others. */
export function checkPrivateDir(dir: string): void {
  const st = lstatSync(dir);
  if (st.isSymbolicLink()) throw new StateFileError(`state directory ${dir} is a symbolic link`);
  if (!st.isDirectory()) throw new StateFileError(`state directory ${dir} is not a directory`);
  const uid = myUid();
  if (uid !== undefined && st.uid !== uid) throw new StateFileError(`state directory ${dir} is owned by uid ${st.uid}, not by this user`);
  if ((st.mode & 0o077) !== 0) {
    throw new StateFileError(`state directory ${dir} has mode ${(st.mode & 0o777).toString(8)}: others may enter it (chmod 700 it if you made it)`);
  }
}

/** Syncs a directory, so that a rename or create in it is durable. */
export function syncDir(dir: string): void {
  const fd = openSync(dir, fsConstants.O_RDONLY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes `bytes` to `file` atomically: temp file (0600, exclusive) + fsync + rename + directory fsync. */
export function writeFileAtomic(file: string, bytes: Uint8Array | string): void {
  const dir = dirname(file);
  const temp = join(dir, `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, 0o600);
  try {
    try {
      writeSync(fd, typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (e) {
    try {
      unlinkSync(temp);
    } catch {
      // already renamed or never made
    }
    throw e;
  }
  syncDir(dir);
}

/** Creates `file` with `bytes` (exclusive: an existing file is refused, never replaced), mode `mode`, synced. */
export function createFileExclusive(file: string, bytes: Uint8Array | string, mode: number): void {
  let fd: number;
  try {
    fd = openSync(file, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, mode);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new StateFileError(`${file} already exists: it is never replaced (remove it if it is yours)`);
    throw new StateFileError(`${file} cannot be created (${code ?? 'error'})`);
  }
  try {
    writeSync(fd, typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export interface ReadFileOptions {
  /** Refuse a file larger than this. */
  readonly maxBytes: number;
  /** Require owner-only permissions (no group/other bits) and this user as owner. */
  readonly ownerOnly?: boolean;
}

/**
 * Reads a regular file (not through a symbolic link), checked on the open
 * descriptor (fstat) so it cannot be swapped in between. With `ownerOnly`,
 * refuses another user's file or one open to others.
 */
export function readCheckedFile(file: string, options: ReadFileOptions): Buffer {
  let fd: number;
  try {
    fd = openSync(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new StateFileError(code === 'ELOOP' ? `${file} is a symbolic link` : `${file} cannot be read (${code ?? 'error'})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new StateFileError(`${file} is not a regular file`);
    if (options.ownerOnly) {
      const uid = myUid();
      if (uid !== undefined && st.uid !== uid) throw new StateFileError(`${file} is owned by uid ${st.uid}, not by this user`);
      if ((st.mode & 0o077) !== 0) throw new StateFileError(`${file} has mode ${(st.mode & 0o777).toString(8)}: others may read or change it (chmod 600 it if you made it)`);
    }
    if (st.size > options.maxBytes) throw new StateFileError(`${file} is too large (${st.size} bytes, at most ${options.maxBytes})`);
    const bytes = Buffer.alloc(Math.min(st.size, options.maxBytes) + 1);
    let n = 0;
    for (;;) {
      const got = readSync(fd, bytes, n, bytes.length - n, n);
      if (got === 0) break;
      n += got;
      if (n === bytes.length) throw new StateFileError(`${file} is too large (it grew while being read)`);
    }
    return bytes.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}
