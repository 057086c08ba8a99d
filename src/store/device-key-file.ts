/**
 * The device key's file: the root of every other key, the analogue of a
 * device's hardware UID key, kept in `<keychain>.devicekey` beside the
 * database (a host may supply the key instead). A database copied without
 * it yields nothing.
 *
 * A key file is only ever made by the keychain that uses it: creating a
 * keychain refuses a key file that already exists (one planted in a shared
 * directory or a CI cache would make a later copy of the database readable
 * by whoever planted it), and reading one requires a regular file, owned by
 * this user, that no one else may read or write (mode 0600).
 * @module
 */
import { closeSync, constants as fsConstants, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { SecError, errSecInvalidKeychain, errSecParam } from '../status.js';
import { copyBytes } from '../schema/values.js';

export const DEVICE_KEY_BYTES = 32;

export function deviceKeyPath(databasePath: string): string {
  return `${databasePath}.devicekey`;
}

const invalid = (file: string, why: string): SecError => new SecError(errSecInvalidKeychain, `device key file ${file} ${why}`);

/**
 * Reads the device key file; SecError(errSecInvalidKeychain) when it is
 * missing, damaged, not a regular file, owned by another user, or open to
 * anyone else (mode other than 0600). The checks are made on the open file
 * itself (fstat), so the file cannot be swapped between check and read.
 */
export function readDeviceKey(file: string): Buffer {
  let fd: number;
  try {
    fd = openSync(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw invalid(file, code === 'ELOOP' ? 'is a symbolic link' : `cannot be read (${code ?? 'error'})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw invalid(file, 'is not a regular file');
    if (typeof process.getuid === 'function' && st.uid !== process.getuid()) throw invalid(file, `is owned by uid ${st.uid}, not by this user`);
    if ((st.mode & 0o077) !== 0) throw invalid(file, `has mode ${(st.mode & 0o777).toString(8)}: others may read or change it (chmod 600 it if you made it)`);
    const bytes = Buffer.alloc(DEVICE_KEY_BYTES + 1);
    const n = readSync(fd, bytes, 0, bytes.length, 0);
    if (n !== DEVICE_KEY_BYTES) throw invalid(file, `is damaged (${n === bytes.length ? 'too long' : `${n} bytes`}, expected ${DEVICE_KEY_BYTES})`);
    return bytes.subarray(0, DEVICE_KEY_BYTES);
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates a new random device key file (mode 0600, exclusive create, synced
 * to disk) and returns the key. A file already there is refused, never
 * adopted: SecError(errSecInvalidKeychain).
 */
export function createDeviceKey(file: string): Buffer {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw invalid(file, 'already exists, but its keychain does not: remove it if it is yours (a key file is never adopted by a new keychain)');
    }
    throw e;
  }
  const key = randomBytes(DEVICE_KEY_BYTES);
  try {
    writeSync(fd, key);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return key;
}

/** Validates a host-supplied device key (copied first: a subclass cannot lie about its length afterwards). */
export function checkSuppliedDeviceKey(key: unknown): Buffer {
  const copy = key instanceof Uint8Array ? Buffer.from(copyBytes(key)) : undefined;
  if (copy === undefined || copy.length !== DEVICE_KEY_BYTES) throw new SecError(errSecParam, `deviceKey must be ${DEVICE_KEY_BYTES} bytes of data`);
  return copy;
}
