/**
 * What `secitem profile …` and `secitem daemon …` do (declared in
 * ../commands/daemon.ts). They work on files: signers and profiles where
 * the user names them, trust and registrations in the daemon's state
 * directory (`--state DIR`, default $XDG_STATE_HOME/secitem/daemon, else
 * ~/.local/state/secitem/daemon), which a running daemon picks up on its
 * next reload() (each connection). Options may come before or after the
 * operands.
 * @module
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathIn, start, stateDirOf, status, stop } from './daemon-process.js';
import { errSecDecode } from '../../status.js';
import { AuditLog, AuditError, auditKey, defaultAuditLogPath } from '../../daemon/audit.js';
import { StateFileError, readCheckedFile } from '../../daemon/files.js';
import {
  ProfileError, ProfileRegistry, createProfile, createSigner, keyIdOf, parseProfile, parseSignerPublicKey, profileDocument, readSignerKey, signProfile,
} from '../../daemon/profiles.js';
import type { RegisteredApp } from '../../daemon/profiles.js';
import { daemonSubcommands, profileSubcommands } from '../commands/daemon.js';
import type { Subcommand } from '../commands/daemon.js';
import { ToolFailure, UsageError } from '../failures.js';
import type { CommandContext } from '../io.js';
import { getopt } from '../options.js';
import type { OptionTable, OptionValues } from '../options.js';

type Action<S extends Subcommand> = (values: OptionValues<S['options']>, operands: string[], ctx: CommandContext) => number | Promise<number>;
type Actions<T extends Record<string, Subcommand>> = { readonly [K in keyof T]: Action<T[K]> };

/** getopt, with options allowed after operands too (`sign --signer k p.json -o out`); `--` ends them. */
function parseAnywhere<T extends OptionTable>(args: readonly string[], table: T): { values: OptionValues<T>; operands: string[] } {
  const values: Record<string, unknown> = {};
  const operands: string[] = [];
  let rest = [...args];
  while (rest.length > 0) {
    const parsed = getopt(rest, table);
    for (const [k, v] of Object.entries(parsed.values)) values[k] = Array.isArray(v) ? [...((values[k] as string[] | undefined) ?? []), ...v] : v;
    const consumed = rest.length - parsed.positionals.length;
    if (parsed.positionals.length === 0) break;
    if (consumed > 0 && rest[consumed - 1] === '--') {
      operands.push(...parsed.positionals);
      break;
    }
    operands.push(parsed.positionals[0]);
    rest = parsed.positionals.slice(1);
  }
  return { values: values as OptionValues<T>, operands };
}

/** Runs subcommand `args[0]` of `name`; failures of the daemon modules become `secitem: <name> <sub>: <message>` (exit 1). */
async function dispatch<T extends Record<string, Subcommand>>(name: string, subs: T, actions: Actions<T>, args: readonly string[], ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || !Object.hasOwn(subs, sub)) {
    throw new UsageError(sub === undefined ? `${name}: which of ${Object.keys(subs).join(', ')}?` : `${name}: unknown subcommand "${sub}"`, { shown: sub !== undefined });
  }
  const { values, operands } = parseAnywhere(rest, subs[sub].options);
  try {
    return await actions[sub as keyof T](values as never, operands, ctx);
  } catch (e) {
    if (e instanceof ProfileError || e instanceof StateFileError || e instanceof AuditError) throw new ToolFailure(`${name} ${sub}: ${e.message}`);
    const code = (e as NodeJS.ErrnoException | null)?.code;
    if (typeof code === 'string' && e instanceof Error) throw new ToolFailure(`${name} ${sub}: ${e.message}`);
    throw e;
  }
}

const operand = (operands: string[], n: number, what: string): string[] => {
  if (operands.length !== n) throw new UsageError(`expected ${what}`);
  return operands;
};

function readText(ctx: CommandContext, file: string): string {
  return readCheckedFile(pathIn(ctx, file), { maxBytes: 1 << 20 }).toString('utf8');
}

export const profileActions: Actions<typeof profileSubcommands> = {
  'signer-create': (_values, operands, ctx) => {
    const [name] = operand(operands, 1, 'NAME');
    const s = createSigner(pathIn(ctx, name));
    ctx.out(`private key: ${s.keyFile}\npublic key: ${s.pubFile}\nkey ID: ${s.keyId}\n`);
    return 0;
  },
  create: (values, operands, ctx) => {
    operand(operands, 0, 'no operand');
    if (values.appId === undefined) throw new UsageError('--app-id is required');
    if (values.executable === undefined && values.script === undefined) throw new UsageError('--executable or --script is required');
    const profile = createProfile({
      applicationIdentifier: values.appId,
      keychainAccessGroups: values.group,
      applicationGroups: values.appGroup,
      ...(values.executable !== undefined ? { executable: pathIn(ctx, values.executable) } : {}),
      ...(values.script !== undefined ? { script: pathIn(ctx, values.script) } : {}),
      owner: values.owner === true,
      ...(values.expires !== undefined ? { expires: values.expires } : {}),
    });
    const doc = profileDocument(profile);
    if (values.output === undefined) ctx.out(doc);
    else writeFileSync(pathIn(ctx, values.output), doc);
    return 0;
  },
  sign: (values, operands, ctx) => {
    const [file] = operand(operands, 1, 'PROFILE.json');
    if (values.signer === undefined) throw new UsageError('--signer NAME.key is required');
    const profile = parseProfile(readText(ctx, file));
    const key = readSignerKey(pathIn(ctx, values.signer));
    const out = pathIn(ctx, values.output ?? `${file.replace(/\.json$/, '')}.signed`);
    writeFileSync(out, signProfile(profile, key));
    ctx.out(`signed: ${out}\napp: ${profile.applicationIdentifier}\nsigner: ${keyIdOf(key)}\n`);
    return 0;
  },
};

function appLine(a: RegisteredApp): string {
  const p = a.profile;
  const req = p.requirement.script !== undefined ? `script:${p.requirement.script.path}` : `executable:${p.requirement.executable!.path}`;
  const flags = [p.owner ? 'owner' : '', a.trusted ? '' : 'UNTRUSTED', a.expired ? 'EXPIRED' : ''].filter((f) => f !== '');
  return [
    p.applicationIdentifier,
    `groups:${p.keychainAccessGroups.join(',') || '-'}`,
    `app-groups:${p.applicationGroups.join(',') || '-'}`,
    `signer:${a.signer.slice(0, 16)}${flags.length > 0 ? ` ${flags.join(',')}` : ''}`,
    req,
  ].join('\t');
}

export const daemonActions: Actions<typeof daemonSubcommands> = {
  start: (values, operands, ctx) => start(values, operands, ctx),
  stop: (values, operands, ctx) => stop(values, operands, ctx),
  status: (values, operands, ctx) => status(values, operands, ctx),
  trust: (values, operands, ctx) => {
    const [file] = operand(operands, 1, 'SIGNER.pub');
    const id = ProfileRegistry.open(stateDirOf(values, ctx)).trust(readText(ctx, file));
    ctx.out(`trusted signer ${id}\n`);
    return 0;
  },
  untrust: (values, operands, ctx) => {
    const [which] = operand(operands, 1, 'KEYID or SIGNER.pub');
    const id = /^[0-9a-fA-F]{8,64}$/.test(which) ? which : keyIdOf(parseSignerPublicKey(readText(ctx, which)));
    ctx.out(`no longer trusted: signer ${ProfileRegistry.open(stateDirOf(values, ctx)).untrust(id)}\n`);
    return 0;
  },
  register: (values, operands, ctx) => {
    const [file] = operand(operands, 1, 'PROFILE.signed');
    const app = ProfileRegistry.open(stateDirOf(values, ctx)).register(readText(ctx, file));
    ctx.out(`registered ${app.profile.applicationIdentifier} (signer ${app.signer.slice(0, 16)})\n`);
    return 0;
  },
  unregister: (values, operands, ctx) => {
    const [appId] = operand(operands, 1, 'APPID');
    if (!ProfileRegistry.open(stateDirOf(values, ctx)).unregister(appId)) throw new ProfileError(`no profile is registered for ${appId}`);
    ctx.out(`unregistered ${appId}\n`);
    return 0;
  },
  apps: (values, operands, ctx) => {
    operand(operands, 0, 'no operand');
    const reg = ProfileRegistry.open(stateDirOf(values, ctx));
    const apps = reg.apps();
    ctx.out(apps.map((a) => `${appLine(a)}\n`).join(''));
    for (const p of reg.problems()) ctx.err(`secitem: daemon apps: ${p}\n`);
    return 0;
  },
  audit: (values, operands, ctx) => {
    operand(operands, 0, 'no operand');
    if (values.verify !== true) throw new UsageError('daemon audit: --verify is the only action');
    const dir = stateDirOf(values, ctx);
    const log = values.log !== undefined ? pathIn(ctx, values.log) : defaultAuditLogPath(dir);
    // The key is read, never made, by a verification.
    if (!existsSync(join(dir, 'audit.key'))) throw new AuditError(`there is no audit key in ${dir} (is --state the daemon's?)`);
    const r = AuditLog.verify(log, auditKey(dir));
    if (r.ok) {
      ctx.out(`audit log: ${log}\nok: ${r.lines} lines verified\n`);
      return 0;
    }
    ctx.out(`audit log: ${log}\nFAILED at line ${r.line}: ${r.reason}\n`);
    return errSecDecode & 0xff;
  },
};

export function profile(args: readonly string[], ctx: CommandContext): Promise<number> {
  return dispatch('profile', profileSubcommands, profileActions, args, ctx);
}

export function daemon(args: readonly string[], ctx: CommandContext): Promise<number> {
  return dispatch('daemon', daemonSubcommands, daemonActions, args, ctx);
}
