/**
 * `keychain verify|repair [--delete-damaged] [keychain]`: secitem's own
 * commands (Apple's tool has no such check). Their usage; what they do is in
 * ../run/keychain.ts.
 * @module
 */
import { command, handlerOf } from '../command.js';

export const keychainCommand = command('keychain', 'verify|repair [--delete-damaged] [keychain]',
  "Check a keychain's ledger and every item, and report what is damaged (changes nothing).",
  handlerOf(() => import('../run/keychain.js'), 'keychain'), {
    deleteDamaged: { long: 'delete-damaged', help: 'repair: also delete the items that do not authenticate' },
  },
  'verify: exit 0 when the ledger is trusted and no item is damaged; else the\n' +
    'exit status of errSecDecode (93). Items of locked protection classes are\n' +
    'counted as locked; unlock with SECITEM_KEYCHAIN_PASSWORD or at the prompt.\n' +
    'repair: rebuild the ledger to vouch for every item that authenticates in its\n' +
    'own row (it needs the keychain unlocked; an item restored from an older copy\n' +
    'authenticates too, so verify first). Damaged items are kept unless\n' +
    '--delete-damaged.');
