/**
 * The keychain-file commands of `security` (keychain_list.c,
 * keychain_create.c, keychain_delete.c, keychain_lock.c, keychain_unlock.c,
 * keychain_set_settings.c, keychain_show_info.c): their names, usage and
 * options. What they do is in ../run/keychain-files.ts.
 * @module
 */
import { command, handlerOf } from '../command.js';
import type { OptionTable } from '../options.js';
import type * as handlers from '../run/keychain-files.js';

type HandlerName = Parameters<typeof handlerOf<typeof handlers>>[1];

const handler = (name: HandlerName) =>
  handlerOf(() => import('../run/keychain-files.js'), name);

/** `-d domain` and `-s` of list-, default- and login-keychain; `set` is what -s sets. */
function domainOptions(set: string) {
  return {
    domain: { letter: 'd', value: 'domain', help: 'Use the specified preference domain' },
    set: { letter: 's', help: set },
  } as const satisfies OptionTable;
}

/**
 * create- and unlock-keychain: `-p password` (the keychain password on the
 * command line, with Apple's warning about it) and one flag.
 */
function withPassword<const F extends OptionTable>(
  name: string, synopsis: string, help: string, run: HandlerName, passwordHelp: string, flag: F,
) {
  const options = { password: { letter: 'p', value: 'password', secret: true, help: passwordHelp }, ...flag } as const;
  return command(name, synopsis, help, handler(run), options, 'Use of the -p option is insecure');
}

const DOMAIN_SYNOPSIS = '[-h] [-d user|system|common|dynamic]';

export const listKeychainsCommand = command('list-keychains', `${DOMAIN_SYNOPSIS} [-s [keychain...]]`,
  'Display or manipulate the keychain search list.', handler('listKeychains'),
  domainOptions('Set the search list to the specified keychains'));

/** default-keychain and login-keychain: the same options, for another setting. */
function defaultLike(name: string, setting: string, run: HandlerName) {
  return command(name, `${DOMAIN_SYNOPSIS} [-s [keychain]]`, `Display or set the ${setting} keychain.`, handler(run),
    domainOptions(`Set the ${setting} keychain to the specified keychain`));
}

export const defaultKeychainCommand = defaultLike('default-keychain', 'default', 'defaultKeychain');
export const loginKeychainCommand = defaultLike('login-keychain', 'login', 'loginKeychain');

export const createKeychainCommand = withPassword('create-keychain', '[-hP] [-p password] [keychain...]',
  'Create keychains and add them to the search list.', 'createKeychain',
  'Use "password" as the password for the keychains being created',
  { promptUser: { letter: 'P', help: 'Prompt the user for a password (on the terminal, as without -p)' } });

export const deleteKeychainCommand = command('delete-keychain', '[-h] [keychain...]',
  'Delete keychains and remove them from the search list.', handler('deleteKeychain'), {});

export const lockKeychainCommand = command('lock-keychain', '[-h] [-a|keychain]', 'Lock the specified keychain.',
  handler('lockKeychain'), { all: { letter: 'a', help: 'Lock all keychains' } });

export const unlockKeychainCommand = withPassword('unlock-keychain', '[-hu] [-p password] [keychain]',
  'Unlock the specified keychain.', 'unlockKeychain', 'Use "password" as the password to unlock the keychain',
  { noPassword: { letter: 'u', help: 'Do not use the password (ask on the terminal; fails without one)' } });

export const setKeychainSettingsCommand = command('set-keychain-settings', '[-hlu] [-t timeout] [keychain]',
  'Set settings for a keychain.', handler('setKeychainSettings'), {
    lockOnSleep: { letter: 'l', help: 'Lock keychain when the system sleeps' },
    useLockInterval: { letter: 'u', help: 'Lock keychain after timeout interval' },
    timeout: { letter: 't', value: 'timeout', help: 'Timeout in seconds (omitting this option specifies "no timeout")' },
  }, '(stored for show-keychain-info: a secitem keychain is locked again when each command ends)');

export const setKeychainPasswordCommand = command('set-keychain-password', '[-h] [-o oldPassword] [-p newPassword] [keychain]',
  'Set password for a keychain.', handler('setKeychainPassword'), {
    old: { letter: 'o', value: 'oldPassword', secret: true, help: 'Old keychain password (if not provided, will prompt)' },
    next: { letter: 'p', value: 'newPassword', secret: true, help: 'New keychain password (if not provided, will prompt)' },
  }, 'Use of the -o or -p options is insecure');

export const showKeychainInfoCommand = command('show-keychain-info', '[keychain]', 'Show the settings for keychain.',
  handler('showKeychainInfo'), {});
