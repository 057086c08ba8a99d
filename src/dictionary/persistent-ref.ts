/**
 * Persistent references: the 4-byte class code followed by the item's
 * 16-byte UUID (Apple's static persistent references, 20 bytes). The UUID
 * stays with the row across SecItemUpdate and dies with it on delete.
 * @module
 */
import { SecError, errSecParam } from '../status.js';
import { identityClassName, itemClasses } from '../schema/classes.js';

export interface PersistentRef {
  readonly className: string;
  readonly uuid: Buffer;
}

const CLASS_BYTES = 4;
export const UUID_BYTES = 16;
const validClasses: ReadonlySet<string> = new Set([...itemClasses.keys(), identityClassName]);

export function parsePersistentRef(value: unknown): PersistentRef {
  if (!(value instanceof Uint8Array) || value.length !== CLASS_BYTES + UUID_BYTES) {
    throw new SecError(errSecParam, `kSecValuePersistentRef must be ${CLASS_BYTES + UUID_BYTES} bytes of data`);
  }
  const className = Buffer.from(value.subarray(0, CLASS_BYTES)).toString('latin1');
  if (!validClasses.has(className)) throw new SecError(errSecParam, 'kSecValuePersistentRef names no item class');
  return { className, uuid: Buffer.from(value.subarray(CLASS_BYTES)) };
}

export function makePersistentRef(className: string, uuid: Uint8Array): Uint8Array {
  const out = new Uint8Array(CLASS_BYTES + UUID_BYTES);
  for (let i = 0; i < CLASS_BYTES; i++) out[i] = className.charCodeAt(i) & 0xff; // four latin1 characters
  out.set(uuid, CLASS_BYTES);
  return out;
}
