/**
 * AES-256-GCM sealing with associated data, from node:crypto.
 * A sealed box is nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes).
 * @module
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { freshRandom } from './random.js';

const NONCE = 12;
const TAG = 16;
export const TAG_BYTES = TAG;
export const KEY_BYTES = 32;
/** Bytes a sealed box adds to its plaintext. */
export const SEAL_OVERHEAD = NONCE + TAG;

export function seal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Buffer {
  const nonce = freshRandom(NONCE);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  const body = cipher.update(plaintext);
  const final = cipher.final();
  return Buffer.concat([nonce, body, final, cipher.getAuthTag()]);
}

/** Opens a sealed box; undefined when it was altered, truncated or sealed under another key or AAD. */
export function open(key: Uint8Array, box: Uint8Array, aad: Uint8Array): Buffer | undefined {
  if (box.length < SEAL_OVERHEAD) return undefined;
  const nonce = box.subarray(0, NONCE);
  const tag = box.subarray(box.length - TAG);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  const body = decipher.update(box.subarray(NONCE, box.length - TAG));
  try {
    return Buffer.concat([body, decipher.final()]);
  } catch {
    body.fill(0);
    return undefined;
  }
}
