/**
 * `keychain verify [keychain]`: secitem's own command (Apple's tool has no
 * such check). Its usage; what it does is in ../run/keychain.ts.
 * @module
 */
import { command, handlerOf } from '../command.js';

export const keychainCommand = command('keychain', 'verify [keychain]',
  "Check a keychain's ledger and every item, and report what is damaged (changes nothing).",
  handlerOf(() => import('../run/keychain.js'), 'keychain'), {},
  'verify: exit 0 when the ledger is trusted and no item is damaged; else the\n' +
    'exit status of errSecDecode (93). Items of locked protection classes are\n' +
    'counted as locked; unlock with SECITEM_KEYCHAIN_PASSWORD or at the prompt.');
