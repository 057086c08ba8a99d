/**
 * Wiping key material and plaintext: every module zeroes what it is done
 * with through this one function, so a reader can find each place a secret
 * leaves memory by searching for `wipe(`.
 * @module
 */

/** Overwrites each buffer with zeros (undefined entries are skipped). */
export function wipe(...buffers: (Uint8Array | undefined)[]): void {
  for (const b of buffers) b?.fill(0);
}
