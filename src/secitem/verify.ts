/**
 * The keychain's own report on itself: the ledger's state and each item's,
 * without changing anything. An item is `ok` when it opens and the ledger
 * vouches for it, `damaged` when it does not authenticate (or the ledger
 * does not hold it as the current version), `locked` when its protection
 * class's key is not available in this lock state.
 * @module
 */
import { SecError, errSecDecode } from '../status.js';
import type { Engine } from './context.js';
import { forgetItem, openRow } from './rows.js';

export type ItemState = 'ok' | 'damaged' | 'locked';

export interface KeychainReport {
  /** Whether every ledger bucket checked out and they add up to the root. */
  readonly ledger: 'trusted' | 'untrusted';
  readonly counts: Readonly<Record<ItemState, number>>;
  /** Every item that is not ok: its class and persistent reference (class code and UUID). */
  readonly problems: readonly { readonly className: string; readonly persistentRef: Uint8Array; readonly state: Exclude<ItemState, 'ok'> }[];
}

export function verifyKeychain(engine: Engine): KeychainReport {
  const counts = { ok: 0, damaged: 0, locked: 0 };
  const problems: { className: string; persistentRef: Uint8Array; state: 'damaged' | 'locked' }[] = [];
  engine.db.snapshot(() => {
    for (const table of engine.db.tables) {
      for (const row of table.iterate({ equal: [] })) {
        let state: ItemState;
        try {
          forgetItem(openRow(engine, table.cls, row));
          state = 'ok';
        } catch (e) {
          if (!(e instanceof SecError)) throw e;
          state = e.status === errSecDecode ? 'damaged' : 'locked';
        }
        counts[state] += 1;
        if (state !== 'ok') {
          const uuid = Buffer.isBuffer(row.persistref) ? row.persistref : Buffer.alloc(0);
          problems.push({ className: table.cls.name, persistentRef: Buffer.concat([Buffer.from(table.cls.name, 'latin1'), uuid]), state });
        }
      }
    }
  });
  return { ledger: engine.db.ledger.trusted ? 'trusted' : 'untrusted', counts, problems };
}
