/**
 * Byte printers of Apple's `security` tool (SecurityTool keychain_utilities.c:
 * print_buffer, print_uint32), the timedate encoding of keychain dates, and
 * the `-w` password form of find-*-password.
 *
 * Everything here returns a string of ASCII characters: print_buffer escapes
 * every byte outside 0x20–0x7E, so its output never needs an encoding.
 * @module
 */

/** A printable byte in the C locale, as isprint() sees it: 0x20–0x7E. */
function isPrintable(byte: number): boolean {
  return byte >= 0x20 && byte <= 0x7e;
}

const BACKSLASH = 0x5c;

/** Uppercase hex of every byte, two digits each. */
function upperHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex').toUpperCase();
}

/**
 * `print_buffer`: bytes as `security` prints an attribute value.
 *
 * - If any byte is outside 0x20–0x7E or is `\`: `0x` + uppercase hex of all
 *   bytes, followed by two spaces when a quoted form follows, else one space.
 * - If any byte is inside 0x20–0x7E and is not `\`: the bytes in double quotes,
 *   with every non-printable byte and `\` written as `\ooo` (three octal digits).
 *   `"` itself is not escaped.
 * - Empty input prints nothing.
 *
 * @example printBuffer(Buffer.from('a\u00e9')) === '0x61C3A9  "a\\303\\251"'
 */
export function printBuffer(bytes: Uint8Array): string {
  let hex = false;
  let ascii = false;
  for (const byte of bytes) {
    if (isPrintable(byte) && byte !== BACKSLASH) ascii = true;
    else hex = true;
  }
  let out = '';
  if (hex) out += `0x${upperHex(bytes)}${ascii ? '  ' : ' '}`;
  if (ascii) {
    out += '"';
    for (const byte of bytes) {
      out +=
        isPrintable(byte) && byte !== BACKSLASH
          ? String.fromCharCode(byte)
          : `\\${byte.toString(8).padStart(3, '0')}`;
    }
    out += '"';
  }
  return out;
}

/** The four big-endian bytes of a 32-bit value (negative numbers wrap). */
export function uint32Bytes(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value >>> 0, false);
  return bytes;
}

/**
 * `print_uint32`: print_buffer of the four big-endian bytes, so four-char
 * codes print as `"genp"` and small numbers as `0x00000007 `.
 */
export function printUint32(value: number): string {
  return printBuffer(uint32Bytes(value));
}

/** A four-character code as its 32-bit value: 'genp' → 0x67656E70. */
export function fourCharCode(code: string): number {
  const bytes = Buffer.from(code, 'latin1');
  if (bytes.length !== 4) throw new RangeError(`a four-character code has 4 bytes, not ${bytes.length}`);
  return bytes.readUInt32BE(0);
}

/**
 * A keychain date as the CSSM timedate attribute holds it: the 16 bytes of
 * `YYYYMMDDhhmmssZ` in UTC followed by a NUL.
 */
export function timedateBytes(date: Date): Uint8Array {
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  const text =
    pad(date.getUTCFullYear(), 4) +
    pad(date.getUTCMonth() + 1) +
    pad(date.getUTCDate()) +
    pad(date.getUTCHours()) +
    pad(date.getUTCMinutes()) +
    pad(date.getUTCSeconds()) +
    'Z\0';
  return Buffer.from(text, 'latin1');
}

/**
 * The `-w` form of a password: the raw bytes when every byte is printable
 * (0x20–0x7E), otherwise lowercase hex of all bytes. Both are ASCII.
 */
export function passwordForStdout(bytes: Uint8Array): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return buf.every(isPrintable) ? buf.toString('latin1') : buf.toString('hex');
}
