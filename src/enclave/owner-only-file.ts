/**
 * Small secret files that only their owner may touch: created exclusively
 * (mode 0600, synced), read only when they are regular files (O_NOFOLLOW),
 * owned by this user and closed to everyone else. The same rules as the
 * device key file (store/device-key-file.ts, which sits a layer above and so
 * keeps its own copy), written once for any fixed-size key file.
 * @module
 */
import { closeSync, constants as fsConstants, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { SecError, errSecInvalidKeychain } from '../status.js';

/** `what` names the file in messages (e.g. "enclave file"); the bytes are never part of one. */
export function invalidKeyFile(what: string, file: string, why: string): SecError {
  return new SecError(errSecInvalidKeychain, `${what} ${file} ${why}`);
}

/**
 * Reads a key file of exactly `size` bytes; SecError(errSecInvalidKeychain)
 * when it is missing, a symbolic link, not a regular file, another user's,
 * open to anyone else (mode other than 0600) or of another size. The checks
 * are made on the open file (fstat), so it cannot be swapped in between.
 */
export function readOwnerOnlyFile(what: string, file: string, size: number): Buffer {
  let fd: number;
  try {
    fd = openSync(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw invalidKeyFile(what, file, code === 'ELOOP' ? 'is a symbolic link' : `cannot be read (${code ?? 'error'})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw invalidKeyFile(what, file, 'is not a regular file');
    if (typeof process.getuid === 'function' && st.uid !== process.getuid()) throw invalidKeyFile(what, file, `is owned by uid ${st.uid}, not by this user`);
    if ((st.mode & 0o077) !== 0) throw invalidKeyFile(what, file, `has mode ${(st.mode & 0o777).toString(8)}: others may read or change it (chmod 600 it if you made it)`);
    const bytes = Buffer.alloc(size + 1);
    const n = readSync(fd, bytes, 0, bytes.length, 0);
    if (n !== size) {
      bytes.fill(0);
      throw invalidKeyFile(what, file, `is damaged (${n === bytes.length ? 'too long' : `${n} bytes`}, expected ${size})`);
    }
    return bytes.subarray(0, size);
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates a key file holding `bytes` (exclusive create, mode 0600, synced).
 * A file already there is refused, never adopted: SecError(errSecInvalidKeychain).
 */
export function createOwnerOnlyFile(what: string, file: string, bytes: Uint8Array): void {
  let fd: number;
  try {
    fd = openSync(file, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, 0o600);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw invalidKeyFile(what, file, 'already exists, but was not made by this keychain: remove it if it is yours (a key file is never adopted)');
    throw invalidKeyFile(what, file, `cannot be created (${code ?? 'error'})`);
  }
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
