/**
 * `item`: the data-protection keychain tool Apple ships with its internal
 * `security` (SecurityTool keychain_find.m `keychain_item`): its usage and
 * options. What it does is in ../run/item.ts.
 * @module
 */
import { itemClasses } from '../../schema/classes.js';
import { accessControlFlagTable, protectionClasses } from '../../schema/protection.js';
import { command, handlerOf } from '../command.js';
import { hideSecretsInWord } from '../item/secrets.js';

/** `genp|inet|cert|keys|idnt`: the item classes and the identity pseudo-class, as `class=` takes them. */
export const CLASS_CHOICES = [...itemClasses.keys(), 'idnt'].join('|');

export const itemCommand = command('item',
  '[-h] [-v] [-k keychain] [-a|-D|-u attr=value,...|[-q attr=value,...][-j][-g][-l limit]] [-s group] [-p persistentref] [-J json] [-d password | -f datafile] [attr=value,...]',
  'Manipulate keychain items.', handlerOf(() => import('../run/item.js'), 'item'), {
    add: { letter: 'a', help: 'Add an item with the attributes given' },
    delete: { letter: 'D', help: 'Delete every item matching the attributes given' },
    update: { letter: 'u', value: 'attr=value,...', multiple: true, help: 'Update every matching item with these attributes (attr=value,... or a JSON object; repeatable)' },
    query: { letter: 'q', value: 'attr=value,...', multiple: true, help: 'Query attributes (querying is the default); the same as trailing attr=value,...' },
    json: { letter: 'j', help: 'Print items as JSON, one object per line (with -a: the new item)' },
    getData: { letter: 'g', help: 'Print the data (kSecValueData) of each item too' },
    limit: { letter: 'l', value: 'limit', help: 'Return at most this many items (default: all)' },
    group: { letter: 's', value: 'group', help: 'Restrict to (with -a: add to) this access group' },
    persistentRef: { letter: 'p', value: 'persistentref', help: 'The item with this persistent reference (base64, as printed)' },
    jsonInput: { letter: 'J', value: 'json', multiple: true, secret: true, help: 'Attributes as a JSON object in the -j format (repeatable)' },
    data: { letter: 'd', value: 'password', secret: true, help: 'Data (kSecValueData) as text; with -u the new data' },
    dataFile: { letter: 'f', value: 'datafile', help: 'Data read from a file; with -u the new data' },
    keychain: { letter: 'k', value: 'keychain', help: 'Use this keychain instead of the default keychain' },
    verbose: { letter: 'v', help: 'Print the dictionaries (data hidden) on stderr first' },
  },
  `class=${CLASS_CHOICES} is required unless -p names the item. Queries see\n` +
    'non-synchronizable items only; sync=1 selects synchronizable ones, sync=any both.\n' +
    `Values: blob/data <hex> for bytes, dates ISO 8601, accc=${protectionClasses[0]}[;${accessControlFlagTable[0].name};...].`,
  hideSecretsInWord,
);
