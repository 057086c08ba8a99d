/**
 * AES-256-GCM sealing with associated data, from node:crypto.
 * A sealed box is nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes).
 * @module
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { freshRandom } from './random.js';
import { wipe } from './wipe.js';

const NONCE = 12;
const TAG = 16;
export const NONCE_BYTES = NONCE;
export const TAG_BYTES = TAG;
export const KEY_BYTES = 32;
/** Bytes a sealed box adds to its plaintext. */
export const SEAL_OVERHEAD = NONCE + TAG;

/** node:crypto copies the IV and tag it is given, so these serve every call (no view of a box for each). */
const nonceScratch = Buffer.alloc(NONCE);
const tagScratch = Buffer.alloc(TAG);

function copyInto(out: Buffer, from: Uint8Array, at: number): void {
  for (let i = 0; i < out.length; i++) out[i] = from[at + i];
}

export function seal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Buffer {
  const box = Buffer.allocUnsafe(plaintext.length + SEAL_OVERHEAD);
  sealInto(box, 0, key, plaintext, aad, freshRandom(NONCE), 0);
  return box;
}

/**
 * Seals into `out` at `at` (plaintext.length + SEAL_OVERHEAD bytes), under
 * the nonce at `random[randomAt]` (12 fresh random bytes), so a caller builds
 * its layout in one buffer, from one draw of random bytes.
 */
export function sealInto(out: Buffer, at: number, key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, random: Uint8Array, randomAt: number): void {
  copyInto(nonceScratch, random, randomAt);
  nonceScratch.copy(out, at);
  const cipher = createCipheriv('aes-256-gcm', key, nonceScratch);
  cipher.setAAD(aad);
  const body = cipher.update(plaintext);
  const final = cipher.final(); // empty: GCM is a stream mode
  body.copy(out, at + NONCE);
  final.copy(out, at + NONCE + body.length);
  cipher.getAuthTag().copy(out, at + NONCE + body.length + final.length);
}

/**
 * node:crypto's update() writes the plaintext into a buffer one byte longer
 * than it (the cipher's block size, 1 for GCM), copies it into one of the
 * right length, and frees the first without clearing it: the plaintext stays
 * in the freed memory until it is reused. glibc's malloc hands back the
 * block of that size freed last first, so an uninitialized buffer of the
 * same size asked for at once (Buffer.allocUnsafeSlow: malloc, outside the
 * JavaScript heap above 64 bytes) is that block, and clearing it clears the
 * leftover. A measure, not a guarantee
 * (test/conformance/memory-after-lock.test.ts reads a process's memory).
 */
function scrubFreedOutput(plaintextLength: number): void {
  if (plaintextLength > 0) Buffer.allocUnsafeSlow(plaintextLength + 1).fill(0);
}

/**
 * Opens a sealed box (`box`, or its bytes from `start` to `end`); undefined
 * when it was altered, truncated or sealed under another key or AAD.
 */
export function open(key: Uint8Array, box: Uint8Array, aad: Uint8Array, start = 0, end = box.length): Buffer | undefined {
  if (end - start < SEAL_OVERHEAD) return undefined;
  copyInto(nonceScratch, box, start);
  copyInto(tagScratch, box, end - TAG);
  const decipher = createDecipheriv('aes-256-gcm', key, nonceScratch);
  decipher.setAAD(aad);
  decipher.setAuthTag(tagScratch);
  const body = decipher.update(box.subarray(start + NONCE, end - TAG));
  scrubFreedOutput(end - start - SEAL_OVERHEAD);
  try {
    const final = decipher.final(); // checks the tag; empty, as GCM is a stream mode
    return final.length === 0 ? body : Buffer.concat([body, final]);
  } catch {
    wipe(body);
    return undefined;
  }
}
