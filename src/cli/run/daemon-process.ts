/**
 * `secitem daemon start|stop|status` (declared in ../commands/daemon.ts):
 * secitemd's process, found by the pid file of its state directory
 * (src/daemon/process.ts).
 *
 * - start: a detached `node dist/src/daemon/main.js …` (its own session; its
 *   output appended to `<state>/secitemd.log`), then waits until its pid
 *   file names it and its socket accepts a connection; if it exits first,
 *   prints what it wrote and exits 1. `--foreground` runs the daemon in
 *   this process until SIGTERM or SIGINT (exit 0; 1 when it stopped on its
 *   own).
 * - stop: SIGTERM through a pidfd of the process the pid file names (opened,
 *   then checked against the start time it records, so a reused pid is never
 *   signalled), then waits until it exited. Exit 0, also when none ran.
 * - status: exit 0 when it runs and answers (pid, socket, keychain, and the
 *   lock state when this process is the owner's CLI), 1 when it does not
 *   run, 3 when it runs but its socket does not answer.
 *
 * The daemon's modules are imported when a subcommand runs, so that the
 * other `daemon` subcommands do not load the engine.
 * @module
 */
import { idleLockSeconds, readSettings } from '../settings.js';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { SecError, errSecMissingEntitlement, errSecNoSuchKeychain } from '../../status.js';
import { defaultStateDir, ensurePrivateDir } from '../../daemon/files.js';
import { packageRoot } from '../../daemon/native.js';
import { defaultSocketPath } from '../../daemon/paths.js';
import type { daemonSubcommands } from '../commands/daemon.js';
import { ToolFailure, UsageError } from '../failures.js';
import type { CommandContext } from '../io.js';
import { targetOf } from '../keychains.js';
import type { OptionValues } from '../options.js';

type Values<K extends keyof typeof daemonSubcommands> = OptionValues<(typeof daemonSubcommands)[K]['options']>;

/** Status of `daemon status` when the daemon runs but its socket does not answer. */
export const EXIT_NOT_ANSWERING = 3;
/** How long start waits for the socket, and stop for the exit. */
const WAIT_MS = 30_000;
/** The daemon's output, in its state directory. */
export const DAEMON_LOG = 'secitemd.log';

export const pathIn = (ctx: CommandContext, p: string): string => (isAbsolute(p) ? p : resolve(ctx.cwd, p));

export function stateDirOf(values: { state?: string }, ctx: CommandContext): string {
  return values.state !== undefined ? pathIn(ctx, values.state) : defaultStateDir(ctx.io.env);
}

function socketOf(values: { socket?: string }, ctx: CommandContext): string {
  return values.socket !== undefined ? pathIn(ctx, values.socket) : defaultSocketPath(ctx.io.env);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Whether something accepts a connection on the socket. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const s = createConnection(path);
    const done = (ok: boolean) => {
      s.destroy();
      resolvePromise(ok);
    };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
    setTimeout(() => done(false), 2000).unref();
  });
}

/** What the daemon appended to its log from `offset` on (at most 64 KiB). */
function logSince(file: string, offset: number): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(Math.max(0, size - offset), 64 * 1024);
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, size - length);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

export async function start(values: Values<'start'>, operands: string[], ctx: CommandContext): Promise<number> {
  if (operands.length > 1) throw new UsageError('expected at most one keychain');
  const target = targetOf(operands[0], ctx);
  if (!existsSync(target.path)) {
    if (!target.isDefault) throw new SecError(errSecNoSuchKeychain);
    mkdirSync(dirname(target.path), { recursive: true, mode: 0o700 });
  }
  const stateDir = stateDirOf(values, ctx);
  const socketPath = socketOf(values, ctx);
  let auditMaxBytes: number | undefined;
  if (values.auditMaxBytes !== undefined) {
    auditMaxBytes = Number(values.auditMaxBytes);
    if (!/^\d+$/.test(values.auditMaxBytes) || !Number.isSafeInteger(auditMaxBytes) || auditMaxBytes < 1024) {
      throw new UsageError('--audit-max-bytes must be an integer of at least 1024');
    }
  }
  // set-keychain-settings -u -t N of this keychain: the daemon locks it after N idle seconds.
  const idleLock = idleLockSeconds(readSettings(ctx.env).keychains[target.path]);
  const { runningDaemon, runDaemon } = await import('../../daemon/process.js');
  const running = runningDaemon(stateDir);
  if (running !== undefined) {
    throw new ToolFailure(`daemon start: secitemd already runs on ${stateDir} (pid ${running.pid}, socket ${running.socketPath}, keychain ${running.keychainPath})`);
  }

  if (values.foreground === true) {
    let d: Awaited<ReturnType<typeof runDaemon>>;
    try {
      d = await runDaemon({
        keychainPath: target.path, socketPath, stateDir, idleLockSeconds: idleLock,
        ...(values.secretService === true ? { secretService: ctx.io.env['DBUS_SESSION_BUS_ADDRESS'] ? { busAddress: ctx.io.env['DBUS_SESSION_BUS_ADDRESS'] } : { busAddress: '' } } : {}),
        ...(auditMaxBytes !== undefined ? { auditMaxBytes } : {}),
        log: (line) => ctx.err(`secitemd: ${line}\n`),
      });
    } catch (e) {
      throw new ToolFailure(`daemon start: ${e instanceof Error ? e.message : String(e)}`);
    }
    ctx.err(`secitemd: pid ${process.pid} serves ${target.path} on ${socketPath}\n`);
    if (d.secretService !== undefined) ctx.out(`DBUS_SESSION_BUS_ADDRESS=${d.secretService.address}\n`);
    const asked = await d.stopped;
    ctx.err(`secitemd: pid ${process.pid} stopped\n`);
    return asked ? 0 : 1;
  }

  const entry = join(packageRoot(), 'dist', 'src', 'daemon', 'main.js');
  if (!existsSync(entry)) throw new ToolFailure(`daemon start: secitemd's entry ${entry} is missing (npm run build)`);
  ensurePrivateDir(stateDir);
  const logFile = join(stateDir, DAEMON_LOG);
  const logFd = openSync(logFile, 'a', 0o600);
  const offset = fstatSync(logFd).size;
  const args = [entry, '--keychain', target.path, '--socket', socketPath, '--state', stateDir];
  if (auditMaxBytes !== undefined) args.push('--audit-max-bytes', String(auditMaxBytes));
  if (idleLock !== null) args.push('--idle-lock', String(idleLock));
  if (values.secretService === true) args.push('--secret-service');
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', logFd, logFd], env: { ...ctx.io.env }, cwd: '/' });
  closeSync(logFd);
  let exited: number | null | undefined;
  child.once('exit', (code, signal) => (exited = code ?? (signal ? 128 : 1)));
  child.once('error', () => (exited ??= 1));
  const deadline = Date.now() + WAIT_MS;
  try {
    for (;;) {
      if (exited !== undefined) {
        const said = logSince(logFile, offset).trimEnd();
        ctx.err(`${said === '' ? `secitem: daemon start: secitemd exited (${exited})` : said}\n`);
        return 1;
      }
      if (runningDaemon(stateDir)?.pid === child.pid && (await answers(socketPath))) break;
      if (Date.now() > deadline) {
        child.kill('SIGTERM');
        const said = logSince(logFile, offset).trimEnd();
        ctx.err(`${said === '' ? '' : `${said}\n`}secitem: daemon start: secitemd did not answer on ${socketPath} within ${WAIT_MS / 1000} s (stopped it)\n`);
        return 1;
      }
      await sleep(25);
    }
  } finally {
    child.unref();
  }
  ctx.out(`secitemd started: pid ${child.pid}\nsocket: ${socketPath}\nkeychain: ${target.path}\nlog: ${logFile}\n`);
  if (values.secretService === true) {
    // main.js logs the bus it serves the Secret Service on once it is claimed, before the socket answers.
    let bus: RegExpExecArray | null = null;
    while ((bus = /secret-service-bus: (\S+)/.exec(logSince(logFile, offset))) === null && exited === undefined && Date.now() < deadline) await sleep(25);
    if (bus) ctx.out(`DBUS_SESSION_BUS_ADDRESS=${bus[1]}\n`);
    else {
      ctx.err(`${logSince(logFile, offset).trimEnd()}\nsecitem: daemon start: secitemd did not start the Secret Service\n`);
      return 1;
    }
  }
  return 0;
}

/** The daemon of the state directory, checked against --socket when given. */
async function findDaemon(values: { socket?: string; state?: string }, ctx: CommandContext, sub: string) {
  const stateDir = stateDirOf(values, ctx);
  const { runningDaemon } = await import('../../daemon/process.js');
  const running = runningDaemon(stateDir);
  if (running !== undefined && values.socket !== undefined && running.socketPath !== socketOf(values, ctx)) {
    throw new ToolFailure(`daemon ${sub}: the secitemd of ${stateDir} (pid ${running.pid}) listens on ${running.socketPath}, not on ${socketOf(values, ctx)}`);
  }
  return { stateDir, running };
}

export async function stop(values: Values<'stop'>, operands: string[], ctx: CommandContext): Promise<number> {
  if (operands.length > 0) throw new UsageError('expected no operand');
  const { running } = await findDaemon(values, ctx, 'stop');
  if (running === undefined) {
    ctx.out('secitemd is not running\n');
    return 0;
  }
  const { readStartTime } = await import('../../daemon/caller.js');
  const { peerCredAddon } = await import('../../daemon/native.js');
  let addon: ReturnType<typeof peerCredAddon> | undefined;
  try {
    addon = peerCredAddon();
  } catch {
    addon = undefined; // no pidfds: the start time check alone
  }
  let pidfd = -1;
  try {
    if (addon !== undefined) {
      try {
        pidfd = addon.pidfdOpen(running.pid);
      } catch {
        pidfd = -1; // exited meanwhile
      }
    }
    // With the pidfd open, the pid stands for the process the pid file names as long as the start time still matches.
    if (readStartTime(running.pid) !== running.startTime) {
      ctx.out('secitemd is not running\n');
      return 0;
    }
    try {
      if (pidfd >= 0 && addon?.pidfdSendSignal !== undefined) addon.pidfdSendSignal(pidfd, 15);
      else process.kill(running.pid, 'SIGTERM');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ESRCH') throw new ToolFailure(`daemon stop: cannot signal pid ${running.pid} (${code ?? String(e)})`);
    }
    const gone = () => (pidfd >= 0 && addon !== undefined ? !addon.pidfdAlive(pidfd) : readStartTime(running.pid) !== running.startTime);
    const deadline = Date.now() + WAIT_MS;
    while (!gone()) {
      if (Date.now() > deadline) throw new ToolFailure(`daemon stop: secitemd (pid ${running.pid}) did not exit within ${WAIT_MS / 1000} s`);
      await sleep(25);
    }
  } finally {
    if (pidfd >= 0) closeSync(pidfd);
  }
  ctx.out(`secitemd stopped (pid ${running.pid})\n`);
  return 0;
}

export async function status(values: Values<'status'>, operands: string[], ctx: CommandContext): Promise<number> {
  if (operands.length > 0) throw new UsageError('expected no operand');
  const { running } = await findDaemon(values, ctx, 'status');
  if (running === undefined) {
    ctx.out('secitemd is not running\n');
    return 1;
  }
  ctx.out(`secitemd is running\npid: ${running.pid}\nsocket: ${running.socketPath}\nkeychain: ${running.keychainPath}\n`);
  const { connectKeychain } = await import('../../daemon/client.js');
  let kc: Awaited<ReturnType<typeof connectKeychain>> | undefined;
  try {
    kc = await connectKeychain({ socket: running.socketPath });
    const timeout = new Promise<undefined>((r) => setTimeout(() => r(undefined), 5000).unref());
    const answer = await Promise.race([kc.status(), timeout]);
    if (answer === undefined) {
      ctx.out('lock state: unknown (no answer within 5 s)\n');
      return EXIT_NOT_ANSWERING;
    }
    if (answer.status === 0 && answer.result !== undefined) {
      ctx.out(`lock state: ${answer.result.lockState}${answer.result.hasPasscode ? '' : ' (no passcode)'}\n`);
    } else if (answer.status === errSecMissingEntitlement) {
      ctx.out("lock state: unknown (only the owner's secitem may ask)\n");
    } else {
      ctx.out(`lock state: unknown (status ${answer.status})\n`);
    }
    return 0;
  } catch (e) {
    ctx.out(`the socket does not answer (${e instanceof Error ? e.message : String(e)})\n`);
    return EXIT_NOT_ANSWERING;
  } finally {
    await kc?.close().catch(() => undefined);
  }
}
