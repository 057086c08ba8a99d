/**
 * The device key: the root of every other key, the analogue of a device's
 * hardware UID key. By default it lives in a 0600 file beside the database;
 * a host may supply it instead. A database copied without it yields nothing.
 * @module
 */
import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { SecError, errSecInvalidKeychain, errSecParam } from '../status.js';
import { KEY_BYTES } from './aead.js';

export function deviceKeyPath(databasePath: string): string {
  return `${databasePath}.devicekey`;
}

/** Reads the device key file; SecError(errSecInvalidKeychain) when it is missing or damaged. */
export function readDeviceKey(file: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SecError(errSecInvalidKeychain, `device key file ${file} cannot be read (${code ?? 'error'})`);
  }
  if (bytes.length !== KEY_BYTES) {
    throw new SecError(errSecInvalidKeychain, `device key file ${file} is damaged (${bytes.length} bytes, expected ${KEY_BYTES})`);
  }
  return bytes;
}

/**
 * Creates a new random device key file (mode 0600, exclusive create, synced
 * to disk) and returns the key. An existing file is read, never replaced.
 */
export function createOrReadDeviceKey(file: string): Buffer {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return readDeviceKey(file);
    throw e;
  }
  const key = randomBytes(KEY_BYTES);
  try {
    writeSync(fd, key);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return key;
}

/** Validates a host-supplied device key. */
export function checkSuppliedDeviceKey(key: Uint8Array): Buffer {
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) {
    throw new SecError(errSecParam, `deviceKey must be ${KEY_BYTES} bytes`);
  }
  return Buffer.from(key);
}
