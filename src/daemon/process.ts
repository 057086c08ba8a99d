/**
 * secitemd as a process: the daemon of server.ts wired to its state
 * directory (the registered app profiles, the audit log and its key, the
 * pid file), stopped by SIGTERM or SIGINT. `secitem daemon start` runs it,
 * in its own process (main.ts, detached) or, with `--foreground`, in the
 * CLI's process. docs/daemon.md.
 *
 * The pid file `<state>/secitemd.pid` is also the state directory's lock
 * (takeLockFile: a flock the kernel drops when the process ends), holding
 * "pid starttime", then one JSON line with the socket and the keychain. A
 * second daemon on the same state directory (whose audit log only one
 * process may write) refuses to start while that process lives.
 * @module
 */
import { join } from 'node:path';
import { AuditLog, auditKey, defaultAuditLogPath } from './audit.js';
import { ensurePrivateDir } from './files.js';
import { ProfileRegistry } from './profiles.js';
import { lockHolder, startDaemon, takeLockFile, type Daemon, type DaemonLimits } from './server.js';
import { defaultSocketPath } from './paths.js';
import { startSecretService, type SecretServiceOptions, type SecretServiceProvider } from './secret-service/provider.js';

export const PID_FILE = 'secitemd.pid';
/** The default size at which the audit log is rotated (`--audit-max-bytes`). */
export const DEFAULT_AUDIT_MAX_BYTES = 16 << 20;

export interface DaemonProcessOptions {
  /** The keychain file the daemon owns (the CLI resolves the default one). */
  keychainPath: string;
  /** Default: defaultSocketPath(). */
  socketPath?: string;
  /** The daemon's state: profiles/, signers/, audit.log, audit.key, secitemd.pid, secitemd.digest-key. */
  stateDir: string;
  /** Rotation size of the audit log (default 16 MiB, at least 1024). */
  auditMaxBytes?: number;
  /** Seconds without a call after which an unlocked keychain with a passcode is locked (set-keychain-settings -u -t N); null: never. */
  idleLockSeconds?: number | null;
  /** The daemon's log lines (default stderr). */
  log?: (line: string) => void;
  /** Whether SIGTERM and SIGINT stop the daemon (default true). */
  signals?: boolean;
  limits?: Partial<DaemonLimits>;
  /**
   * Also serve the Secret Service API (`org.freedesktop.secrets`) on the session bus:
   * true, or the bus address and a stand-in identification (tests). With no
   * DBUS_SESSION_BUS_ADDRESS, a private dbus-daemon is started (its address in `secretService.address`).
   */
  secretService?: boolean | Pick<SecretServiceOptions, 'busAddress' | 'identify'>;
}

export interface DaemonProcess {
  readonly daemon: Daemon;
  /** The Secret Service provider, when asked for. */
  readonly secretService: SecretServiceProvider | undefined;
  readonly profiles: ProfileRegistry;
  readonly audit: AuditLog;
  /**
   * Resolves once the daemon stopped and its audit log, pid file and signal
   * handlers are let go: true when a signal (or close()) stopped it, false
   * when it stopped on its own (a failed commit).
   */
  readonly stopped: Promise<boolean>;
  /** Stops it as SIGTERM does. */
  close(): Promise<boolean>;
}

/** What a pid file says, when its process still runs. */
export interface RunningDaemon {
  readonly pid: number;
  readonly startTime: number;
  readonly socketPath: string;
  readonly keychainPath: string;
}

export function pidFilePath(stateDir: string): string {
  return join(stateDir, PID_FILE);
}

/** The daemon of a state directory, if one runs (its pid file names a live process that started when it says). */
export function runningDaemon(stateDir: string): RunningDaemon | undefined {
  const holder = lockHolder(pidFilePath(stateDir));
  if (holder === undefined) return undefined;
  let info: { socket?: unknown; keychain?: unknown } = {};
  try {
    info = JSON.parse(holder.rest) as typeof info;
  } catch {
    // a pid file being written, or of another format: pid only
  }
  return {
    pid: holder.pid,
    startTime: holder.startTime,
    socketPath: typeof info.socket === 'string' ? info.socket : '',
    keychainPath: typeof info.keychain === 'string' ? info.keychain : '',
  };
}

/**
 * Starts the daemon of a state directory: takes its pid file, opens the
 * profile registry and the audit log, starts serving. Throws (releasing
 * what it took) when any of that fails, e.g. a daemon already runs on the
 * state directory, the keychain or the socket.
 */
export async function runDaemon(options: DaemonProcessOptions): Promise<DaemonProcess> {
  const log = options.log ?? ((line: string) => process.stderr.write(`secitemd: ${line}\n`));
  const socketPath = options.socketPath ?? defaultSocketPath();
  const maxBytes = options.auditMaxBytes ?? DEFAULT_AUDIT_MAX_BYTES;
  ensurePrivateDir(options.stateDir);
  const releasePid = takeLockFile(
    pidFilePath(options.stateDir),
    `the state directory ${options.stateDir}`,
    `${JSON.stringify({ socket: socketPath, keychain: options.keychainPath })}\n`,
  );
  let audit: AuditLog | undefined;
  let daemon: Daemon;
  let profiles: ProfileRegistry;
  try {
    profiles = ProfileRegistry.open(options.stateDir);
    for (const p of profiles.problems()) log(p);
    audit = AuditLog.open(defaultAuditLogPath(options.stateDir), { key: auditKey(options.stateDir), maxBytes });
    daemon = await startDaemon({
      keychainPath: options.keychainPath, socketPath, stateDir: options.stateDir, profiles, audit, log,
      idleLockSeconds: options.idleLockSeconds ?? null,
      ...(options.limits ? { limits: options.limits } : {}),
    });
  } catch (e) {
    try {
      audit?.close();
    } finally {
      releasePid();
    }
    throw e;
  }
  let secretService: SecretServiceProvider | undefined;
  if (options.secretService) {
    try {
      secretService = await startSecretService({
        keychain: daemon.keychain, profiles, audit, log, ...(options.secretService === true ? {} : options.secretService),
      });
      log(`Secret Service: ${secretService.privateBus ? 'a private session bus' : 'the session bus'} at ${secretService.address}`);
    } catch (e) {
      await daemon.close();
      try {
        audit.close();
      } finally {
        releasePid();
      }
      throw e;
    }
  }
  let asked = false;
  const close = () => {
    asked = true;
    return daemon.close().then(() => stopped);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping`);
    void close();
  };
  if (options.signals !== false) {
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
  const auditLog = audit;
  const stopped = daemon.closed.then(async () => {
    await secretService?.close().catch((e: unknown) => log(`Secret Service: ${e instanceof Error ? e.message : String(e)}`));
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    try {
      auditLog.close();
    } catch (e) {
      log(`the audit log could not be closed (${e instanceof Error ? e.message : String(e)})`);
    }
    releasePid();
    return asked;
  });
  return { daemon, secretService, profiles, audit: auditLog, stopped, close };
}
