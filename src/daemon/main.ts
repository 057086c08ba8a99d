#!/usr/bin/env node
/**
 * secitemd's entry: the process `secitem daemon start` spawns (detached,
 * its output appended to `<state>/secitemd.log`). It is tsc's output,
 * dist/src/daemon/main.js, run as it is: it needs none of the CLI's bundles.
 *
 *     node dist/src/daemon/main.js --keychain PATH [--socket PATH] [--state DIR] [--audit-max-bytes N] [--idle-lock S] [--secret-service]
 *
 * The keychain is named explicitly (the CLI resolves the default one as its
 * other commands do). Prints one line when it listens; exits 0 after
 * SIGTERM or SIGINT once every call it read is answered, 1 when it cannot
 * start (the reason on stderr) or stops on its own.
 * @module
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultStateDir } from './files.js';
import { DEFAULT_AUDIT_MAX_BYTES, runDaemon } from './process.js';

function fail(message: string): never {
  process.stderr.write(`secitemd: ${message}\n`);
  process.exit(1);
}

let values: { keychain?: string; socket?: string; state?: string; 'audit-max-bytes'?: string; 'idle-lock'?: string; 'secret-service'?: boolean };
try {
  ({ values } = parseArgs({
    options: { keychain: { type: 'string' }, socket: { type: 'string' }, state: { type: 'string' }, 'audit-max-bytes': { type: 'string' }, 'idle-lock': { type: 'string' }, 'secret-service': { type: 'boolean' } },
    strict: true,
    allowPositionals: false,
  }));
} catch (e) {
  fail(`${e instanceof Error ? e.message : String(e)}\nusage: secitemd --keychain PATH [--socket PATH] [--state DIR] [--audit-max-bytes N] [--idle-lock SECONDS] [--secret-service]`);
}
if (values.keychain === undefined) fail('--keychain PATH is required');
const maxText = values['audit-max-bytes'];
const auditMaxBytes = maxText === undefined ? DEFAULT_AUDIT_MAX_BYTES : Number(maxText);
if (!Number.isSafeInteger(auditMaxBytes) || auditMaxBytes < 1024) fail('--audit-max-bytes must be an integer of at least 1024');
const idleText = values['idle-lock'];
const idleLockSeconds = idleText === undefined ? null : Number(idleText);
if (idleLockSeconds !== null && (!Number.isSafeInteger(idleLockSeconds) || idleLockSeconds < 0)) fail('--idle-lock must be a whole number of seconds');

try {
  const d = await runDaemon({
    keychainPath: resolve(values.keychain),
    ...(values.socket !== undefined ? { socketPath: resolve(values.socket) } : {}),
    stateDir: values.state !== undefined ? resolve(values.state) : defaultStateDir(),
    auditMaxBytes,
    idleLockSeconds,
    ...(values['secret-service'] === true ? { secretService: true } : {}),
  });
  if (d.secretService !== undefined) process.stderr.write(`secitemd: secret-service-bus: ${d.secretService.address}\n`);
  process.stderr.write(`secitemd: pid ${process.pid} serves ${resolve(values.keychain)} on ${d.daemon.socketPath}\n`);
  const asked = await d.stopped;
  process.stderr.write(`secitemd: pid ${process.pid} stopped\n`);
  process.exit(asked ? 0 : 1);
} catch (e) {
  fail(e instanceof Error ? e.message : String(e));
}
