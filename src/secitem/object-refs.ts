/**
 * The registry of object references (kSecValueRef, kSecReturnRef): which
 * item class an object kind is stored in, the attribute dictionary an
 * object implies (Apple's client-side SecItemCopyAttributeDictionary), and
 * how an item becomes its object again. Password items have no object
 * form: kSecReturnRef on them returns nothing and kSecValueRef refuses.
 * @module
 */
import type { Item } from '../schema/values.js';

/** How one kind of object is kept as an item. */
export interface ObjectKind<T> {
  /** The item class it is stored in (kSecClass value). */
  readonly className: string;
  /** Whether `value` is an object of this kind. */
  is(value: unknown): value is T;
  /**
   * The attributes (four-character codes) and kSecValueData the object
   * implies. `forQuery`: the form merged into a query, without the
   * attributes Apple filters out of one (a key's usage flags and kSecAttrIsPermanent).
   */
  dictionaryOf(object: T, forQuery: boolean): Record<string, unknown>;
  /** The object an item of its class stands for, or undefined when it cannot be made here. */
  fromItem(item: Item, options?: RefOptions): T | undefined;
  /**
   * The attributes fromItem reads besides the item's data and what access
   * control reads (AUTHORIZATION_READS): a lookup that returns only
   * references decodes no others.
   */
  readonly reads: readonly string[];
}

/** How the query that returned an object authenticates its later use (a key's private half). */
export interface RefOptions {
  /** kSecUseAuthenticationContext of the query, as given. */
  readonly authContext: unknown;
  /** kSecUseOperationPrompt of the query. */
  readonly operationPrompt: string | undefined;
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
