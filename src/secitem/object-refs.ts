/**
 * The registry of object references (kSecValueRef, kSecReturnRef): which
 * item class an object kind is stored in, how an item becomes that object
 * and how an object gives its class and attributes. Certificates, keys and
 * identities register here as they arrive; password items have no object
 * form, so kSecReturnRef on them returns nothing and kSecValueRef refuses.
 * @module
 */
import type { AttrValue, Item } from '../schema/values.js';

/** How one kind of object is kept as an item. */
export interface ObjectKind<T> {
  /** The item class it is stored in (kSecClass value). */
  readonly className: string;
  /** Whether `value` is an object of this kind. */
  is(value: unknown): value is T;
  /** The attributes (and data) an add of the object infers. */
  toItem(object: T): { attrs: Map<string, AttrValue>; data: Uint8Array | undefined };
  /** The object an item of its class stands for. */
  fromItem(item: Item): T;
}

export class ObjectRegistry {
  readonly #kinds: ObjectKind<unknown>[] = [];

  register<T>(kind: ObjectKind<T>): void {
    this.#kinds.push(kind as ObjectKind<unknown>);
  }

  /** The kind of a kSecValueRef value, or undefined when no registered kind claims it. */
  kindOf(value: unknown): ObjectKind<unknown> | undefined {
    return this.#kinds.find((k) => k.is(value));
  }

  /** The kind items of a class are returned as by kSecReturnRef, or undefined (password items). */
  kindFor(className: string): ObjectKind<unknown> | undefined {
    return this.#kinds.find((k) => k.className === className);
  }
}
