/**
 * `dump-keychain [-adhir] [keychain...]`: its usage and options. What it
 * does is in ../run/dump-keychain.ts.
 * @module
 */
import { command, handlerOf } from '../command.js';

export const dumpKeychainCommand = command('dump-keychain', '[-adhir] [keychain...]', 'Dump the contents of one or more keychains.',
  handlerOf(() => import('../run/dump-keychain.js'), 'dumpKeychain'), {
    acl: { letter: 'a', help: 'Dump access control list of items (none here: no access control for this item)' },
    data: { letter: 'd', help: 'Dump (decrypted) data of items' },
    interactive: { letter: 'i', help: 'Interactive access control list editing (accepted; items have no ACLs here)' },
    raw: { letter: 'r', help: 'Dump the raw (encrypted) data of items (accepted; never printed)' },
  });
