/**
 * PEM armour as `security` writes it (keychain_utilities.c print_buffer_pem:
 * `-----BEGIN <label>-----`, base64 in 64-column lines, `-----END <label>-----`)
 * and reads it (every `-----BEGIN X-----` … `-----END X-----` block of a file,
 * other text ignored).
 * @module
 */

/** One PEM block: its label (`CERTIFICATE`, `PRIVATE KEY`, …) and its DER bytes. */
export interface PemBlock {
  readonly label: string;
  readonly der: Uint8Array;
}

/** `-----BEGIN <label>-----`, the base64 of `der` in lines of 64, `-----END <label>-----`, each line ending in a newline. */
export function pemEncode(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  let out = `-----BEGIN ${label}-----\n`;
  for (let i = 0; i < b64.length; i += 64) out += `${b64.slice(i, i + 64)}\n`;
  return `${out}-----END ${label}-----\n`;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

/** Every PEM block of `bytes`, in order; none when it is not PEM text. */
export function pemBlocks(bytes: Uint8Array): PemBlock[] {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const blocks: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const body = m[2];
    // Encrypted legacy PEM (Proc-Type headers) is not read here: its body has a header part.
    if (/^[A-Za-z-]+:/m.test(body)) continue;
    const compact = body.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) continue;
    blocks.push({ label: m[1], der: new Uint8Array(Buffer.from(compact, 'base64')) });
  }
  return blocks;
}

/** Whether `bytes` holds PEM text (a BEGIN line). */
export function isPem(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 1 << 20)).includes('-----BEGIN ');
}
