/**
 * What every SecItem function runs over: the open keychain (Engine) and the
 * caller (ClientContext). The engine never asks how a call arrived: the
 * in-process API builds a ClientContext from the entitlements it is given,
 * a daemon from the caller it identified.
 * @module
 */
import type { AccessPolicy } from '../access/groups.js';
import type { BlindIndex } from '../crypto/blind-index.js';
import type { Keybag } from '../crypto/keybag.js';
import type { KeychainDatabase } from '../store/database.js';
import type { Entitlements } from '../types.js';
import type { ObjectRegistry } from './object-refs.js';

/** The open keychain: its database, keybag and blind-index key. */
export interface Engine {
  readonly db: KeychainDatabase;
  readonly keybag: Keybag;
  readonly blind: BlindIndex;
  /** How kSecValueRef / kSecReturnRef objects map to item classes. */
  readonly objects: ObjectRegistry;
}

/** One caller: who it is and what it may touch. */
export interface ClientContext {
  readonly entitlements: Readonly<Entitlements>;
  /** Its access groups, derived from the entitlements. */
  readonly access: AccessPolicy;
}
