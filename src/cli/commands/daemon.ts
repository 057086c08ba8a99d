/**
 * `secitem profile …` and `secitem daemon …`: commands with subcommands
 * (issue 16, parts 2 and 5). Each subcommand is declared once below, with
 * its usage and its own options; the command's usage, `-v` echo and help
 * are derived from those declarations, and ../run/daemon.ts holds what each
 * does (`profileActions`, `daemonActions`, keyed by the same names).
 *
 * Adding a subcommand: declare it in
 * `daemonSubcommands` here (synopsis, help, options) and give its handler
 * the same name in `daemonActions` of ../run/daemon.ts (or a module of its
 * own, loaded from there). Nothing else changes.
 * @module
 */
import { command, handlerOf } from '../command.js';
import type { OptionTable } from '../options.js';

/** One subcommand: its usage after `<command> <name>`, a help line, its options. */
export interface Subcommand {
  readonly synopsis: string;
  readonly help: string;
  readonly options: OptionTable;
}

const state = { state: { long: 'state', value: 'DIR', help: "The daemon's state directory (default $XDG_STATE_HOME/secitem/daemon)" } } as const;

export const profileSubcommands = {
  'signer-create': {
    synopsis: 'NAME', help: 'Create an Ed25519 signer: NAME.key (PKCS#8, 0600) and NAME.pub (SPKI)', options: {},
  },
  create: {
    synopsis: '--app-id ID [--group G]... [--app-group G]... (--executable PATH | --script PATH) [--owner] [--expires DATE] [-o FILE]',
    help: 'Write an app profile, hashing the executable or script as it is now',
    options: {
      appId: { long: 'app-id', value: 'ID', help: 'application identifier, TEAMID.bundle.id' },
      group: { long: 'group', value: 'G', multiple: true, help: 'a keychain access group (repeat; * for every group)' },
      appGroup: { long: 'app-group', value: 'G', multiple: true, help: 'an application group (repeat)' },
      executable: { long: 'executable', value: 'PATH', help: 'the program the profile vouches for' },
      script: { long: 'script', value: 'PATH', help: 'the entry script an interpreter (node) runs' },
      owner: { long: 'owner', help: "the owner's own tool (sees the device's lock state)" },
      expires: { long: 'expires', value: 'DATE', help: 'ISO 8601 date after which the profile is refused' },
      output: { letter: 'o', value: 'FILE', help: 'write the profile to FILE (default: standard output)' },
    },
  },
  sign: {
    synopsis: '--signer NAME.key PROFILE.json [-o PROFILE.signed]',
    help: 'Sign a profile with a signer',
    options: {
      signer: { long: 'signer', value: 'NAME.key', help: "the signer's private key" },
      output: { letter: 'o', value: 'FILE', help: 'the signed profile (default: PROFILE.signed)' },
    },
  },
} as const satisfies Record<string, Subcommand>;

const socket = { socket: { long: 'socket', value: 'PATH', help: "The daemon's socket (default $SECITEM_SOCKET, else $XDG_RUNTIME_DIR/secitem/secitemd.sock)" } } as const;

export const daemonSubcommands = {
  start: {
    synopsis: '[--foreground] [--secret-service] [--socket PATH] [--state DIR] [--audit-max-bytes N] [keychain]',
    help: 'Start secitemd on the keychain (default: the default keychain); waits until it answers',
    options: {
      foreground: { long: 'foreground', help: 'run in this process until SIGTERM or SIGINT (for service managers)' },
      secretService: {
        long: 'secret-service',
        help: 'also serve the Secret Service API (org.freedesktop.secrets) on the session bus; with no DBUS_SESSION_BUS_ADDRESS, on a private dbus-daemon whose address it prints',
      },
      ...socket,
      ...state,
      auditMaxBytes: { long: 'audit-max-bytes', value: 'N', help: 'rotate the audit log at N bytes (default 16 MiB)' },
    },
  },
  stop: { synopsis: '[--socket PATH] [--state DIR]', help: 'Stop the running secitemd (SIGTERM) and wait until it exited', options: { ...socket, ...state } },
  status: {
    synopsis: '[--socket PATH] [--state DIR]',
    help: 'Whether secitemd runs: pid, socket, keychain, lock state (exit 0; 1 when not running; 3 when it does not answer)',
    options: { ...socket, ...state },
  },
  trust: { synopsis: '[--state DIR] SIGNER.pub', help: 'Trust a signer: profiles it signs can be registered', options: state },
  untrust: { synopsis: '[--state DIR] KEYID|SIGNER.pub', help: 'Stop trusting a signer (its apps are refused)', options: state },
  register: { synopsis: '[--state DIR] PROFILE.signed', help: 'Register a signed profile (replaces the same app id)', options: state },
  unregister: { synopsis: '[--state DIR] APPID', help: "Remove an app's profile", options: state },
  apps: { synopsis: '[--state DIR]', help: 'List the registered apps: app id, groups, application groups, signer, requirement', options: state },
  audit: {
    synopsis: '--verify [--state DIR] [--log PATH]',
    help: "Verify the audit log's chain, its rotated files and its head",
    options: {
      ...state,
      verify: { long: 'verify', help: 'verify the log (exit 0 when intact, else 93)' },
      log: { long: 'log', value: 'PATH', help: 'the log (default: DIR/audit.log; its key is DIR/audit.key)' },
    },
  },
} as const satisfies Record<string, Subcommand>;

/** Every subcommand's options in one table (for `-v` and the usage); each subcommand parses with its own. */
function mergedOptions(subs: Record<string, Subcommand>): OptionTable {
  const all: Record<string, OptionTable[string]> = {};
  for (const s of Object.values(subs)) {
    for (const [name, spec] of Object.entries(s.options)) {
      const seen = all[name];
      const shape = (o: OptionTable[string]) => `${o.letter}/${o.long}/${o.value}/${o.multiple}/${o.secret}`;
      if (seen !== undefined && shape(seen) !== shape(spec)) throw new Error(`option ${name} is declared twice differently`);
      all[name] ??= spec;
    }
  }
  return all;
}

function notes(name: string, subs: Record<string, Subcommand>): string {
  return Object.entries(subs).map(([sub, s]) => `  ${name} ${sub} ${s.synopsis}\n      ${s.help}\n`).join('');
}

export const profileCommand = command('profile', `${Object.keys(profileSubcommands).join('|')} ...`,
  'Create signers, and create and sign app profiles for secitemd.',
  handlerOf(() => import('../run/daemon.js'), 'profile'), mergedOptions(profileSubcommands), notes('profile', profileSubcommands));

export const daemonCommand = command('daemon', `${Object.keys(daemonSubcommands).join('|')} ...`,
  "Run secitemd (start, stop, status); manage its trusted signers, registered apps and audit log.",
  handlerOf(() => import('../run/daemon.js'), 'daemon'), mergedOptions(daemonSubcommands), notes('daemon', daemonSubcommands));
