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
import { addGenericPassword, deleteGenericPassword, findGenericPassword } from './commands/generic-password.js';
import { helpCommand } from './help.js';

/** A table slot for a command that is not implemented yet. */
function planned(name: string): Command {
  return { name, usage: '', help: '' };
}

export const commands: readonly Command[] = [
  helpCommand,
  planned('list-keychains'),
  planned('default-keychain'),
  planned('login-keychain'),
  planned('create-keychain'),
  planned('delete-keychain'),
  planned('lock-keychain'),
  planned('unlock-keychain'),
  planned('set-keychain-settings'),
  planned('set-keychain-password'),
  planned('show-keychain-info'),
  planned('dump-keychain'),
  planned('create-keypair'),
  addGenericPassword,
  planned('add-internet-password'),
  planned('add-certificates'),
  findGenericPassword,
  deleteGenericPassword,
  planned('set-generic-password-partition-list'),
  planned('find-internet-password'),
  planned('delete-internet-password'),
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
  planned('item'),
  planned('error'),
];

/**
 * `match_command`: the first command whose name starts with what was typed
 * (an empty word matches the first command, as strncmp with length 0 does).
 */
export function findCommand(typed: string): Command | undefined {
  return commands.find((c) => c.name.startsWith(typed));
}

