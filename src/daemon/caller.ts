/**
 * Who is calling: the daemon's own account of a connected peer, taken from
 * the kernel and /proc, never from anything the client says.
 *
 * From the socket: uid, gid and pid as the kernel recorded them at
 * connect() (SO_PEERCRED), and a pidfd of the connecting process itself
 * (SO_PEERPIDFD, Linux 6.5+). From /proc/<pid>: the executable (the inode
 * the process runs, opened through /proc/<pid>/exe and hashed, its path by
 * readlink), and for an interpreter (node) the entry script named by the
 * command line, resolved against the process's working directory, and
 * hashed; the start time (field 22 of /proc/<pid>/stat).
 *
 * The pid-reuse race (a pid read from the socket may name another process
 * by the time /proc is read) is closed as follows; docs/daemon.md has the
 * full account:
 * - SO_PEERPIDFD gives a pidfd of the process that called connect(); its
 *   pid cannot be reused while the process exists (a zombie included).
 *   The start time is read before and after the /proc reads and must not
 *   change, and after the last read the pidfd must show the process alive:
 *   then every read was of the connecting process. (Where the kernel lacks
 *   SO_PEERPIDFD, pidfd_open(pid) is the fallback, which is itself racy, so
 *   the start time must also be no later than the connection's accept: a
 *   pid reused after connect() started after it. That check is only as fine
 *   as the clock tick, 10 ms.)
 * - The executable is hashed through /proc/<pid>/exe, which opens the very
 *   inode the process runs even if the path was since replaced; a deleted
 *   executable is refused.
 * - What is NOT covered: the command line and environment are the
 *   process's own memory and it may rewrite them (process.title), so for an
 *   interpreter the entry script is what the process *says* it runs, checked
 *   against the file as it is now; a script changed after node read it, or
 *   a process that lies about its argv, or any process of the same uid that
 *   ptraces the caller, is not detected. Against another process of the
 *   same user, only the executable's identity is strong; a separate uid for
 *   each app is what makes the script check a boundary.
 * @module
 */
import { createHash } from 'node:crypto';
import { closeSync, constants as fsConstants, readFileSync } from 'node:fs';
import { open, readFile, readlink, realpath, stat } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { basename, isAbsolute, resolve } from 'node:path';
import { peerCredAddon, type PeerCredAddon } from './native.js';

/** The daemon's account of one connected peer. */
export interface Caller {
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
  /** The executable's real path (readlink of /proc/<pid>/exe). */
  readonly executable: string;
  /** SHA-256 (hex) of the executable the process runs. */
  readonly executableSha256: string;
  /** For an interpreter: the entry script's real path. */
  readonly script?: string;
  /** SHA-256 (hex) of the entry script as it is now. */
  readonly scriptSha256?: string;
  /** Start time, clock ticks since boot (field 22 of /proc/<pid>/stat). */
  readonly startTime: number;
}

export interface Refusal {
  readonly refused: string;
  /**
   * The peer was not shown to be a live process of the daemon's user
   * (another uid, no pid in this namespace, gone, not inspectable): refused
   * outright, where a process of the user that is merely no registered app
   * may share a group (the Secret Service's unregistered callers).
   */
  readonly notThisUser?: true;
}

/** A refusal of a peer not shown to be a live process of the daemon's user. */
const notThisUser = (refused: string): Refusal => ({ refused, notThisUser: true });

export interface IdentifyOptions {
  /** The addon (tests may stand one in); default: the built one. */
  readonly addon?: PeerCredAddon;
  /** The daemon's uid (default: process.getuid()). Root may serve every uid; any other uid only its own. */
  readonly daemonUid?: number;
  /** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on every Linux build Node supports). */
  readonly ticksPerSecond?: number;
}

const USER_HZ = 100;

/** Executables treated as interpreters whose identity is their entry script. */
export function isNodeExecutable(path: string): boolean {
  return path === process.execPath || /^node(js)?(\d+(\.\d+)*)?$/.test(basename(path));
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks after boot); undefined when the process is gone. */
export function readStartTime(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // comm (field 2) may hold spaces and parentheses: fields 3.. follow the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const value = Number(rest[22 - 3]);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** Seconds since boot (CLOCK_BOOTTIME, the clock of the start time) in ticks: what identifyProcess's `connectedBefore` takes. */
export function uptimeTicks(hz: number = USER_HZ): number {
  const s = Number(readFileSync('/proc/uptime', 'latin1').split(' ')[0]);
  return Math.floor(s * hz);
}

// ── Hashes, cached by the file's identity ───────────────────────────────────

const hashCache = new Map<string, string>();
const HASH_CACHE_MAX = 256;

/**
 * SHA-256 of an open file, cached by (device, inode, size, mtime, ctime) in
 * nanoseconds: any write to the file changes its ctime, which no one can
 * set back, so a cached hash is never of older contents.
 */
async function hashPath(path: string, flags = fsConstants.O_RDONLY): Promise<{ sha256: string; isFile: boolean }> {
  const handle = await open(path, flags);
  try {
    const st = await handle.stat({ bigint: true });
    if (!st.isFile()) return { sha256: '', isFile: false };
    const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    const cached = hashCache.get(key);
    if (cached !== undefined) return { sha256: cached, isFile: true };
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(1 << 20);
    for (let position = 0; ; ) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      position += bytesRead;
    }
    const sha256 = hash.digest('hex');
    const after = await handle.stat({ bigint: true });
    if (after.ctimeNs === st.ctimeNs && after.size === st.size) {
      if (hashCache.size >= HASH_CACHE_MAX) hashCache.delete(hashCache.keys().next().value!);
      hashCache.set(key, sha256);
    }
    return { sha256, isFile: true };
  } finally {
    await handle.close();
  }
}

// ── The interpreter's entry script ──────────────────────────────────────────

/** node options whose value is the next argument (when not given with =). */
const NODE_VALUE_OPTIONS = new Set([
  '-r', '--require', '--import', '--loader', '--experimental-loader', '-e', '--eval', '-p', '--print', '-C', '--conditions',
  '--title', '--input-type', '--env-file', '--stack-size', '--max-old-space-size', '--inspect-port', '--debug-port',
  '--experimental-policy', '--icu-data-dir', '--openssl-config', '--redirect-warnings', '--diagnostic-dir', '--report-dir',
  '--report-directory', '--report-filename', '--report-signal', '--secure-heap', '--secure-heap-min', '--heapsnapshot-signal',
  '--cpu-prof-dir', '--cpu-prof-name', '--heap-prof-dir', '--heap-prof-name', '--disable-warning', '--unhandled-rejections',
  '--dns-result-order', '--trace-event-categories', '--trace-event-file-pattern', '--watch-path', '--experimental-config-file',
]);

/** node options that run code other than the entry script (or none at all). */
const NODE_CODE_OPTIONS = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '-e', '--eval', '-p', '--print', '-i', '--interactive', '--env-file', '--experimental-policy', '--inspect', '--inspect-brk', '--inspect-wait', '--watch', '--test']);

/**
 * The entry script of a node command line, or a refusal: options that load
 * other code (-r, --import, --loader, -e, -p, an inspector, --env-file that
 * could set NODE_OPTIONS) make the script no description of what runs.
 */
export function entryScriptOf(argv: readonly string[]): { script: string } | Refusal {
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return argv[i + 1] === undefined ? { refused: 'node runs no entry script' } : { script: argv[i + 1]! };
    if (!arg.startsWith('-') || arg === '-') {
      if (arg === '-') return { refused: 'node runs a script from standard input' };
      return { script: arg };
    }
    const name = arg.includes('=') ? arg.slice(0, arg.indexOf('=')) : arg;
    if (NODE_CODE_OPTIONS.has(name) || name.startsWith('--inspect')) return { refused: `node runs other code than its entry script (${name})` };
    if (NODE_VALUE_OPTIONS.has(name) && !arg.includes('=')) i++;
  }
  return { refused: 'node runs no entry script (a REPL)' };
}

/** NODE_OPTIONS entries that load code, from the process's environment. */
function injectedByEnvironment(environ: string): string | undefined {
  for (const entry of environ.split('\0')) {
    if (!entry.startsWith('NODE_OPTIONS=')) continue;
    const opts = entry.slice('NODE_OPTIONS='.length).split(/\s+/).filter(Boolean);
    const bad = opts.find((o) => { const n = o.includes('=') ? o.slice(0, o.indexOf('=')) : o; return NODE_CODE_OPTIONS.has(n) || n.startsWith('--inspect'); });
    if (bad !== undefined) return `NODE_OPTIONS loads other code than the entry script (${bad.split('=')[0]})`;
  }
  return undefined;
}

/** node's resolution of a main path, as far as it matters here: the file, then .js, .mjs, .cjs, then an index.js. */
async function resolveMain(path: string): Promise<string | undefined> {
  for (const candidate of [path, `${path}.js`, `${path}.mjs`, `${path}.cjs`, resolve(path, 'index.js')]) {
    try {
      if ((await stat(candidate)).isFile()) return await realpath(candidate);
    } catch {
      // next candidate
    }
  }
  return undefined;
}

// ── identifyPeer ─────────────────────────────────────────────────────────────

function fdOf(socket: Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('the socket has no file descriptor (not a connected Unix socket?)');
  return fd;
}

/** The pid a pidfd refers to (its fdinfo): -1 once the process was reaped, 0 in another pid namespace. */
function pidOfPidfd(pidfd: number): number | undefined {
  try {
    const m = /^Pid:\s*(-?\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${pidfd}`, 'latin1'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Identifies the peer of an accepted Unix socket: a Caller, or a refusal
 * saying why (no secret in it). Errors of the addon itself are thrown.
 */
export async function identifyPeer(socket: Socket, options: IdentifyOptions = {}): Promise<Caller | Refusal> {
  const addon = options.addon ?? peerCredAddon();
  const hz = options.ticksPerSecond ?? USER_HZ;
  const acceptedAt = uptimeTicks(hz);
  const fd = fdOf(socket);
  const cred = addon.peerCredentials(fd);
  const daemonUid = options.daemonUid ?? (typeof process.getuid === 'function' ? process.getuid() : -1);
  if (cred.uid !== daemonUid && daemonUid !== 0) return notThisUser(`uid ${cred.uid} is not this daemon's user (${daemonUid})`);
  if (cred.pid <= 0) return notThisUser('the peer has no pid in this pid namespace');

  let pidfd = addon.peerPidfd(fd);
  const fromSocket = pidfd >= 0;
  if (!fromSocket) {
    try {
      pidfd = addon.pidfdOpen(cred.pid);
    } catch {
      return notThisUser(`process ${cred.pid} exited before it could be identified`);
    }
  }
  return inspectProcess(cred, pidfd, fromSocket, acceptedAt, addon, () => socket.destroyed);
}

/**
 * Identifies a process known only by its pid and uid, as a message bus
 * reports them for a connection (org.freedesktop.DBus.GetConnectionUnixProcessID):
 * the checks of identifyPeer after SO_PEERCRED, with pidfd_open(pid) (the
 * racy fallback, closed by the start time: the process must have started no
 * later than `connectedBefore`, ticks since boot, default now).
 */
export async function identifyProcess(
  pid: number, uid: number, options: IdentifyOptions & { readonly connectedBefore?: number; readonly gone?: () => boolean } = {},
): Promise<Caller | Refusal> {
  const addon = options.addon ?? peerCredAddon();
  const hz = options.ticksPerSecond ?? USER_HZ;
  const acceptedAt = options.connectedBefore ?? uptimeTicks(hz);
  const daemonUid = options.daemonUid ?? (typeof process.getuid === 'function' ? process.getuid() : -1);
  if (uid !== daemonUid && daemonUid !== 0) return notThisUser(`uid ${uid} is not this daemon's user (${daemonUid})`);
  if (pid <= 0) return notThisUser('the peer has no pid in this pid namespace');
  let pidfd: number;
  try {
    pidfd = addon.pidfdOpen(pid);
  } catch {
    return notThisUser(`process ${pid} exited before it could be identified`);
  }
  let gid = -1;
  try {
    const m = /^Gid:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    if (m) gid = Number(m[1]);
  } catch {
    // gone: inspectProcess says so
  }
  return inspectProcess({ pid, uid, gid }, pidfd, false, acceptedAt, addon, options.gone ?? (() => false));
}

async function inspectProcess(
  cred: { pid: number; uid: number; gid: number }, pidfd: number, fromSocket: boolean, acceptedAt: number, addon: PeerCredAddon, gone: () => boolean,
): Promise<Caller | Refusal> {
  try {
    const pidfdPid = pidOfPidfd(pidfd);
    if (pidfdPid !== undefined && pidfdPid !== cred.pid) return notThisUser(`process ${cred.pid} exited or is in another pid namespace`);
    const pid = cred.pid;
    const start = readStartTime(pid);
    if (start === undefined) return notThisUser(`process ${pid} exited before it could be identified`);
    if (!fromSocket && start > acceptedAt + 1) return { refused: `process ${pid} started after the connection was made (its pid was reused)` };

    const exeLink = await readlink(`/proc/${pid}/exe`);
    if (exeLink.endsWith(' (deleted)')) return { refused: `process ${pid} runs an executable that was deleted or replaced since it started` };
    const exe = await hashPath(`/proc/${pid}/exe`);
    if (!exe.isFile) return { refused: `process ${pid}'s executable is not a regular file` };

    let script: string | undefined;
    let scriptSha256: string | undefined;
    if (isNodeExecutable(exeLink)) {
      const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
      if (argv[argv.length - 1] === '') argv.pop();
      const entry = entryScriptOf(argv);
      if ('refused' in entry) return entry;
      const injected = injectedByEnvironment(await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => ''));
      if (injected !== undefined) return { refused: injected };
      const cwd = await readlink(`/proc/${pid}/cwd`);
      const resolved = await resolveMain(isAbsolute(entry.script) ? entry.script : resolve(cwd, entry.script));
      if (resolved === undefined) return { refused: `process ${pid}'s entry script ${entry.script} was not found` };
      const hashed = await hashPath(resolved, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
      if (!hashed.isFile) return { refused: `process ${pid}'s entry script is not a regular file` };
      script = resolved;
      scriptSha256 = hashed.sha256;
    }

    // Every read above was of the connecting process if it is still that process now.
    if (readStartTime(pid) !== start) return { refused: `process ${pid} was replaced while it was identified (pid reused)` };
    if (!addon.pidfdAlive(pidfd)) return notThisUser(`process ${pid} exited while it was identified`);
    if (gone()) return { refused: `process ${pid} closed its connection while it was identified` };
    return {
      pid,
      uid: cred.uid,
      gid: cred.gid,
      executable: exeLink,
      executableSha256: exe.sha256,
      ...(script === undefined ? {} : { script, scriptSha256 }),
      startTime: start,
    };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return notThisUser(`process ${cred.pid} exited before it could be identified`);
    if (code === 'EACCES' || code === 'EPERM') return notThisUser(`process ${cred.pid} cannot be inspected (${code}: not dumpable, or another user's)`);
    throw e;
  } finally {
    closeSync(pidfd);
  }
}
