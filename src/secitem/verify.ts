/**
 * The keychain's own report on itself (verify), and its owner's repair.
 *
 * verify: the ledger's state and each item's, without changing anything. An item is `ok` when it opens and the ledger
 * vouches for it, `damaged` when it does not authenticate (or the ledger
 * does not hold it as the current version), `locked` when its protection
 * class's key is not available in this lock state.
 * @module
 */
import { SecError, errSecDecode, errSecInteractionNotAllowed } from '../status.js';
import { sealTagOf } from '../crypto/item-seal.js';
import type { Engine } from './context.js';
import { forgetItem, openRow, openSealed } from './rows.js';

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

export interface RepairReport {
  /** Items whose seal authenticates in their own row: the rebuilt ledger vouches for them. */
  readonly vouched: number;
  /** Items that do not authenticate: kept (answering errSecDecode), or deleted with deleteDamaged. */
  readonly damaged: number;
  readonly deleted: number;
}

/**
 * repair: rebuilds the ledger so that it vouches for every item whose seal
 * authenticates in its own row, in one write transaction; damaged items are
 * kept unless `deleteDamaged`. It needs every class key (the keychain
 * unlocked), and it trusts the rows as they are: an item restored from an
 * older copy of the file authenticates and is vouched for again. It is the
 * owner's decision, after verify, never something a read does.
 */
export function repairKeychain(engine: Engine, deleteDamaged: boolean): RepairReport {
  if (engine.keybag.state !== 'unlocked') {
    throw new SecError(errSecInteractionNotAllowed, 'a repair needs the keychain unlocked: every item must be opened');
  }
  let vouched = 0;
  let damaged = 0;
  let deleted = 0;
  engine.db.write(() => {
    const records: Buffer[] = [];
    for (const table of engine.db.tables) {
      for (const row of table.select({ equal: [] })) {
        try {
          forgetItem(openSealed(engine, table.cls, row));
          records.push(Buffer.concat([row.persistref, sealTagOf(row.blob)]));
          vouched += 1;
        } catch (e) {
          if (!(e instanceof SecError) || e.status !== errSecDecode) throw e;
          damaged += 1;
          if (deleteDamaged) {
            table.deleteRowid(row.rowid);
            deleted += 1;
          }
        }
      }
    }
    engine.db.ledger.rebuild(records, engine.db.getMeta('keybag'));
  });
  return { vouched, damaged, deleted };
}

