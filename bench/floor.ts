/**
 * The floor's cryptography, shared by the benchmarks: envelope encryption
 * (a random item key wrapped by a master key, both AES-256-GCM), the least
 * any store with per-item keys does.
 * @module
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

function gcmSeal(key: Buffer, plaintext: Buffer): Buffer {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  return Buffer.concat([iv, c.update(plaintext), c.final(), c.getAuthTag()]);
}

function gcmOpen(key: Buffer, box: Buffer): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, box.subarray(0, 12));
  d.setAuthTag(box.subarray(box.length - 16));
  return Buffer.concat([d.update(box.subarray(12, box.length - 16)), d.final()]);
}

const master = randomBytes(32);

export function envelopeSeal(secret: Buffer): Buffer {
  const key = randomBytes(32);
  return Buffer.concat([gcmSeal(master, key), gcmSeal(key, secret)]);
}

export function envelopeOpen(blob: Buffer): Buffer {
  const key = gcmOpen(master, blob.subarray(0, 60));
  return gcmOpen(key, blob.subarray(60));
}
