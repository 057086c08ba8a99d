/**
 * SearchItems through blind indexes: the Secret Service attributes of the
 * login collection's items, held in memory as keyed HMACs of each
 * (name, value) pair, never as the values themselves (they are sealed in
 * the keychain; the key is random, made when the provider starts, and never
 * leaves the process).
 *
 * One view per access-group list (the items a client sees), each built by
 * one pass over those items (decoding their `gena`) and stamped with the
 * keychain file's change counter read *before* that pass. A view answers
 * only while the counter still shows that value: any commit to the file —
 * the provider's own writes, a SecItem call through the daemon's socket,
 * another process — makes the next search rebuild it first. So a search
 * never answers from a view older than the file, and a view never holds an
 * item that the file no longer has. Without a counter (the file could not be
 * opened read-only) every search is a pass over the items, as before.
 * @module
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { ChangeCounter } from './keychain-changes.js';

/** An item as the index needs it: its id and its attributes. */
export interface IndexedItem {
  readonly id: string;
  readonly attributes: Readonly<Record<string, string>>;
}

interface View {
  /** The change counter's value read before the pass that built this view. */
  readonly version: number;
  /** Ids of the items holding a (name, value) pair, by the pair's HMAC, in keychain order. */
  readonly byPair: Map<string, Set<string>>;
  /** Every item id, in keychain order. */
  readonly ids: readonly string[];
}

const TAG_BYTES = 16;

export class AttributeIndex {
  readonly #key = randomBytes(32);
  readonly #changes: ChangeCounter | undefined;
  readonly #views = new Map<string, View>();

  constructor(changes: ChangeCounter | undefined) {
    this.#changes = changes;
  }

  /** HMAC of one pair: lengths first, so no two pairs encode alike. */
  #pairTag(name: string, value: string): string {
    const n = Buffer.from(name, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(n.length);
    return createHmac('sha256', this.#key).update('pair\0').update(length).update(n).update(value, 'utf8').digest().subarray(0, TAG_BYTES).toString('base64');
  }

  #version(): number | undefined {
    try {
      return this.#changes?.version();
    } catch {
      return undefined; // the counter failed: answer from a fresh pass
    }
  }

  /** The current view of `scope`, rebuilt from `load()` when the file changed since it was built. */
  #view(scope: string, load: () => readonly IndexedItem[]): View {
    // Read before the pass: a commit during or after it changes the counter again, and the next search rebuilds.
    const version = this.#version();
    const cached = this.#views.get(scope);
    if (cached !== undefined && version !== undefined && cached.version === version) return cached;
    const byPair = new Map<string, Set<string>>();
    const ids: string[] = [];
    for (const item of load()) {
      ids.push(item.id);
      for (const [name, value] of Object.entries(item.attributes)) add(byPair, this.#pairTag(name, value), item.id);
    }
    const view: View = { version: version ?? NaN, byPair, ids };
    if (version === undefined) this.#views.delete(scope);
    else this.#views.set(scope, view);
    return view;
  }

  /** Ids of the items of `scope` whose attributes include every pair of `query`, in keychain order. */
  search(scope: string, query: Readonly<Record<string, string>>, load: () => readonly IndexedItem[]): string[] {
    const view = this.#view(scope, load);
    const sets: Set<string>[] = [];
    for (const [name, value] of Object.entries(query)) {
      const ids = view.byPair.get(this.#pairTag(name, value));
      if (ids === undefined) return [];
      sets.push(ids);
    }
    if (sets.length === 0) return [...view.ids];
    // The smallest set's ids, in its (keychain) order, that every other pair's set holds too.
    sets.sort((a, b) => a.size - b.size);
    const [smallest, ...others] = sets as [Set<string>, ...Set<string>[]];
    return [...smallest].filter((id) => others.every((s) => s.has(id)));
  }

  /** Forgets every view (the keychain locked: its attributes are sealed again). */
  clear(): void {
    this.#views.clear();
  }

  close(): void {
    this.#views.clear();
    this.#key.fill(0);
    this.#changes?.close();
  }
}

function add(map: Map<string, Set<string>>, tag: string, id: string): void {
  let ids = map.get(tag);
  if (ids === undefined) map.set(tag, (ids = new Set()));
  ids.add(id);
}
