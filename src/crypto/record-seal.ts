/**
 * Authenticated small records kept in the clear (a counter the file must not
 * be able to reset): the text, then an HMAC-SHA-256 tag under a key derived
 * from the device key for that record's label. Without the device key a
 * record cannot be made or changed; a record that fails answers undefined.
 * (A record can still be replaced by an older authentic one: no file-internal
 * scheme detects that without a trusted counter.)
 * @module
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { wipe } from './wipe.js';

const TAG_PREFIX = '.';

export class RecordSeal {
  readonly #key: Buffer;
  readonly #label: string;

  constructor(deviceKey: Uint8Array, label: string) {
    this.#label = label;
    this.#key = Buffer.from(hkdfSync('sha256', deviceKey, Buffer.alloc(0), `secitem record ${label} v1`, 32));
  }

  #tag(text: string): Buffer {
    return createHmac('sha256', this.#key).update(this.#label).update('\0').update(text, 'utf8').digest();
  }

  /** `text.tag`, the tag in base64 (which has no `.`, so the last `.` separates them whatever the text holds). */
  seal(text: string): string {
    return `${text}${TAG_PREFIX}${this.#tag(text).toString('base64')}`;
  }

  /** The text of a sealed record, or undefined when it does not authenticate. */
  open(sealed: unknown): string | undefined {
    if (typeof sealed !== 'string') return undefined;
    const at = sealed.lastIndexOf(TAG_PREFIX);
    if (at < 0) return undefined;
    const text = sealed.slice(0, at);
    const given = Buffer.from(sealed.slice(at + 1), 'base64');
    const expected = this.#tag(text);
    const ok = given.length === expected.length && timingSafeEqual(given, expected);
    wipe(expected);
    return ok ? text : undefined;
  }
}
