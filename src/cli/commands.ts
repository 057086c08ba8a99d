/**
 * The command table, in the order of security.c's `commands[]`. Order
 * matters: a typed name matches every command it is a prefix of, and the
 * first in table order wins (`find` = find-generic-password, `delete` =
 * delete-keychain). Commands that are planned but not built yet keep their
 * place, so a prefix never changes meaning when they arrive; `help` does not
 * list them. Smart-card, trust-settings, CMS, authorization and FileVault
 * commands are out of scope and absent.
 *
 * The table holds declarations only; each command's code is loaded when it
 * runs.
 * @module
 */
import { command, handlerOf, planned } from './command.js';
import type { Command } from './command.js';
import {
  addCertificatesCommand,
  createKeypairCommand,
  deleteCertificateCommand,
  deleteIdentityCommand,
  exportCommand,
  findCertificateCommand,
  findIdentityCommand,
  findKeyCommand,
  importCommand,
} from './commands/certificates.js';
import { daemonCommand, profileCommand } from './commands/daemon.js';
import { dumpKeychainCommand } from './commands/dump-keychain.js';
import { itemCommand } from './commands/item.js';
import { keychainCommand } from './commands/keychain.js';
import {
  createKeychainCommand,
  defaultKeychainCommand,
  deleteKeychainCommand,
  listKeychainsCommand,
  lockKeychainCommand,
  loginKeychainCommand,
  setKeychainPasswordCommand,
  setKeychainSettingsCommand,
  showKeychainInfoCommand,
  unlockKeychainCommand,
} from './commands/keychain-files.js';
import {
  addGenericPasswordCommand,
  addInternetPasswordCommand,
  deleteGenericPasswordCommand,
  deleteInternetPasswordCommand,
  findGenericPasswordCommand,
  findInternetPasswordCommand,
} from './commands/password-items.js';

const helpCommand = command('help', '[command ...]', 'Show all commands, or show usage for a command.',
  handlerOf(() => import('./help.js'), 'helpCommand'), {});

const credentialHelperCommand = command('credential-helper', '<get|store|erase>',
  "git's credential helper: internet passwords as git-credential-osxkeychain keeps them.",
  handlerOf(() => import('./run/credential-helper.js'), 'credentialHelperCommand'), {});

const errorCommand = command('error', '[<error code>...]', 'Display a descriptive message for the given error code(s).',
  handlerOf(() => import('./run/error.js'), 'errorCommand'), {});

export const commands: readonly Command[] = [
  helpCommand,
  listKeychainsCommand,
  defaultKeychainCommand,
  loginKeychainCommand,
  createKeychainCommand,
  deleteKeychainCommand,
  lockKeychainCommand,
  unlockKeychainCommand,
  setKeychainSettingsCommand,
  setKeychainPasswordCommand,
  showKeychainInfoCommand,
  dumpKeychainCommand,
  createKeypairCommand,
  addGenericPasswordCommand,
  addInternetPasswordCommand,
  addCertificatesCommand,
  findGenericPasswordCommand,
  deleteGenericPasswordCommand,
  planned('set-generic-password-partition-list'),
  findInternetPasswordCommand,
  deleteInternetPasswordCommand,
  planned('set-internet-password-partition-list'),
  findKeyCommand,
  planned('set-key-partition-list'),
  findCertificateCommand,
  findIdentityCommand,
  deleteCertificateCommand,
  deleteIdentityCommand,
  planned('set-identity-preference'),
  planned('get-identity-preference'),
  exportCommand,
  importCommand,
  itemCommand,
  errorCommand,
  keychainCommand,
  profileCommand,
  daemonCommand,
  credentialHelperCommand,
];

/**
 * `match_command`: the first command whose name starts with what was typed
 * (an empty word matches the first command, as strncmp with length 0 does).
 */
export function findCommand(typed: string): Command | undefined {
  return commands.find((c) => c.name.startsWith(typed));
}
