/**
 * The command table, in the order of security.c's `commands[]`. Order
 * matters: a typed name matches every command it is a prefix of, and the
 * first in table order wins (`find` = find-generic-password, `delete` =
 * delete-keychain). Commands that are planned but not built yet keep their
 * place, so a prefix never changes meaning when they arrive; `help` does not
 * list them. Smart-card, trust-settings, CMS, authorization and FileVault
 * commands are out of scope and absent.
 * @module
 */
import type { Command } from './command.js';
import { dumpKeychain } from './commands/dump-keychain.js';
import { errorCommand } from './commands/error.js';
import { itemCommand } from './commands/item.js';
import {
  createKeychain,
  defaultKeychainCommand,
  deleteKeychain,
  listKeychains,
  lockKeychain,
  loginKeychain,
  setKeychainPassword,
  setKeychainSettings,
  showKeychainInfo,
  unlockKeychain,
} from './commands/keychain-files.js';
import {
  addGenericPassword,
  addInternetPassword,
  deleteGenericPassword,
  deleteInternetPassword,
  findGenericPassword,
  findInternetPassword,
} from './commands/password-items.js';
import { helpCommand } from './help.js';

/** A table slot for a command that is not implemented yet. */
function planned(name: string): Command {
  return { name, usage: '', help: '' };
}

export const commands: readonly Command[] = [
  helpCommand,
  listKeychains,
  defaultKeychainCommand,
  loginKeychain,
  createKeychain,
  deleteKeychain,
  lockKeychain,
  unlockKeychain,
  setKeychainSettings,
  setKeychainPassword,
  showKeychainInfo,
  dumpKeychain,
  planned('create-keypair'),
  addGenericPassword,
  addInternetPassword,
  planned('add-certificates'),
  findGenericPassword,
  deleteGenericPassword,
  planned('set-generic-password-partition-list'),
  findInternetPassword,
  deleteInternetPassword,
  planned('set-internet-password-partition-list'),
  planned('find-key'),
  planned('set-key-partition-list'),
  planned('find-certificate'),
  planned('find-identity'),
  planned('delete-certificate'),
  planned('delete-identity'),
  planned('set-identity-preference'),
  planned('get-identity-preference'),
  planned('export'),
  planned('import'),
  itemCommand,
  errorCommand,
];

/**
 * `match_command`: the first command whose name starts with what was typed
 * (an empty word matches the first command, as strncmp with length 0 does).
 */
export function findCommand(typed: string): Command | undefined {
  return commands.find((c) => c.name.startsWith(typed));
}

